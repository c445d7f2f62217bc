/**
 * The `jupyter_seed` comm protocol, version 1. The contract is ONE file,
 * `jupyter_seed/kernel/protocol.schema.json`; jest checks these types, constants,
 * validators and the fixtures (dumped from a real kernel) against it.
 *
 * Pure data and validation only: no JupyterLab imports, so jest can test it
 * without a browser. Every message that arrives is checked field by field;
 * anything that does not fit is refused (the caller logs and ignores it).
 */

export const PROTOCOL_VERSION = 1;
export const COMM_TARGET = 'jupyter_seed';
export const MAX_SEED = 2 ** 32 - 1;
/** The only code the front end ever sends to a kernel: a fixed string. */
export const LOAD_EXTENSION_CODE = '%load_ext jupyter_seed';

export const PER_CELL_MODES = ['off', 'same', 'derived'] as const;
export const DETERMINISTIC_MODES = ['off', 'strict', 'warn'] as const;
export const FIX_IDS = ['deterministic', 'patch_default_rng', 'per_cell', 'kernelspec'] as const;
export const RISK_IDS = [
  'hash_seed_random',
  'cuda_before_cublas',
  'cudnn_benchmark',
  'tf32',
  'default_rng_unpatched',
  'per_cell_off',
  'deterministic_off'
] as const;
/** The kernelspec the `kernelspec` fix installs; the notebook then switches to it. */
export const SEEDED_KERNELSPEC = 'python3-seeded';
export type FixId = (typeof FIX_IDS)[number];
export type RiskId = (typeof RISK_IDS)[number];
export type PerCellMode = (typeof PER_CELL_MODES)[number];
export type DeterministicMode = (typeof DETERMINISTIC_MODES)[number];

export type Scalar = boolean | number | string | null;

export interface ISourceState {
  name: string;
  label: string;
  loaded: boolean;
  version: string | null;
  seeded: boolean;
  seeded_with: number | null;
  global_state: boolean;
  determinism: Record<string, Scalar>;
  error: string | null;
}

/** A reproducibility risk in the kernel now, with the fix the toolbar can apply. */
export interface IRisk {
  id: RiskId;
  message: string;
  fix: FixId | null;
}

/** `jupyter_seed.state()` plus the risks in the kernel now: the kernel's contract with the toolbar. */
export interface IKernelState {
  protocol?: number;
  version: string;
  extension_loaded: boolean;
  seed: number | null;
  seed_origin: string | null;
  applied_seed: number | null;
  per_cell: PerCellMode;
  deterministic: DeterministicMode;
  patch_default_rng: boolean;
  /** DataLoader worker seeding (absent in kernels without it). */
  workers?: boolean;
  /** Pool tasks and started processes are seeded (absent in kernels without it). */
  processes?: boolean;
  sources: ISourceState[];
  failed: string[];
  warnings: string[];
  risks: IRisk[];
  /** What the notebook records in `metadata.jupyter_seed.provenance`. */
  provenance?: Record<string, unknown>;
}

/**
 * A front-end request. `id` (1-64 characters, optional) is named in the kernel's
 * answer: `answered` of the next `state`, or `id` of an `error`.
 */
export type Request = (
  | { type: 'get_state' }
  | { type: 'set_seed'; seed: number }
  | { type: 'set_per_cell'; mode: PerCellMode }
  | { type: 'set_deterministic'; mode: DeterministicMode }
  | {
      type: 'configure';
      seed: number;
      per_cell: PerCellMode;
      deterministic: DeterministicMode;
    }
  | { type: 'apply_fix'; fix: FixId }
  | { type: 'set_workers'; enabled: boolean }
) & { id?: string };

export const MAX_ID_LENGTH = 64;
/** The kernel's error texts are one line of at most this many characters. */
export const MAX_ERROR_LENGTH = 500;

export type KernelMessage =
  | {
      protocol: 1;
      type: 'state';
      state: IKernelState;
      /** Requests the kernel queued because a cell was running (applied after it). */
      pending: Request[];
      /** Ids of the requests applied since the previous state. */
      answered: string[];
    }
  | { protocol: 1; type: 'error'; request: string | null; id: string | null; message: string };

/** The wire form of a request: the request plus the protocol version. */
export function encodeRequest(request: Request): { protocol: 1 } & Request {
  return { protocol: PROTOCOL_VERSION, ...request };
}

// ----------------------------------------------------------------- checks
type Check = (value: unknown) => boolean;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString: Check = v => typeof v === 'string';
const isBool: Check = v => typeof v === 'boolean';
const isInt: Check = v => typeof v === 'number' && Number.isSafeInteger(v);
const isRequestId: Check = v => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;
const isScalar: Check = v => v === null || ['boolean', 'number', 'string'].includes(typeof v);
const orNull =
  (check: Check): Check =>
  v =>
    v === null || check(v);
const oneOf =
  (values: readonly string[]): Check =>
  v =>
    typeof v === 'string' && values.includes(v);
const listOf =
  (check: Check): Check =>
  v =>
    Array.isArray(v) && v.every(check);

export function isValidSeed(value: unknown): value is number {
  return isInt(value) && (value as number) >= 0 && (value as number) <= MAX_SEED;
}

