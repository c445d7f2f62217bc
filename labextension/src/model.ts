/**
 * Pure state model of the toolbar item: lifecycle events and kernel messages in,
 * displayed state out. No JupyterLab imports, so every transition is unit-tested
 * with jest (test/model.spec.ts).
 */

import { FixId, IKernelState, IRisk, KernelMessage, PerCellMode, Request } from './protocol';

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
  /** Last `error` answer from the kernel, cleared by the next request. */
  error: string | null;
}

export type ModelEvent =
  | { type: 'kernel_changed'; hasKernel: boolean }
  | { type: 'kernel_status'; status: string }
  | { type: 'language'; name: string }
  | { type: 'comm_closed' }
  | { type: 'request_sent'; request: Request }
  | { type: 'message'; message: KernelMessage };

export const INITIAL_STATE: IModelState = {
  phase: 'no_kernel',
  kernel: null,
  pending: [],
  awaiting: [],
  error: null
};

const RESET_STATUSES = new Set(['starting', 'restarting', 'autorestarting']);
const GONE_STATUSES = new Set(['dead', 'terminating']);

export function reduce(state: IModelState, event: ModelEvent): IModelState {
  switch (event.type) {
    case 'kernel_changed':
      return { ...INITIAL_STATE, phase: event.hasKernel ? 'connecting' : 'no_kernel' };
    case 'kernel_status':
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
      return { ...state, error: null, awaiting: [...state.awaiting, event.request] };
    case 'message': {
      const message = event.message;
      if (message.type === 'error') {
        const awaiting = state.awaiting.filter(request => request.id !== message.id);
        return { ...state, error: message.message, awaiting };
      }
      if (!message.state.extension_loaded) {
        return { ...INITIAL_STATE, phase: 'not_loaded' };
      }
      const answered = new Set(message.answered);
      const awaiting = state.awaiting.filter(request => !request.id || !answered.has(request.id));
      return { ...state, phase: 'loaded', kernel: message.state, pending: message.pending, awaiting };
    }
  }
}

// ------------------------------------------------------------------ display
export type Badge = 'deterministic' | 'seeded' | 'unseeded' | 'not loaded' | 'n/a' | 'no kernel' | '…';

/** `trans.__` from @jupyterlab/translation: `%1`, `%2`… are replaced by the arguments. */
export type Translate = (text: string, ...args: unknown[]) => string;

export const plainTranslate: Translate = (text, ...args) =>
  text.replace(/%(\d+)/g, (match, index) => {
    const value = args[Number(index) - 1];
    return value === undefined ? match : String(value);
  });

export interface IView {
  /** Text of the seed button after its die icon: `3407`, `unseeded`, `load`… */
  seedLabel: string;
  badge: Badge;
  /** The seed button is clickable: set a seed, or load the extension. */
  seedAction: 'set_seed' | 'load' | null;
  perCell: PerCellMode;
  /** Per-cell reseeding needs a loaded extension and a seed. */
  perCellEnabled: boolean;
  pending: boolean;
  tooltip: string;
  /** DataLoader worker seeding: `null` when the kernel does not offer it. */
  workers: boolean | null;
  /** The doctor: risks in the kernel now, each with its fix button (if any). */
  doctor: IDoctorItem[];
}

export interface IDoctorItem {
  id: string;
  message: string;
  fix: FixId | null;
  /** Text of the fix button (empty when there is no fix). */
  fixLabel: string;
}

/**
 * Everything not applied yet: queued in the kernel, or sent and unanswered (ipykernel
 * may hold a comm message behind a running cell before the extension sees it).
 */
export function pendingOf(state: IModelState): Request[] {
  const queued = new Set(state.pending.map(request => request.id).filter(id => id !== undefined));
  return [...state.pending, ...state.awaiting.filter(request => !request.id || !queued.has(request.id))];
}

export function badgeOf(state: IModelState): Badge {
  switch (state.phase) {
    case 'no_kernel':
      return 'no kernel';
    case 'connecting':
      return '…';
    case 'not_python':
      return 'n/a';
    case 'not_loaded':
      return 'not loaded';
    case 'loaded': {
      const kernel = state.kernel as IKernelState;
      if (kernel.seed === null) {
        return 'unseeded';
      }
      return kernel.deterministic === 'off' ? 'seeded' : 'deterministic';
    }
  }
}

function describeRequest(request: Request, trans: Translate): string {
  switch (request.type) {
    case 'get_state':
      return trans('refresh');
    case 'set_seed':
      return trans('seed %1', request.seed);
    case 'set_per_cell':
      return trans('per-cell %1', request.mode);
    case 'set_deterministic':
      return trans('deterministic %1', request.mode);
    case 'configure':
      return trans(
        'seed %1, per-cell %2, deterministic %3',
        request.seed,
        request.per_cell,
        request.deterministic
      );
    case 'apply_fix':
      return trans('fix %1', request.fix);
    case 'set_workers':
      return trans('DataLoader workers %1', request.enabled ? 'on' : 'off');
  }
}

