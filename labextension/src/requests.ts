/**
 * The requests the toolbar's clicks send: data from fixed sets, never code. Pure,
 * tested with jest (test/risks.spec.ts, test/model.spec.ts).
 */

import { FixId, IKernelState, PerCellMode, Request } from './protocol';

/** The request a risk's fix button sends. */
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
