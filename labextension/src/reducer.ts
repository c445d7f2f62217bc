/**
 * The toolbar item's state logic: lifecycle events and kernel messages in, the next
 * state out. Pure (no JupyterLab imports, no clock), so every transition is
 * unit-tested with jest (test/model.spec.ts, test/timeout.spec.ts). The texts the
 * toolbar shows for a state live in display.ts.
 */

import { IKernelState, KernelMessage, Request } from './protocol';

/** Where the widget stands with the notebook's kernel. */
export type Phase =
  | 'no_kernel' // no kernel, or it died
  | 'connecting' // kernel starting/restarting, or waiting for its first answer
  | 'not_python' // kernel language is not Python: nothing to seed
  | 'not_loaded' // Python kernel, `%load_ext jupyter_seed` not active
  | 'loaded'; // comm open, kernel state known

export interface IModelState {
  phase: Phase;
  kernel: IKernelState | null;
  /** Requests the kernel reported as queued behind a running cell. */
  pending: Request[];
  /** Requests sent by this front end that the kernel has not answered yet. */
  awaiting: Request[];
  /** Ids of the awaiting requests already sent a second time after a timeout. */
  resent: string[];
  /** Requests the kernel never answered, even when sent twice: the toolbar says so. */
  unanswered: Request[];
  /** Last `error` answer from the kernel, cleared by the next request. */
  error: string | null;
}

export type ModelEvent =
  | { type: 'kernel_changed'; hasKernel: boolean }
  | { type: 'kernel_status'; status: string }
  | { type: 'language'; name: string }
  | { type: 'comm_closed' }
  | { type: 'request_sent'; request: Request }
  | { type: 'message'; message: KernelMessage }
  /** No answer came while no cell ran for ANSWER_TIMEOUT_MS: see `expireUnanswered`. */
  | { type: 'answer_timeout' };

export const INITIAL_STATE: IModelState = {
  phase: 'no_kernel',
  kernel: null,
  pending: [],
  awaiting: [],
  resent: [],
  unanswered: [],
  error: null
};

/**
 * How long a request may stay unanswered while no cell runs. A kernel answers an idle
 * request within milliseconds; one that does not has lost it (a comm message sent to a
 * subshell that no longer exists is dropped by the kernel, with only a log line).
 */
export const ANSWER_TIMEOUT_MS = 6000;

const RESET_STATUSES = new Set(['starting', 'restarting', 'autorestarting']);
const GONE_STATUSES = new Set(['dead', 'terminating']);

export function reduce(state: IModelState, event: ModelEvent): IModelState {
  switch (event.type) {
    case 'kernel_changed':
      return { ...INITIAL_STATE, phase: event.hasKernel ? 'connecting' : 'no_kernel' };
    case 'kernel_status':
      // A new kernel process: nothing sent to the old one will be answered.
      if (RESET_STATUSES.has(event.status)) {
        return { ...INITIAL_STATE, phase: 'connecting' };
      }
      if (GONE_STATUSES.has(event.status)) {
        return { ...INITIAL_STATE, phase: 'no_kernel' };
      }
      return state;
    case 'language':
      if (event.name.toLowerCase() === 'python') {
        return state;
      }
      return { ...INITIAL_STATE, phase: 'not_python' };
    case 'comm_closed':
      if (state.phase === 'no_kernel' || state.phase === 'not_python') {
        return state;
      }
      return { ...INITIAL_STATE, phase: 'not_loaded' };
    case 'request_sent':
      return { ...state, error: null, unanswered: [], awaiting: [...state.awaiting, event.request] };
    case 'answer_timeout':
      return expireUnanswered(state);
    case 'message':
      return onMessage(state, event.message);
  }
}

function onMessage(state: IModelState, message: KernelMessage): IModelState {
  if (message.type === 'error') {
    const awaiting = state.awaiting.filter(request => request.id !== message.id);
    return { ...state, error: message.message, awaiting };
  }
  if (!message.state.extension_loaded) {
    return { ...INITIAL_STATE, phase: 'not_loaded' };
  }
  const answered = new Set(message.answered);
  const open = (request: Request) => !request.id || !answered.has(request.id);
  const awaiting = state.awaiting.filter(open);
  return {
    ...state,
    phase: 'loaded',
    kernel: message.state,
    pending: message.pending,
    awaiting,
    resent: state.resent.filter(id => awaiting.some(request => request.id === id)),
    // A late answer still counts: the request was applied after all.
    unanswered: state.unanswered.filter(open)
  };
}

/**
 * Everything not applied yet: queued in the kernel, or sent and unanswered (ipykernel
 * may hold a comm message behind a running cell before the extension sees it).
 */
export function pendingOf(state: IModelState): Request[] {
  const queued = new Set(state.pending.map(request => request.id).filter(id => id !== undefined));
  return [...state.pending, ...state.awaiting.filter(request => !request.id || !queued.has(request.id))];
}

/**
 * Whether the answer clock runs: something waits for the kernel while no cell runs
 * (a request queued behind a running cell is answered when the cell ends, however long).
 */
export function answerClockRuns(state: IModelState, cellRunning: boolean): boolean {
  return !cellRunning && state.phase === 'loaded' && pendingOf(state).length > 0;
}

/**
 * The state after ANSWER_TIMEOUT_MS without an answer. Each request is sent once more
 * (the connection re-sends `awaiting` on a fresh comm); one already sent twice moves to
 * `unanswered`. The kernel's own `pending` list is dropped: the re-read that follows
 * every timeout brings it back if it is still true.
 */
export function expireUnanswered(state: IModelState): IModelState {
  const resent = new Set(state.resent);
  const firstTimeout = (request: Request) => request.id !== undefined && !resent.has(request.id);
  const again = state.awaiting.filter(firstTimeout);
  return {
    ...state,
    pending: [],
    awaiting: again,
    resent: again.map(request => request.id as string),
    unanswered: [...state.unanswered, ...state.awaiting.filter(request => !firstTimeout(request))]
  };
}

/** The requests to send again after a timeout (on a fresh comm). */
export function requestsToResend(state: IModelState): Request[] {
  const resent = new Set(state.resent);
  return state.awaiting.filter(request => request.id !== undefined && resent.has(request.id));
}
