/**
 * Fixtures for the model and protocol tests: real kernel messages, dumped by
 * tests/kernel/test_protocol_schema.py from a fresh interpreter with NumPy and
 * PyTorch seeded (never written by hand). schema.spec.ts checks them against the schema.
 */
import { IKernelState, KernelMessage, Request } from '../src/protocol';

// jest's CommonJS require reads JSON; no Node typings are needed for that.
declare const require: (path: string) => unknown;

/** The protocol's JSON Schema: the file the kernel validates with. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const SCHEMA: any = require('../../jupyter_seed/kernel/protocol.schema.json');

/** The dumped messages by name: `unseeded`, `seeded`, `configured`, `error`. */
export const DUMPED = require('./fixtures/state.json') as Record<string, KernelMessage>;

/** The kernel's state after `seed_everything(3407)`, with random, NumPy and PyTorch loaded. */
export function kernelState(overrides: Partial<IKernelState> = {}): IKernelState {
  const seeded = DUMPED.seeded;
  if (seeded.type !== 'state') {
    throw new Error('fixture "seeded" is not a state message');
  }
  return { ...JSON.parse(JSON.stringify(seeded.state)), ...overrides };
}

export function stateMessage(
  overrides: Partial<IKernelState> = {},
  pending: Request[] = [],
  answered: string[] = []
): KernelMessage {
  return { protocol: 1, type: 'state', state: kernelState(overrides), pending, answered };
}
