import { metadataOf, metadataRequest, parseMetadata, sameMetadata } from '../src/metadata';
import { badgeOf, viewOf } from '../src/display';
import { IModelState, INITIAL_STATE, ModelEvent, pendingOf, reduce } from '../src/reducer';
import { toggledPerCell } from '../src/requests';
import { Request } from '../src/protocol';
import { kernelState, stateMessage } from './fixtures';

function run(...events: ModelEvent[]): IModelState {
  return events.reduce(reduce, INITIAL_STATE);
}

const attached: ModelEvent = { type: 'kernel_changed', hasKernel: true };
const python: ModelEvent = { type: 'language', name: 'python' };
const loaded = (overrides = {}, pending: Request[] = [], answered: string[] = []): ModelEvent => ({
  type: 'message',
  message: stateMessage(overrides, pending, answered)
});

describe('lifecycle', () => {
  it('starts with no kernel', () => {
    expect(badgeOf(INITIAL_STATE)).toBe('no kernel');
    expect(viewOf(INITIAL_STATE).seedAction).toBeNull();
  });

  it('waits for the kernel after it is attached', () => {
    expect(run(attached).phase).toBe('connecting');
    expect(badgeOf(run(attached))).toBe('…');
  });

  it('shows n/a for a non-Python kernel', () => {
    const state = run(attached, { type: 'language', name: 'R' });
    expect(badgeOf(state)).toBe('n/a');
    expect(viewOf(state).seedAction).toBeNull();
    expect(viewOf(state).perCellEnabled).toBe(false);
  });

  it('stays n/a when the comm is closed in a non-Python kernel', () => {
    expect(badgeOf(run(attached, { type: 'language', name: 'julia' }, { type: 'comm_closed' }))).toBe('n/a');
  });

  it('shows not loaded when the kernel refuses the comm', () => {
    const state = run(attached, python, { type: 'comm_closed' });
    expect(badgeOf(state)).toBe('not loaded');
    expect(viewOf(state).seedAction).toBe('load');
  });

  it('shows the seed once the state arrives', () => {
    const state = run(attached, python, loaded());
    expect(state.phase).toBe('loaded');
    expect(viewOf(state).seedLabel).toBe('3407');
    expect(badgeOf(state)).toBe('seeded');
  });

  it('goes from not loaded to loaded when the extension is loaded later', () => {
    expect(badgeOf(run(attached, python, { type: 'comm_closed' }, loaded({ seed: null })))).toBe('unseeded');
  });

  it.each(['restarting', 'autorestarting', 'starting'])('resets on %s', status => {
    const state = run(attached, python, loaded(), { type: 'kernel_status', status });
    expect(state).toEqual({ ...INITIAL_STATE, phase: 'connecting' });
  });

  it('shows the restarted kernel state (not loaded) after a restart', () => {
    const state = run(
      attached,
      python,
      loaded(),
      { type: 'kernel_status', status: 'restarting' },
      { type: 'kernel_status', status: 'idle' },
      python,
      { type: 'comm_closed' }
    );
    expect(badgeOf(state)).toBe('not loaded');
  });

  it('keeps its state across busy and idle', () => {
    const before = run(attached, python, loaded());
    const after = reduce(reduce(before, { type: 'kernel_status', status: 'busy' }), {
      type: 'kernel_status',
      status: 'idle'
    });
    expect(after).toBe(before);
  });

  it.each(['dead', 'terminating'])('shows no kernel when it is %s', status => {
    expect(badgeOf(run(attached, python, loaded(), { type: 'kernel_status', status }))).toBe('no kernel');
  });

  it('resets on a change of kernel', () => {
    expect(run(attached, python, loaded(), attached)).toEqual({ ...INITIAL_STATE, phase: 'connecting' });
    expect(badgeOf(run(attached, python, loaded(), { type: 'kernel_changed', hasKernel: false }))).toBe(
      'no kernel'
    );
  });

  it('shows not loaded after the extension is unloaded', () => {
    expect(badgeOf(run(attached, python, loaded(), { type: 'comm_closed' }))).toBe('not loaded');
    expect(badgeOf(run(attached, python, loaded(), loaded({ extension_loaded: false })))).toBe('not loaded');
  });
});

describe('badge', () => {
  it.each([
    [{ seed: null }, 'unseeded'],
    [{ deterministic: 'off' }, 'seeded'],
    [{ deterministic: 'strict' }, 'deterministic'],
    [{ deterministic: 'warn' }, 'deterministic']
  ])('%j is %s', (overrides, badge) => {
    expect(badgeOf(run(attached, python, loaded(overrides)))).toBe(badge);
  });
});