/** Exactly these keys, each passing its check: extra or missing keys refuse the object. */
function hasShape(
  value: unknown,
  shape: Record<string, Check>,
  optional: Record<string, Check> = {}
): value is Record<string, unknown> {
  if (!isObject(value)) {
    return false;
  }
  for (const [key, check] of Object.entries(shape)) {
    if (!(key in value) || !check(value[key])) {
      return false;
    }
  }
  return Object.keys(value).every(key => key in shape || (key in optional && optional[key](value[key])));
}

const SOURCE_SHAPE: Record<string, Check> = {
  name: isString,
  label: isString,
  loaded: isBool,
  version: orNull(isString),
  seeded: isBool,
  // A framework's own seed (torch's initial_seed) may pass 2**53: JSON keeps it, JS rounds it.
  seeded_with: orNull(v => typeof v === 'number' && Number.isInteger(v)),
  global_state: isBool,
  determinism: v => isObject(v) && Object.values(v).every(isScalar),
  error: orNull(isString)
};

const RISK_SHAPE: Record<string, Check> = {
  id: oneOf(RISK_IDS),
  message: isString,
  fix: orNull(oneOf(FIX_IDS))
};

const STATE_SHAPE: Record<string, Check> = {
  version: isString,
  extension_loaded: isBool,
  seed: orNull(isValidSeed),
  seed_origin: orNull(isString),
  applied_seed: orNull(isValidSeed),
  per_cell: oneOf(PER_CELL_MODES),
  deterministic: oneOf(DETERMINISTIC_MODES),
  patch_default_rng: isBool,
  sources: listOf(v => hasShape(v, SOURCE_SHAPE)),
  failed: listOf(isString),
  warnings: listOf(isString),
  risks: listOf(v => hasShape(v, RISK_SHAPE))
};

const STATE_OPTIONAL: Record<string, Check> = {
  protocol: v => v === PROTOCOL_VERSION,
  workers: isBool,
  processes: isBool,
  provenance: isObject
};

const REQUEST_SHAPES: Record<Request['type'], Record<string, Check>> = {
  get_state: {},
  set_seed: { seed: isValidSeed },
  set_per_cell: { mode: oneOf(PER_CELL_MODES) },
  set_deterministic: { mode: oneOf(DETERMINISTIC_MODES) },
  configure: {
    seed: isValidSeed,
    per_cell: oneOf(PER_CELL_MODES),
    deterministic: oneOf(DETERMINISTIC_MODES)
  },
  apply_fix: { fix: oneOf(FIX_IDS) },
  set_workers: { enabled: isBool }
};

export function parseRequest(value: unknown): Request | null {
  if (!isObject(value) || typeof value.type !== 'string') {
    return null;
  }
  if (!Object.prototype.hasOwnProperty.call(REQUEST_SHAPES, value.type)) {
    return null;
  }
  const shape = REQUEST_SHAPES[value.type as Request['type']];
  return hasShape(value, { type: isString, ...shape }, { id: isRequestId }) ? (value as Request) : null;
}

/** A kernel → front-end message, or `null` when it does not fit protocol 1. */
export function parseKernelMessage(value: unknown): KernelMessage | null {
  if (!isObject(value) || value.protocol !== PROTOCOL_VERSION) {
    return null;
  }
  const base = { protocol: isInt, type: isString };
  if (value.type === 'state') {
    const ok = hasShape(value, {
      ...base,
      state: v => hasShape(v, STATE_SHAPE, STATE_OPTIONAL),
      pending: listOf(v => parseRequest(v) !== null),
      answered: listOf(isRequestId)
    });
    return ok ? (value as KernelMessage) : null;
  }
  if (value.type === 'error') {
    const ok = hasShape(value, {
      ...base,
      request: orNull(isString),
      id: orNull(isRequestId),
      message: v => typeof v === 'string' && v.length <= MAX_ERROR_LENGTH && !/[\n\r]/.test(v)
    });
    return ok ? (value as KernelMessage) : null;
  }
  return null;
}

/** Code that may have loaded (or unloaded) the extension: the toolbar probes after it runs. */
export function mayLoadExtension(code: unknown): boolean {
  return typeof code === 'string' && code.includes('jupyter_seed');
}

/** A seed typed by a person: decimal digits only, in [0, 2**32-1]. */
export function parseSeedInput(text: string): { ok: true; seed: number } | { ok: false; reason: string } {
  const trimmed = text.trim();
  if (!/^[0-9]{1,10}$/.test(trimmed)) {
    return { ok: false, reason: `A seed is a whole number from 0 to ${MAX_SEED}.` };
  }
  const seed = Number(trimmed);
  if (!isValidSeed(seed)) {
    return { ok: false, reason: `A seed is a whole number from 0 to ${MAX_SEED}.` };
  }
  return { ok: true, seed };
}

/** The validators' field lists, for the test that compares them with the schema file. */
export const SHAPES = {
  requestTypes: Object.keys(REQUEST_SHAPES),
  requestFields: Object.fromEntries(
    Object.entries(REQUEST_SHAPES).map(([type, shape]) => [type, Object.keys(shape)])
  ),
  stateRequired: Object.keys(STATE_SHAPE),
  stateOptional: Object.keys(STATE_OPTIONAL),
  source: Object.keys(SOURCE_SHAPE),
  risk: Object.keys(RISK_SHAPE)
};
