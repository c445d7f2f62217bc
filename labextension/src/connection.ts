/**
 * One notebook's link to its kernel's `jupyter_seed` comm.
 *
 * The front end opens the comm (kernel target `jupyter_seed`, registered by
 * `%load_ext jupyter_seed`); a kernel that answers with `comm_close` does not have
 * the extension loaded. The kernel never opens a comm itself (headless clients
 * would log that nothing handles it): we watch its iopub traffic instead, and when
 * an execution whose code mentions `jupyter_seed` finishes, we probe again. On
 * restart open comms are disposed, so we probe again when the kernel is idle.
 */

import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel, KernelMessage as Wire } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ISeedMetadata, metadataOf, metadataRequest } from './metadata';
import { IModelState, INITIAL_STATE, ModelEvent, pendingOf, reduce } from './model';
import {
  COMM_TARGET,
  encodeRequest,
  LOAD_EXTENSION_CODE,
  mayLoadExtension,
  parseKernelMessage,
  Request,
  SEEDED_KERNELSPEC
} from './protocol';

export interface IConnectionOptions {
  /** Run `%load_ext jupyter_seed` in every Python kernel that does not have it. */
  autoLoad: () => boolean;
  /** Validated `metadata.jupyter_seed` to apply on kernel start, or `null`. */
  startupMetadata: () => ISeedMetadata | null;
  /** Called with the configuration to remember whenever the kernel's changes. */
  remember: (metadata: ISeedMetadata) => void;
}

export class SeedConnection implements IDisposable {
  constructor(
    private readonly sessionContext: ISessionContext,
    private readonly options: IConnectionOptions
  ) {
    sessionContext.kernelChanged.connect(this._onKernelChanged, this);
    void sessionContext.ready.then(() => this._attach(sessionContext.session?.kernel ?? null));
    this._attach(sessionContext.session?.kernel ?? null);
  }

  get state(): IModelState {
    return this._state;
  }

  get changed(): ISignal<this, IModelState> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Send a request; the kernel answers with the new state or an `error`, naming its id. */
  send(request: Request): void {
    if (!this._comm || this._comm.isDisposed) {
      return;
    }
    const withId: Request = { ...request, id: `${this._idPrefix}-${++this._requestCount}` };
    if (request.type === 'apply_fix' && request.fix === 'kernelspec') {
      this._switchWhenAnswered.add(withId.id as string);
    }
    this._dispatch({ type: 'request_sent', request: withId });
    this._comm.send(encodeRequest(withId));
  }

  /** Run the fixed `%load_ext jupyter_seed`, silently; the kernel then announces itself. */
  loadExtension(): void {
    const kernel = this._kernel;
    if (!kernel || kernel.isDisposed) {
      return;
    }
    // A silent execution publishes no execute_input: probe when it is done.
    const future = kernel.requestExecute({
      code: LOAD_EXTENSION_CODE,
      silent: true,
      store_history: false,
      stop_on_error: false
    });
    void future.done.then(
      () => this._kernel === kernel && this._openComm(),
      () => undefined
    );
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.sessionContext.kernelChanged.disconnect(this._onKernelChanged, this);
    this._attach(null);
    Signal.clearData(this);
  }

  private _onKernelChanged(): void {
    this._attach(this.sessionContext.session?.kernel ?? null);
  }

  private _attach(kernel: Kernel.IKernelConnection | null): void {
    if (kernel === this._kernel || (this._disposed && kernel !== null)) {
      return;
    }
    const old = this._kernel;
    if (old) {
      old.statusChanged.disconnect(this._onStatus, this);
      old.connectionStatusChanged.disconnect(this._onConnectionStatus, this);
      old.iopubMessage.disconnect(this._onIopub, this);
    }
    this._watched.clear();
    this._closeComm();
    this._kernel = kernel;
    this._dispatch({ type: 'kernel_changed', hasKernel: kernel !== null });
    if (!kernel) {
      return;
    }
    kernel.statusChanged.connect(this._onStatus, this);
    kernel.connectionStatusChanged.connect(this._onConnectionStatus, this);
    kernel.iopubMessage.connect(this._onIopub, this);
    this._newKernelGeneration();
    if (kernel.status === 'idle' || kernel.status === 'busy') {
      void this._probe();
    }
  }

  private _newKernelGeneration(): void {
    this._generation++;
    this._autoLoadTried = false;
    this._metadataApplied = false;
  }

  private _onStatus(kernel: Kernel.IKernelConnection, status: Wire.Status): void {
    this._dispatch({ type: 'kernel_status', status });
    if (status === 'restarting' || status === 'autorestarting' || status === 'starting') {
      // The kernel process is new: open comms are gone and its config is fresh.
      this._closeComm();
      this._newKernelGeneration();
    } else if ((status === 'idle' || status === 'busy') && this._state.phase === 'connecting') {
      void this._probe();
    }
  }

  private _onConnectionStatus(kernel: Kernel.IKernelConnection, status: Kernel.ConnectionStatus): void {
    if (status === 'connected' && (!this._comm || this._comm.isDisposed)) {
      void this._probe();
    }
  }

