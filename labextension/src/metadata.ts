/**
 * `metadata.jupyter_seed` in the notebook file: the configuration to apply to a
 * fresh kernel, and the provenance recorded whenever the configuration changes.
 * Pure functions, tested with jest (test/model.spec.ts, test/risks.spec.ts).
 */

import {
  DETERMINISTIC_MODES,
  DeterministicMode,
  IKernelState,
  isValidSeed,
  PER_CELL_MODES,
  PerCellMode,
  Request
} from './protocol';

/** `metadata.jupyter_seed` in the notebook file. */
export interface ISeedMetadata {
  seed: number;
  per_cell: PerCellMode;
  deterministic: DeterministicMode;
  /** Written, never read back to configure a kernel. */
  provenance?: Record<string, unknown>;
}

export const METADATA_KEY = 'jupyter_seed';

/**
 * Validated metadata, or `null`. Only an integer seed in range and modes from the
 * fixed sets pass; a missing mode defaults to `off`; anything else in the file is dropped.
 */
export function parseMetadata(value: unknown): ISeedMetadata | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return null;
  }
  const record = value as Record<string, unknown>;
  if (!isValidSeed(record.seed)) {
    return null;
  }
  const perCell = record.per_cell ?? 'off';
  const deterministic = record.deterministic ?? 'off';
  if (
    !(PER_CELL_MODES as readonly unknown[]).includes(perCell) ||
    !(DETERMINISTIC_MODES as readonly unknown[]).includes(deterministic)
  ) {
    return null;
  }
  const parsed: ISeedMetadata = {
    seed: record.seed,
    per_cell: perCell as PerCellMode,
    deterministic: deterministic as DeterministicMode
  };
  const provenance = record.provenance;
  if (typeof provenance === 'object' && provenance !== null && !Array.isArray(provenance)) {
    parsed.provenance = provenance as Record<string, unknown>;
  }
  return parsed;
}

/** What to write to the notebook for this kernel state (`null`: nothing to remember). */
export function metadataOf(kernel: IKernelState | null): ISeedMetadata | null {
  if (!kernel || !kernel.extension_loaded || kernel.seed === null) {
    return null;
  }
  return {
    seed: kernel.seed,
    per_cell: kernel.per_cell,
    deterministic: kernel.deterministic,
    provenance: provenanceOf(kernel)
  };
}

/**
 * The provenance recorded with the configuration: the kernel's own when it sends
 * one, otherwise derived from the state (seed, modes, framework versions, hash seed).
 */
export function provenanceOf(kernel: IKernelState): Record<string, unknown> {
  if (kernel.provenance) {
    return { ...kernel.provenance };
  }
  const frameworks: Record<string, string> = {};
  for (const source of kernel.sources) {
    if (source.loaded && source.version) {
      frameworks[source.name] = source.version;
    }
  }
  const hashSource = kernel.sources.find(source => source.name === 'pythonhashseed');
  const torch = kernel.sources.find(source => source.name === 'torch' && source.loaded);
  const provenance: Record<string, unknown> = {
    jupyter_seed: kernel.version,
    seed: kernel.seed,
    per_cell: kernel.per_cell,
    deterministic: kernel.deterministic,
    patch_default_rng: kernel.patch_default_rng,
    frameworks,
    device: torch && torch.determinism.cuda_initialized === true ? 'cuda' : 'cpu',
    hash_seed_fixed: hashSource ? hashSource.determinism.kernel_hash_seed !== 'random' : null
  };
  if (typeof kernel.workers === 'boolean') {
    provenance.workers = kernel.workers;
  }
  return provenance;
}

export function sameMetadata(a: ISeedMetadata | null, b: ISeedMetadata | null): boolean {
  return (
    a === b ||
    (a !== null &&
      b !== null &&
      a.seed === b.seed &&
      a.per_cell === b.per_cell &&
      a.deterministic === b.deterministic &&
      JSON.stringify(a.provenance ?? null) === JSON.stringify(b.provenance ?? null))
  );
}

/**
 * The request that applies notebook metadata to a freshly started kernel, or `null`.
 * A kernel that already has a seed (reconnect, second view) is left alone.
 */
export function metadataRequest(kernel: IKernelState, metadata: ISeedMetadata | null): Request | null {
  if (!metadata || kernel.seed !== null) {
    return null;
  }
  return {
    type: 'configure',
    seed: metadata.seed,
    per_cell: metadata.per_cell,
    deterministic: metadata.deterministic
  };
}
