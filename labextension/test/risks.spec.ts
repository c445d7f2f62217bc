import { metadataOf, parseMetadata, provenanceOf, sameMetadata } from '../src/metadata';
import { fixLabel, risksOf, viewOf } from '../src/display';
import { IModelState, INITIAL_STATE } from '../src/reducer';
import { fixRequest, toggledWorkers } from '../src/requests';
import { FIX_IDS, IRisk, parseRequest } from '../src/protocol';
import { DUMPED, kernelState } from './fixtures';

const loadedState = (overrides = {}): IModelState => ({
  ...INITIAL_STATE,
  phase: 'loaded',
  kernel: kernelState(overrides)
});

describe('risks list', () => {
  it('lists the kernel risks in order, with a fix button where a fix exists', () => {
    const risks: IRisk[] = [
      { id: 'hash_seed_random', message: 'hash', fix: 'kernelspec' },
      { id: 'tf32', message: 'tf32 on', fix: null }
    ];
    const items = risksOf(risks);
    expect(items.map(item => item.id)).toEqual(['hash_seed_random', 'tf32']);
    expect(items[0].fixLabel).toBe('Install a seeded kernel and switch to it');
    expect(items[1]).toEqual({ id: 'tf32', message: 'tf32 on', fix: null, fixLabel: '' });
  });

  it('shows the risks of a real seeded kernel in the view', () => {
    const view = viewOf(loadedState());
    expect(view.risks.map(item => item.id)).toContain('deterministic_off');
    expect(view.risks.find(item => item.id === 'deterministic_off')?.fix).toBe('deterministic');
  });

  it('has no risks to show without a loaded kernel', () => {
    expect(viewOf({ ...loadedState(), phase: 'not_loaded', kernel: null }).risks).toEqual([]);
  });

  it.each([...FIX_IDS])('turns the %s fix into a request that fits the protocol', fix => {
    const request = fixRequest(fix);
    expect(request).toEqual({ type: 'apply_fix', fix });
    expect(parseRequest(request)).toEqual(request);
    expect(fixLabel(fix)).not.toBe('');
  });
});

describe('DataLoader workers toggle', () => {
  it('switches the kernel value', () => {
    expect(toggledWorkers(kernelState({ workers: false }))).toEqual({ type: 'set_workers', enabled: true });
    expect(toggledWorkers(kernelState({ workers: true }))).toEqual({ type: 'set_workers', enabled: false });
  });

  it('is absent when the kernel does not report workers', () => {
    const kernel = kernelState();
    delete kernel.workers;
    expect(toggledWorkers(kernel)).toBeNull();
    expect(viewOf({ ...loadedState(), kernel }).workers).toBeNull();
    expect(viewOf(loadedState({ workers: true })).workers).toBe(true);
  });
});

describe('provenance', () => {
  it('is derived from a real state: seed, modes, framework versions, device, hash seed', () => {
    const kernel = kernelState({ deterministic: 'strict' });
    delete kernel.provenance; // a kernel without its own provenance
    const provenance = provenanceOf(kernel);
    expect(provenance).toMatchObject({ seed: 3407, per_cell: 'off', deterministic: 'strict', device: 'cpu' });
    expect(Object.keys(provenance.frameworks as object)).toEqual(expect.arrayContaining(['numpy', 'torch']));
    expect(provenance.hash_seed_fixed).toBe(false);
  });

  it('prefers the kernel provenance when it sends one', () => {
    expect(provenanceOf(kernelState({ provenance: { seed: 1, device: 'cuda' } }))).toEqual({
      seed: 1,
      device: 'cuda'
    });
  });

  it('is written with the configuration and survives a round trip through the file', () => {
    const metadata = metadataOf(kernelState());
    expect(metadata?.provenance).toBeDefined();
    const stored = JSON.parse(JSON.stringify(metadata));
    expect(sameMetadata(parseMetadata(stored), metadata)).toBe(true);
    const configured = DUMPED.configured;
    expect(configured.type === 'state' && sameMetadata(metadataOf(configured.state), metadata)).toBe(false);
  });
});
