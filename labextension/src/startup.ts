/**
 * What the toolbar does by itself when a kernel starts, once per kernel process:
 * load the extension when settings or notebook metadata ask for it, apply the
 * notebook's metadata to a fresh kernel, remember the kernel's configuration in the
 * notebook, and switch to the seeded kernelspec once its fix is applied.
 *
 * Pure: the connection (connection.ts) feeds it events and carries out the actions
 * it returns. Tested with jest (test/startup.spec.ts).
 */

import { ISeedMetadata, metadataOf, metadataRequest } from './metadata';
import { KernelMessage, Request, SEEDED_KERNELSPEC } from './protocol';
import { Phase } from './reducer';

export interface IStartupState {
  /** Auto-load ran, or the extension was seen loaded: never load (again) in this kernel process. */
  autoLoadTried: boolean;
  /** The notebook's metadata was offered to this kernel process. */
  metadataApplied: boolean;
  /** Ids of `kernelspec` fix requests: when answered, the notebook moves to the seeded kernel. */
  switchWhenAnswered: string[];
}

/** What the notebook and the user's settings say, read when needed. */
export interface IStartupInputs {
  /** The `autoLoad` setting: load jupyter-seed in every Python kernel. */
  autoLoad: boolean;
  /** Validated `metadata.jupyter_seed` to apply on kernel start, or `null`. */
  metadata: ISeedMetadata | null;
}

export type StartupAction =
  | { type: 'load_extension' }
  | { type: 'send'; request: Request }
  | { type: 'remember'; metadata: ISeedMetadata }
  | { type: 'switch_kernel'; name: string };

export interface IStartupStep {
  state: IStartupState;
  actions: StartupAction[];
}

/** The policy's state for a new kernel process (first attach, restart, change of kernel). */
export const FRESH_START: IStartupState = {
  autoLoadTried: false,
  metadataApplied: false,
  switchWhenAnswered: []
};

/** A request left the front end: a `kernelspec` fix switches the notebook once it is answered. */
export function onRequestSent(state: IStartupState, request: Request): IStartupState {
  if (request.type === 'apply_fix' && request.fix === 'kernelspec' && request.id) {
    return { ...state, switchWhenAnswered: [...state.switchWhenAnswered, request.id] };
  }
  return state;
}

/**
 * The kernel refused our comm before it answered anything: the extension is not loaded.
 * Load it once per kernel process when the settings or the notebook's metadata ask for
 * it. (A comm closed after answers is an unload, which must be respected: the caller
 * does not call this then.)
 */
export function onRefused(state: IStartupState, phase: Phase, inputs: IStartupInputs): IStartupStep {
  if (state.autoLoadTried || phase !== 'not_loaded' || !(inputs.autoLoad || inputs.metadata !== null)) {
    return { state, actions: [] };
  }
  return { state: { ...state, autoLoadTried: true }, actions: [{ type: 'load_extension' }] };
}

/**
 * A message from the kernel, already applied to the model; `stillPending` says whether
 * requests are still unapplied afterwards (the configuration is remembered only once
 * the kernel has caught up with them).
 */
export function onKernelMessage(
  state: IStartupState,
  message: KernelMessage,
  inputs: IStartupInputs,
  stillPending: boolean
): IStartupStep {
  if (message.type === 'error') {
    const switchWhenAnswered = state.switchWhenAnswered.filter(id => id !== message.id);
    return { state: { ...state, switchWhenAnswered }, actions: [] };
  }
  const switching = state.switchWhenAnswered.filter(id => message.answered.includes(id));
  if (switching.length) {
    // The seeded kernelspec is installed: the notebook moves to it (a fresh kernel).
    const switchWhenAnswered = state.switchWhenAnswered.filter(id => !switching.includes(id));
    return {
      state: { ...state, switchWhenAnswered },
      actions: [{ type: 'switch_kernel', name: SEEDED_KERNELSPEC }]
    };
  }
  if (!message.state.extension_loaded) {
    return { state, actions: [] };
  }
  // Loaded in this kernel process: an unload later is the user's choice, never auto-reloaded.
  let next: IStartupState = { ...state, autoLoadTried: true };
  if (!state.metadataApplied) {
    next = { ...next, metadataApplied: true };
    const request = metadataRequest(message.state, inputs.metadata);
    if (request) {
      // Remember what the kernel reports after applying it, not the state before.
      return { state: next, actions: [{ type: 'send', request }] };
    }
  }
  const remembered = metadataOf(message.state);
  if (remembered && !stillPending) {
    return { state: next, actions: [{ type: 'remember', metadata: remembered }] };
  }
  return { state: next, actions: [] };
}
