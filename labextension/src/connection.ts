/**
 * One notebook's link to its kernel's `jupyter_seed` comm.
 *
 * The front end opens the comm (kernel target `jupyter_seed`, registered by
 * `%load_ext jupyter_seed`); a kernel that answers with `comm_close` does not have
 * the extension loaded. The kernel never opens a comm itself (headless clients
 * would log that nothing handles it): we watch its iopub traffic instead, and probe
 * again when an execution mentioning `jupyter_seed` finishes, or after a restart.
 * No click is lost: a request without an answer while no cell runs is sent once more
 * on a fresh comm (which re-reads the state), then reported (reducer.ts says when).
 * What happens by itself at kernel start is startup.ts.
 */

import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel, KernelMessage as Wire } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { AnswerClock } from './answerClock';
import { ISeedMetadata } from './metadata';
import {
  COMM_TARGET,
  encodeRequest,
  LOAD_EXTENSION_CODE,
  mayLoadExtension,
  parseKernelMessage,
  Request
} from './protocol';
import {
  ANSWER_TIMEOUT_MS,
  answerClockRuns,
  IModelState,
  INITIAL_STATE,
  ModelEvent,
  pendingOf,
  reduce,
  requestsToResend
} from './reducer';
import { refreshAfterExecution } from './saving';
import {
  FRESH_START,
  IStartupInputs,
  IStartupState,
  IStartupStep,
  onKernelMessage,
  onRefused,
  onRequestSent
} from './startup';

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
    const open = this._comm !== null && !this._comm.isDisposed;
    if (!open && this._state.phase !== 'loaded') {
      return; // nothing to send to: the toolbar's buttons are disabled then
    }
    const withId: Request = { ...request, id: `${this._idPrefix}-${++this._requestCount}` };
    this._startup = onRequestSent(this._startup, withId);
    this._dispatch({ type: 'request_sent', request: withId });
    if (open) {
      this._sendOnComm(withId);
    } else {
      this._outbox.push(withId); // the comm is being reopened: sent as soon as it is
    }
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
    this._clock.stop();
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
    this._startup = FRESH_START;
    this._runningCells.clear();
    this._outbox = [];
  }

  private _inputs(): IStartupInputs {
    return { autoLoad: this.options.autoLoad(), metadata: this.options.startupMetadata() };
  }

  private _carryOut(step: IStartupStep): void {
    this._startup = step.state;
    for (const action of step.actions) {
      switch (action.type) {
        case 'load_extension':
          this.loadExtension();
          break;
        case 'send':
          this.send(action.request);
          break;
        case 'remember':
          this.options.remember(action.metadata);
          break;
        case 'switch_kernel':
          void this.sessionContext.changeKernel({ name: action.name });
          break;
      }
    }
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
    if (status === 'connected' && kernel.status === 'idle') {
      this._runningCells.clear(); // an "idle" lost while disconnected must not stop the answer clock
      this._updateAnswerClock();
    }
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

  /**
   * Probe when an execution that may have loaded the extension finishes (any client's),
   * and keep track of running cells: a request sent meanwhile may wait behind them.
   */
  private _onIopub(kernel: Kernel.IKernelConnection, msg: Wire.IIOPubMessage): void {
    const parentHeader = msg.parent_header as Partial<Wire.IHeader>;
    const parent = parentHeader.msg_id;
    if (typeof parent !== 'string') {
      return;
    }
    if (Wire.isStatusMsg(msg) && parentHeader.msg_type === 'execute_request') {
      // Only executions count: kernel.status also flips for comm messages on a subshell.
      if (msg.content.execution_state === 'busy') {
        this._runningCells.add(parent);
      } else if (msg.content.execution_state === 'idle') {
        this._runningCells.delete(parent);
        this._refreshAfterExecution();
      }
      this._updateAnswerClock();
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

  /**
   * Re-read the state once an execution is done: an import or a precision switch changes
   * the provenance the notebook saves (saving.ts) without any configuration change.
   * Sent on the comm without an id: nothing waits for it, so no answer clock and no
   * toolbar message are touched; the kernel's `state` answer goes through the reducer.
   */
  private _refreshAfterExecution(): void {
    if (
      this._comm &&
      !this._comm.isDisposed &&
      refreshAfterExecution(this._state.phase, this._state.awaiting.length)
    ) {
      this._sendOnComm({ type: 'get_state' });
    }
  }

  /** Open our comm (its opening asks for the state), then send what waits in the outbox. */
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
        this._carryOut(onRefused(this._startup, this._state.phase, this._inputs()));
      }
    };
    comm.open(encodeRequest({ type: 'get_state' }));
    const outbox = this._outbox;
    this._outbox = [];
    for (const request of outbox) {
      this._sendOnComm(request);
    }
  }

  private _sendOnComm(request: Request): void {
    try {
      this._comm?.send(encodeRequest(request));
    } catch (error) {
      // The kernel went away under us: the reset that follows forgets the request.
      console.warn('jupyter-seed: could not send a request', error);
    }
  }

  /**
   * Nothing came back while no cell ran: re-send each unanswered request once, on a
   * fresh comm whose opening re-reads the state. (A comm's messages can be lost for good,
   * for example when they go to a kernel subshell that a restart removed.)
   */
  private _onAnswerTimeout(): void {
    this._dispatch({ type: 'answer_timeout' });
    const resend = requestsToResend(this._state);
    console.warn(`jupyter-seed: no answer in ${ANSWER_TIMEOUT_MS / 1000} s; re-reading the state`, resend);
    this._outbox = [...resend, ...this._outbox.filter(request => !resend.includes(request))];
    this._closeComm();
    const kernel = this._kernel;
    const generation = this._generation;
    // A macrotask later: the closed comm's subshell bookkeeping in @jupyterlab/services
    // settles first, so the fresh comm does not inherit a stale subshell id.
    setTimeout(() => {
      if (kernel === this._kernel && generation === this._generation && !this._disposed) {
        this._openComm();
      }
    }, 0);
  }

  /** Run the answer clock only while something waits for the kernel and no cell runs. */
  private _updateAnswerClock(): void {
    const runs = answerClockRuns(this._state, this._runningCells.size > 0);
    this._clock.update(
      runs
        ? pendingOf(this._state)
            .map(request => request.id ?? request.type)
            .join(' ')
        : null
    );
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
    const stillPending = pendingOf(this._state).length > 0;
    this._carryOut(onKernelMessage(this._startup, message, this._inputs(), stillPending));
  }

  private _dispatch(event: ModelEvent): void {
    const next = reduce(this._state, event);
    if (next !== this._state) {
      this._state = next;
      this._changed.emit(next);
    }
    this._updateAnswerClock();
  }

  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: Kernel.IComm | null = null;
  private _state: IModelState = INITIAL_STATE;
  private _changed = new Signal<this, IModelState>(this);
  private _generation = 0;
  private _probing = -1;
  /** msg_ids of executions whose code mentions jupyter_seed, until they finish. */
  private _watched = new Set<string>();
  private _startup: IStartupState = FRESH_START;
  /** msg_ids of executions running now (any client's), from their iopub status. */
  private _runningCells = new Set<string>();
  /** Requests to send once the comm is open again. */
  private _outbox: Request[] = [];
  private readonly _clock = new AnswerClock(() => this._onAnswerTimeout(), ANSWER_TIMEOUT_MS);
  private _disposed = false;
  private _requestCount = 0;
  private readonly _idPrefix = Math.random().toString(36).slice(2, 10);
}
