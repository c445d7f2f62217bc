import { INITIAL_STATE, IModelState } from '../src/reducer';
import { metadataAtSave, refreshAfterExecution } from '../src/saving';
import { kernelState } from './fixtures';

function loaded(overrides = {}): IModelState {
  return { ...INITIAL_STATE, phase: 'loaded', kernel: kernelState(overrides) };
}

describe('provenance at save', () => {
  it('writes the configuration and the kernel provenance of a seeded kernel', () => {
    const state = loaded({ provenance: { seed: 3407, frameworks: { torch: '2.0' }, precision: {} } });
    const written = metadataAtSave(state, { other: 'kept' });
    expect(written).toEqual({
      other: 'kept',
      seed: 3407,
      per_cell: state.kernel?.per_cell,
      deterministic: state.kernel?.deterministic,
      provenance: { seed: 3407, frameworks: { torch: '2.0' }, precision: {} }
    });
  });

  it('leaves metadata that is already fresh alone', () => {
    const state = loaded();
    const first = metadataAtSave(state, undefined);
    expect(first).not.toBeNull();
    expect(metadataAtSave(state, first)).toBeNull();
  });

  it('replaces stale provenance, as after a framework was imported', () => {
    const before = metadataAtSave(loaded({ provenance: { frameworks: {} } }), undefined);
    const after = metadataAtSave(loaded({ provenance: { frameworks: { jax: '0.4' } } }), before);
    expect(after?.provenance).toEqual({ frameworks: { jax: '0.4' } });
  });

  it('records provenance only for an unseeded kernel, dropping a stale configuration', () => {
    const written = metadataAtSave(loaded({ seed: null }), {
      seed: 5,
      per_cell: 'off',
      deterministic: 'off'
    });
    expect(written).not.toBeNull();
    expect(Object.keys(written ?? {})).toEqual(['provenance']);
  });

  it('writes nothing without a loaded kernel', () => {
    expect(metadataAtSave(INITIAL_STATE, { seed: 1 })).toBeNull();
    expect(metadataAtSave({ ...loaded(), phase: 'not_loaded' }, undefined)).toBeNull();
  });
});

describe('state refresh after an execution', () => {
  it('asks a loaded kernel that nothing else waits on', () => {
    expect(refreshAfterExecution('loaded', 0)).toBe(true);
    expect(refreshAfterExecution('loaded', 1)).toBe(false);
    expect(refreshAfterExecution('not_loaded', 0)).toBe(false);
  });
});
