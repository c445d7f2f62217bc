/**
 * What the toolbar item shows for a state (reducer.ts): labels, the badge, the
 * tooltip and the risks list. Pure functions of the state, every string through the
 * translator; tested with jest (test/model.spec.ts, test/risks.spec.ts).
 */

import { FixId, IKernelState, IRisk, PerCellMode, Request } from './protocol';
import { ANSWER_TIMEOUT_MS, IModelState, pendingOf } from './reducer';

export type Badge = 'deterministic' | 'seeded' | 'unseeded' | 'not loaded' | 'n/a' | 'no kernel' | '…';

/** `trans.__` from @jupyterlab/translation: `%1`, `%2`… are replaced by the arguments. */
export type Translate = (text: string, ...args: unknown[]) => string;

export const plainTranslate: Translate = (text, ...args) =>
  text.replace(/%(\d+)/g, (match, index) => {
    const value = args[Number(index) - 1];
    return value === undefined ? match : String(value);
  });

export interface IView {
  /** Text of the seed button after its die icon: `3407`, `set seed`, `load`… */
  seedLabel: string;
  badge: Badge;
  /** The seed button is clickable: set a seed, or load the extension. */
  seedAction: 'set_seed' | 'load' | null;
  perCell: PerCellMode;
  /** Per-cell reseeding needs a loaded extension and a seed. */
  perCellEnabled: boolean;
  pending: boolean;
  /** A short warning when the kernel did not answer a request (`null`: nothing to say). */
  notice: string | null;
  tooltip: string;
  /** DataLoader worker seeding: `null` when the kernel does not offer it. */
  workers: boolean | null;
  /** Reproducibility risks in the kernel now, each with its fix button (if any). */
  risks: IRiskItem[];
}

export interface IRiskItem {
  id: string;
  message: string;
  fix: FixId | null;
  /** Text of the fix button (empty when there is no fix). */
  fixLabel: string;
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

const describeAll = (requests: Request[], trans: Translate) =>
  requests.map(request => describeRequest(request, trans)).join('; ');

function flagText(value: unknown): string {
  return value === null ? '?' : String(value);
}

function kernelLines(kernel: IKernelState, trans: Translate): string[] {
  const lines = [
    kernel.seed === null
      ? trans('jupyter-seed %1: unseeded', kernel.version)
      : trans('jupyter-seed %1: seed %2', kernel.version, kernel.seed),
    trans('per-cell: %1, deterministic: %2', kernel.per_cell, kernel.deterministic)
  ];
  if (kernel.seed !== null && typeof kernel.processes === 'boolean') {
    lines.push(
      kernel.processes
        ? trans('pool tasks and started processes: seeded')
        : trans('pool tasks and started processes: not seeded (--no-processes)')
    );
  }
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
  return lines;
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
      lines.push(
        trans('jupyter-seed is not loaded in this kernel. Click "load" to run %load_ext jupyter_seed.')
      );
      break;
    case 'loaded':
      lines.push(...kernelLines(state.kernel as IKernelState, trans));
      break;
  }
  const resent = state.awaiting.filter(request => request.id && state.resent.includes(request.id));
  const pending = pendingOf(state).filter(request => !resent.includes(request));
  if (pending.length) {
    lines.push(trans('pending until the running cell finishes: %1', describeAll(pending, trans)));
  }
  if (resent.length) {
    lines.push(
      trans(
        'no answer from the kernel in %1 s; sent again: %2',
        ANSWER_TIMEOUT_MS / 1000,
        describeAll(resent, trans)
      )
    );
  }
  if (state.unanswered.length) {
    lines.push(
      trans(
        'the kernel did not answer: %1. The state shown was read again; click again to retry.',
        describeAll(state.unanswered, trans)
      )
    );
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
    // The badge already says "unseeded": the button says what a click does.
    seedLabel = kernel.seed === null ? trans('set seed') : String(kernel.seed);
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
    notice: state.unanswered.length ? trans('no answer') : null,
    tooltip: tooltipOf(state, trans),
    workers: kernel && typeof kernel.workers === 'boolean' ? kernel.workers : null,
    risks: kernel ? risksOf(kernel.risks, trans) : []
  };
}

// ------------------------------------------------------------------- layout
/**
 * Below these widths of the notebook panel the item is compact (badge as a sign,
 * short toggles), then narrow (seed and sign only). The item sits right after the
 * cell-type menu (rank 50, before the spacer), so the items after it move into the
 * toolbar's overflow menu first; these widths keep it beside the standard buttons
 * (about 370 px) in JupyterLab 4 and Notebook 7.
 */
export const COMPACT_BELOW_PX = 900;
export const NARROW_BELOW_PX = 640;

/** The layout for a host of this width. */
export function layoutFor(width: number): 'full' | 'compact' | 'narrow' | null {
  if (width <= 0) {
    return null; // not laid out
  }
  return width < NARROW_BELOW_PX ? 'narrow' : width < COMPACT_BELOW_PX ? 'compact' : 'full';
}

// -------------------------------------------------------------------- risks
const FIX_LABELS: Record<FixId, string> = {
  deterministic: 'Switch deterministic mode on',
  patch_default_rng: 'Patch default_rng()',
  per_cell: 'Reseed every cell',
  kernelspec: 'Install a seeded kernel and switch to it'
};

export function fixLabel(fix: FixId | null, trans: Translate = plainTranslate): string {
  return fix === null ? '' : trans(FIX_LABELS[fix]);
}

/** The risks list, in the kernel's order (most fundamental first). */
export function risksOf(risks: IRisk[], trans: Translate = plainTranslate): IRiskItem[] {
  return risks.map(risk => ({
    id: risk.id,
    message: risk.message,
    fix: risk.fix,
    fixLabel: fixLabel(risk.fix, trans)
  }));
}
