/**
 * Provenance at save: `metadata.jupyter_seed.provenance` must describe the kernel that
 * made the outputs being saved. The connection re-reads the kernel's state after each
 * execution in a kernel with jupyter_seed loaded (an import or a precision switch
 * changes the provenance without changing the configuration), and the notebook's save
 * writes the latest provenance into the metadata synchronously, before JupyterLab
 * serialises the model. Pure: tested with jest (test/saving.spec.ts).
 */

import { METADATA_KEY, provenanceOf } from './metadata';
import { IModelState, Phase } from './reducer';

export { METADATA_KEY };

/** Whether an execution that just finished should be followed by a `get_state`. */
export function refreshAfterExecution(phase: Phase, awaiting: number): boolean {
  // Only a loaded kernel has state to read; a request already waiting brings the state back anyway.
  return phase === 'loaded' && awaiting === 0;
}

/**
 * `metadata.jupyter_seed` to write as the notebook is saved, or `null` to leave it.
 * Keeps what the record holds besides the configuration and provenance; a kernel
 * without a seed records its provenance only (nothing to apply to a fresh kernel).
 */
export function metadataAtSave(state: IModelState, existing: unknown): Record<string, unknown> | null {
  const kernel = state.kernel;
  if (state.phase !== 'loaded' || !kernel || !kernel.extension_loaded) {
    return null;
  }
  const record: Record<string, unknown> =
    typeof existing === 'object' && existing !== null && !Array.isArray(existing)
      ? { ...(existing as Record<string, unknown>) }
      : {};
  let next: Record<string, unknown>;
  if (kernel.seed === null) {
    next = { ...record, provenance: provenanceOf(kernel) };
    for (const key of ['seed', 'per_cell', 'deterministic']) {
      delete next[key]; // unseeded now: a stale configuration must not be applied to the next kernel
    }
  } else {
    next = {
      ...record,
      seed: kernel.seed,
      per_cell: kernel.per_cell,
      deterministic: kernel.deterministic,
      provenance: provenanceOf(kernel)
    };
  }
  return JSON.stringify(next) === JSON.stringify(existing ?? null) ? null : next;
}