function flagText(value: unknown): string {
  return value === null ? '?' : String(value);
}

export function tooltipOf(state: IModelState, trans: Translate = plainTranslate): string {
  const lines: string[] = [];
  switch (state.phase) {
    case 'no_kernel':
      lines.push(trans('jupyter-seed: no kernel'));
      break;
    case 'connecting':
      lines.push(trans('jupyter-seed: waiting for the kernel…'));
      break;
    case 'not_python':
      lines.push(trans('jupyter-seed: not a Python kernel'));
      break;
    case 'not_loaded':
      lines.push(trans('jupyter-seed is not loaded in this kernel. Click to run %load_ext jupyter_seed.'));
      break;
    case 'loaded': {
      const kernel = state.kernel as IKernelState;
      lines.push(
        kernel.seed === null
          ? trans('jupyter-seed %1: unseeded', kernel.version)
          : trans('jupyter-seed %1: seed %2', kernel.version, kernel.seed)
      );
      lines.push(trans('per-cell: %1, deterministic: %2', kernel.per_cell, kernel.deterministic));
      for (const source of kernel.sources) {
        if (!source.loaded) {
          continue;
        }
        let text = `${source.label}${source.version ? ' ' + source.version : ''}: `;
        if (!source.global_state) {
          text += trans('no global state');
        } else {
          text += source.seeded ? trans('seeded with %1', source.seeded_with) : trans('not seeded');
        }
        const flags = Object.entries(source.determinism).map(([key, value]) => `${key}=${flagText(value)}`);
        if (flags.length) {
          text += ` (${flags.join(', ')})`;
        }
        if (source.error) {
          text += ' — ' + trans('error: %1', source.error);
        }
        lines.push('• ' + text);
      }
      const later = kernel.sources.filter(source => !source.loaded).map(source => source.label);
      if (later.length) {
        lines.push(trans('not imported (seeded on import): %1', later.join(', ')));
      }
      for (const warning of kernel.warnings) {
        lines.push('⚠ ' + warning);
      }
      break;
    }
  }
  const pending = pendingOf(state);
  if (pending.length) {
    const queued = pending.map(request => describeRequest(request, trans)).join('; ');
    lines.push(trans('pending until the running cell finishes: %1', queued));
  }
  if (state.error) {
    lines.push(trans('kernel refused the last request: %1', state.error));
  }
  return lines.join('\n');
}

export function viewOf(state: IModelState, trans: Translate = plainTranslate): IView {
  const kernel = state.phase === 'loaded' ? state.kernel : null;
  let seedLabel: string;
  if (kernel) {
    seedLabel = kernel.seed === null ? trans('unseeded') : String(kernel.seed);
  } else if (state.phase === 'not_loaded') {
    seedLabel = trans('load');
  } else {
    seedLabel = '';
  }
  return {
    seedLabel,
    badge: badgeOf(state),
    seedAction: kernel ? 'set_seed' : state.phase === 'not_loaded' ? 'load' : null,
    perCell: kernel ? kernel.per_cell : 'off',
    perCellEnabled: kernel !== null && kernel.seed !== null,
    pending: pendingOf(state).length > 0,
    tooltip: tooltipOf(state, trans),
    workers: kernel && typeof kernel.workers === 'boolean' ? kernel.workers : null,
    doctor: kernel ? doctorOf(kernel.risks, trans) : []
  };
}

// ------------------------------------------------------------------- doctor
const FIX_LABELS: Record<FixId, string> = {
  deterministic: 'Switch deterministic mode on',
  patch_default_rng: 'Patch default_rng()',
  per_cell: 'Reseed every cell',
  kernelspec: 'Install a seeded kernel and switch to it'
};

export function fixLabel(fix: FixId | null, trans: Translate = plainTranslate): string {
  return fix === null ? '' : trans(FIX_LABELS[fix]);
}

/** The doctor's items, in the kernel's order (most fundamental first). */
export function doctorOf(risks: IRisk[], trans: Translate = plainTranslate): IDoctorItem[] {
  return risks.map(risk => ({
    id: risk.id,
    message: risk.message,
    fix: risk.fix,
    fixLabel: fixLabel(risk.fix, trans)
  }));
}

/** The request a fix button sends: data from a fixed set, never code. */
export function fixRequest(fix: FixId): Request {
  return { type: 'apply_fix', fix };
}

/** The request the DataLoader-workers toggle sends, or `null` when the kernel lacks the feature. */
export function toggledWorkers(kernel: IKernelState | null): Request | null {
  if (!kernel || typeof kernel.workers !== 'boolean') {
    return null;
  }
  return { type: 'set_workers', enabled: !kernel.workers };
}

/** The request the per-cell toggle sends: off → `onMode`, anything else → off. */
export function toggledPerCell(current: PerCellMode, onMode: PerCellMode): Request {
  return { type: 'set_per_cell', mode: current === 'off' ? (onMode === 'off' ? 'same' : onMode) : 'off' };
}