describe('view', () => {
  it('says "unseeded" once (the badge) and offers to set a seed, per-cell toggle off', () => {
    const view = viewOf(run(attached, python, loaded({ seed: null })));
    expect(view.badge).toBe('unseeded');
    expect(view.seedLabel).toBe('set seed');
    expect(view.perCellEnabled).toBe(false);
    expect(view.seedAction).toBe('set_seed');
  });

  it('shows the per-cell mode', () => {
    const view = viewOf(run(attached, python, loaded({ per_cell: 'derived' })));
    expect(view.perCell).toBe('derived');
    expect(view.perCellEnabled).toBe(true);
  });

  it('lists sources, flags and warnings in the tooltip', () => {
    const tooltip = viewOf(
      run(attached, python, loaded({ warnings: ['PYTHONHASHSEED is not set'], failed: ['torch'] }))
    ).tooltip;
    expect(tooltip).toContain('seed 3407');
    expect(tooltip).toMatch(/Python random [\d.]+: seeded with 3407/);
    expect(tooltip).toMatch(/PyTorch 2\.\d+\.\d+\S*: seeded with 3407 \(.*deterministic_algorithms=false/);
    expect(tooltip).toContain('not imported (seeded on import): TensorFlow, Keras, JAX');
    expect(tooltip).toContain('⚠ PYTHONHASHSEED is not set');
  });

  it('shows pending requests until the kernel applies them', () => {
    const pending = run(attached, python, loaded({}, [{ type: 'set_seed', seed: 7 }]));
    expect(viewOf(pending).pending).toBe(true);
    expect(viewOf(pending).tooltip).toContain('pending until the running cell finishes: seed 7');
    const applied = reduce(pending, loaded({ seed: 7 }));
    expect(viewOf(applied).pending).toBe(false);
    expect(viewOf(applied).seedLabel).toBe('7');
  });

  it('shows a sent request as pending until the kernel names it as answered', () => {
    const request: Request = { type: 'set_seed', seed: 8, id: 'p-1' };
    const sent = reduce(run(attached, python, loaded()), { type: 'request_sent', request });
    expect(viewOf(sent).pending).toBe(true);
    expect(viewOf(sent).tooltip).toContain('seed 8');
    // A push caused by something else (a magic in the running cell) does not answer it.
    const unrelated = reduce(sent, loaded({ seed: 9 }));
    expect(viewOf(unrelated).pending).toBe(true);
    // Queued in the kernel: listed once, not twice.
    const queued = reduce(unrelated, loaded({ seed: 9 }, [request]));
    expect(pendingOf(queued)).toEqual([request]);
    const applied = reduce(queued, loaded({ seed: 8 }, [], ['p-1']));
    expect(viewOf(applied).pending).toBe(false);
    expect(viewOf(applied).seedLabel).toBe('8');
  });

  it('shows a refused request until the next one is sent', () => {
    const request: Request = { type: 'set_per_cell', mode: 'same', id: 'p-2' };
    const sent = reduce(run(attached, python, loaded()), { type: 'request_sent', request });
    const refused = reduce(sent, {
      type: 'message',
      message: { protocol: 1, type: 'error', request: 'set_per_cell', id: 'p-2', message: 'needs a seed' }
    });
    expect(viewOf(refused).tooltip).toContain('kernel refused the last request: needs a seed');
    expect(viewOf(refused).seedLabel).toBe('3407');
    expect(viewOf(refused).pending).toBe(false);
    expect(
      reduce(refused, { type: 'request_sent', request: { type: 'get_state', id: 'p-3' } }).error
    ).toBeNull();
  });

  it('forgets unanswered requests when the kernel restarts', () => {
    const sent = reduce(run(attached, python, loaded()), {
      type: 'request_sent',
      request: { type: 'set_seed', seed: 1, id: 'p-4' }
    });
    expect(pendingOf(reduce(sent, { type: 'kernel_status', status: 'restarting' }))).toEqual([]);
  });

  it('passes its strings through the translator', () => {
    const translate = (text: string, ...args: unknown[]) => `[${text}]${args.join(',')}`;
    expect(viewOf(run(attached, python, loaded({ seed: null })), translate).seedLabel).toBe('[set seed]');
  });
});

describe('per-cell toggle', () => {
  it('switches off to the configured mode and back', () => {
    expect(toggledPerCell('off', 'derived')).toEqual({ type: 'set_per_cell', mode: 'derived' });
    expect(toggledPerCell('off', 'off')).toEqual({ type: 'set_per_cell', mode: 'same' });
    expect(toggledPerCell('same', 'derived')).toEqual({ type: 'set_per_cell', mode: 'off' });
  });
});

describe('notebook metadata', () => {
  it('accepts validated fields only', () => {
    expect(parseMetadata({ seed: 5, per_cell: 'same', deterministic: 'warn', code: 'x' })).toEqual({
      seed: 5,
      per_cell: 'same',
      deterministic: 'warn'
    });
    expect(parseMetadata({ seed: 5 })).toEqual({ seed: 5, per_cell: 'off', deterministic: 'off' });
  });

  it.each([
    [null],
    ['5'],
    [[5]],
    [{ seed: '5' }],
    [{ seed: -1 }],
    [{ seed: 2 ** 32 }],
    [{ seed: 5, per_cell: 'sometimes' }],
    [{ seed: 5, deterministic: true }]
  ])('refuses %j', value => {
    expect(parseMetadata(value)).toBeNull();
  });

  it('remembers only a seeded configuration', () => {
    expect(metadataOf(kernelState({ per_cell: 'same' }))).toMatchObject({
      seed: 3407,
      per_cell: 'same',
      deterministic: 'off'
    });
    expect(metadataOf(kernelState({ seed: null }))).toBeNull();
    expect(metadataOf(null)).toBeNull();
  });

  it('applies metadata only to an unseeded kernel', () => {
    const metadata = { seed: 5, per_cell: 'same' as const, deterministic: 'strict' as const };
    expect(metadataRequest(kernelState({ seed: null }), metadata)).toEqual({
      type: 'configure',
      ...metadata
    });
    expect(metadataRequest(kernelState(), metadata)).toBeNull();
    expect(metadataRequest(kernelState({ seed: null }), null)).toBeNull();
  });

  it('compares configurations', () => {
    const a = { seed: 1, per_cell: 'off' as const, deterministic: 'off' as const };
    expect(sameMetadata(a, { ...a })).toBe(true);
    expect(sameMetadata(a, { ...a, seed: 2 })).toBe(false);
    expect(sameMetadata(a, null)).toBe(false);
    expect(sameMetadata(null, null)).toBe(true);
  });
});
