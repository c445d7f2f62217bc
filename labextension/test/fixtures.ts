import { IKernelState, KernelMessage, Request } from '../src/protocol';

export function kernelState(overrides: Partial<IKernelState> = {}): IKernelState {
  return {
    protocol: 1,
    version: '0.1.0',
    extension_loaded: true,
    seed: 3407,
    seed_origin: 'user',
    applied_seed: 3407,
    per_cell: 'off',
    deterministic: 'off',
    patch_default_rng: false,
    sources: [
      {
        name: 'random',
        label: 'Python random',
        loaded: true,
        version: null,
        seeded: true,
        seeded_with: 3407,
        global_state: true,
        determinism: {},
        error: null
      },
      {
        name: 'torch',
        label: 'PyTorch',
        loaded: true,
        version: '2.13.0',
        seeded: true,
        seeded_with: 3407,
        global_state: true,
        determinism: { deterministic_algorithms: true, cudnn_benchmark: null },
        error: null
      },
      {
        name: 'jax',
        label: 'JAX',
        loaded: false,
        version: null,
        seeded: false,
        seeded_with: null,
        global_state: false,
        determinism: {},
        error: null
      }
    ],
    failed: [],
    warnings: [],
    ...overrides
  };
}

export function stateMessage(
  overrides: Partial<IKernelState> = {},
  pending: Request[] = [],
  answered: string[] = []
): KernelMessage {
  return { protocol: 1, type: 'state', state: kernelState(overrides), pending, answered };
}
