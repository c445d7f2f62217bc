import { ISeedMetadata } from '../src/metadata';
import { KernelMessage, SEEDED_KERNELSPEC } from '../src/protocol';
import {
  FRESH_START,
  IStartupInputs,
  IStartupState,
  onKernelMessage,
  onRefused,
  onRequestSent
} from '../src/startup';
import { DUMPED, stateMessage } from './fixtures';

const NOTEBOOK: ISeedMetadata = { seed: 5, per_cell: 'same', deterministic: 'strict' };
const nothing: IStartupInputs = { autoLoad: false, metadata: null };
const withMetadata: IStartupInputs = { autoLoad: false, metadata: NOTEBOOK };
const unseeded = stateMessage({ seed: null });
const seeded = stateMessage();

describe('auto-load when the kernel refuses the comm', () => {
  it('loads once per kernel process when the setting asks for it', () => {
    const first = onRefused(FRESH_START, 'not_loaded', { autoLoad: true, metadata: null });
    expect(first.actions).toEqual([{ type: 'load_extension' }]);
    expect(onRefused(first.state, 'not_loaded', { autoLoad: true, metadata: null }).actions).toEqual([]);
  });

  it('loads when the notebook carries a configuration, even with the setting off', () => {
    expect(onRefused(FRESH_START, 'not_loaded', withMetadata).actions).toEqual([{ type: 'load_extension' }]);
  });

  it('does nothing when neither asks, or the kernel is not a Python one', () => {
    expect(onRefused(FRESH_START, 'not_loaded', nothing)).toEqual({ state: FRESH_START, actions: [] });
    expect(onRefused(FRESH_START, 'not_python', { autoLoad: true, metadata: NOTEBOOK }).actions).toEqual([]);
  });

  it('never reloads in a kernel process where the extension was seen loaded (an unload is respected)', () => {
    const seen = onKernelMessage(FRESH_START, seeded, nothing, false).state;
    expect(seen.autoLoadTried).toBe(true);
    expect(onRefused(seen, 'not_loaded', { autoLoad: true, metadata: null }).actions).toEqual([]);
  });
});

describe('notebook metadata on kernel start', () => {
  it('configures a fresh unseeded kernel once, and remembers only what the kernel reports after', () => {
    const first = onKernelMessage(FRESH_START, unseeded, withMetadata, false);
    expect(first.actions).toEqual([{ type: 'send', request: { type: 'configure', ...NOTEBOOK } }]);
    const again = onKernelMessage(first.state, unseeded, withMetadata, false);
    expect(again.actions).toEqual([]); // unseeded: nothing to remember, and never configured twice
    const configured = stateMessage({ seed: 5, per_cell: 'same', deterministic: 'strict' });
    const after = onKernelMessage(again.state, configured, withMetadata, false);
    expect(after.actions).toEqual([
      { type: 'remember', metadata: expect.objectContaining({ seed: 5, per_cell: 'same' }) }
    ]);
  });

  it('leaves a kernel that already has a seed alone and remembers its configuration', () => {
    const step = onKernelMessage(FRESH_START, seeded, withMetadata, false);
    expect(step.actions).toEqual([{ type: 'remember', metadata: expect.objectContaining({ seed: 3407 }) }]);
    expect(step.state.metadataApplied).toBe(true);
  });

  it('does not remember while requests are still pending', () => {
    const applied: IStartupState = { ...FRESH_START, metadataApplied: true };
    expect(onKernelMessage(applied, seeded, nothing, true).actions).toEqual([]);
  });

  it('ignores a state from a kernel without the extension loaded', () => {
    const unloaded = stateMessage({ extension_loaded: false });
    expect(onKernelMessage(FRESH_START, unloaded, withMetadata, false)).toEqual({
      state: FRESH_START,
      actions: []
    });
  });
});

describe('the kernelspec fix', () => {
  const fix = { type: 'apply_fix' as const, fix: 'kernelspec' as const, id: 'k-1' };

  it('switches the notebook to the seeded kernel once the kernel answers the fix', () => {
    const sent = onRequestSent(FRESH_START, fix);
    expect(sent.switchWhenAnswered).toEqual(['k-1']);
    const unrelated = onKernelMessage(sent, seeded, nothing, false); // a push that does not answer it
    expect(unrelated.actions.map(action => action.type)).not.toContain('switch_kernel');
    expect(unrelated.state.switchWhenAnswered).toEqual(['k-1']);
    const answered = onKernelMessage(sent, stateMessage({}, [], ['k-1']), nothing, false);
    expect(answered.actions).toEqual([{ type: 'switch_kernel', name: SEEDED_KERNELSPEC }]);
    expect(answered.state.switchWhenAnswered).toEqual([]);
  });

  it('does not switch when the kernel refuses the fix', () => {
    const refused: KernelMessage = { ...(DUMPED.error as KernelMessage), id: 'k-1' } as KernelMessage;
    const step = onKernelMessage(onRequestSent(FRESH_START, fix), refused, nothing, false);
    expect(step).toEqual({ state: FRESH_START, actions: [] });
  });

  it('tracks no other request', () => {
    expect(onRequestSent(FRESH_START, { type: 'apply_fix', fix: 'deterministic', id: 'd-1' })).toBe(
      FRESH_START
    );
    expect(onRequestSent(FRESH_START, { type: 'set_seed', seed: 1, id: 's-1' })).toBe(FRESH_START);
  });
});