  /** Learn the kernel's language, then open our comm (Python kernels only). */
  private async _probe(): Promise<void> {
    const kernel = this._kernel;
    const generation = this._generation;
    if (!kernel || this._probing === generation || (this._comm && !this._comm.isDisposed)) {
      return;
    }
    this._probing = generation;
    try {
      const info = await kernel.info;
      if (kernel !== this._kernel || generation !== this._generation) {
        return;
      }
      const language = info.language_info?.name ?? '';
      this._dispatch({ type: 'language', name: language });
      if (this._state.phase === 'not_python') {
        return;
      }
      this._openComm();
    } catch (error) {
      console.warn('jupyter-seed: kernel info unavailable', error);
    } finally {
      if (this._probing === generation) {
        this._probing = -1;
      }
    }
  }

  /** Probe when an execution that may have loaded the extension finishes (any client's). */
  private _onIopub(kernel: Kernel.IKernelConnection, msg: Wire.IIOPubMessage): void {
    const parent = (msg.parent_header as Partial<Wire.IHeader>).msg_id;
    if (typeof parent !== 'string') {
      return;
    }
    if (Wire.isExecuteInputMsg(msg)) {
      if (mayLoadExtension(msg.content.code) && this._watched.size < 64) {
        this._watched.add(parent);
      }
    } else if (
      Wire.isStatusMsg(msg) &&
      msg.content.execution_state === 'idle' &&
      this._watched.delete(parent)
    ) {
      if (this._state.phase === 'not_loaded' || this._state.phase === 'connecting') {
        this._openComm();
      }
    }
  }

  private _openComm(): void {
    const kernel = this._kernel;
    if (!kernel || kernel.isDisposed || (this._comm && !this._comm.isDisposed)) {
      return;
    }
    const comm = kernel.createComm(COMM_TARGET);
    this._comm = comm;
    let answered = false;
    comm.onMsg = (msg: Wire.ICommMsgMsg) => {
      if (this._comm === comm) {
        answered = true;
        this._onMessage(msg.content.data);
      }
    };
    comm.onClose = () => {
      if (this._comm !== comm) {
        return;
      }
      this._comm = null;
      this._dispatch({ type: 'comm_closed' });
      if (!answered) {
        // Refused at once: the extension is not loaded. (A comm closed after it
        // answered is an unload, which auto-load must respect.)
        this._maybeLoad();
      }
    };
    comm.open(encodeRequest({ type: 'get_state' }));
  }

  private _closeComm(): void {
    const comm = this._comm;
    this._comm = null;
    if (comm && !comm.isDisposed) {
      try {
        comm.close();
      } catch (error) {
        // The kernel is already gone: nothing to tell it.
      }
    }
  }

  private _onMessage(data: unknown): void {
    const message = parseKernelMessage(data);
    if (!message) {
      console.warn('jupyter-seed: ignoring a comm message that does not fit protocol 1', data);
      return;
    }
    if (message.type === 'error') {
      console.warn(`jupyter-seed: kernel refused ${message.request}: ${message.message}`);
    }
    this._dispatch({ type: 'message', message });
    if (message.type === 'state' && message.answered.some(id => this._switchWhenAnswered.delete(id))) {
      // The seeded kernelspec is installed: the notebook moves to it (a fresh kernel).
      void this.sessionContext.changeKernel({ name: SEEDED_KERNELSPEC });
      return;
    }
    if (message.type === 'error' && message.id !== null) {
      this._switchWhenAnswered.delete(message.id);
    }
    if (message.type !== 'state' || !message.state.extension_loaded) {
      return;
    }
    // Loaded in this kernel start: an unload later is the user's choice, never auto-reloaded.
    this._autoLoadTried = true;
    if (!this._metadataApplied) {
      this._metadataApplied = true;
      const request = metadataRequest(message.state, this.options.startupMetadata());
      if (request) {
        this.send(request);
        return; // remember what the kernel reports after applying it
      }
    }
    const remembered = metadataOf(message.state);
    if (remembered && pendingOf(this._state).length === 0) {
      this.options.remember(remembered);
    }
  }

  /** Load the extension once per kernel start when settings or notebook metadata ask for it. */
  private _maybeLoad(): void {
    if (this._autoLoadTried || this._state.phase !== 'not_loaded') {
      return;
    }
    if (this.options.autoLoad() || this.options.startupMetadata() !== null) {
      this._autoLoadTried = true;
      this.loadExtension();
    }
  }

  private _dispatch(event: ModelEvent): void {
    const next = reduce(this._state, event);
    if (next !== this._state) {
      this._state = next;
      this._changed.emit(next);
    }
  }

  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: Kernel.IComm | null = null;
  private _state: IModelState = INITIAL_STATE;
  private _changed = new Signal<this, IModelState>(this);
  private _generation = 0;
  private _probing = -1;
  /** msg_ids of executions whose code mentions jupyter_seed, until they finish. */
  private _watched = new Set<string>();
  /** Ids of `kernelspec` fixes: when answered, switch the notebook to the seeded kernel. */
  private _switchWhenAnswered = new Set<string>();
  private _autoLoadTried = false;
  private _metadataApplied = false;
  private _disposed = false;
  private _requestCount = 0;
  private readonly _idPrefix = Math.random().toString(36).slice(2, 10);
}
