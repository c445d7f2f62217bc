import { AnswerClock } from '../src/answerClock';
import { COMPACT_BELOW_PX, layoutFor, NARROW_BELOW_PX, viewOf } from '../src/display';
import { Request } from '../src/protocol';
import {
  answerClockRuns,
  IModelState,
  INITIAL_STATE,
  ModelEvent,
  pendingOf,
  reduce,
  requestsToResend
} from '../src/reducer';
import { stateMessage } from './fixtures';

const run = (...events: ModelEvent[]): IModelState => events.reduce(reduce, INITIAL_STATE);
const loaded: ModelEvent[] = [
  { type: 'kernel_changed', hasKernel: true },
  { type: 'language', name: 'python' },
  { type: 'message', message: stateMessage() }
];
const click: Request = { type: 'set_per_cell', mode: 'same', id: 'c-1' };
const sent = run(...loaded, { type: 'request_sent', request: click });
const timeout: ModelEvent = { type: 'answer_timeout' };

describe('the answer clock', () => {
  it('runs while a request waits and no cell runs', () => {
    expect(answerClockRuns(sent, false)).toBe(true);
    expect(answerClockRuns(sent, true)).toBe(false); // queued behind the running cell: wait for it
    expect(answerClockRuns(run(...loaded), false)).toBe(false);
  });

  it('runs while the kernel says a request is pending and no cell runs (it must not stay pending for good)', () => {
    const queued = run(...loaded, { type: 'message', message: stateMessage({}, [click]) });
    expect(answerClockRuns(queued, false)).toBe(true);
  });

  it('does not run before the kernel is known', () => {
    const connecting = run(
      { type: 'kernel_changed', hasKernel: true },
      { type: 'request_sent', request: click }
    );
    expect(answerClockRuns(connecting, false)).toBe(false);
  });
});

describe('a request without an answer', () => {
  it('is sent once more after the first timeout, and says so', () => {
    const once = reduce(sent, timeout);
    expect(requestsToResend(once)).toEqual([click]);
    expect(viewOf(once).pending).toBe(true);
    expect(viewOf(once).tooltip).toContain('no answer from the kernel in 6 s; sent again: per-cell same');
    expect(viewOf(once).tooltip).not.toContain('pending until the running cell finishes');
    expect(viewOf(once).notice).toBeNull();
  });

  it('is reported as unanswered after the second, and the widget stops waiting', () => {
    const twice = reduce(reduce(sent, timeout), timeout);
    expect(pendingOf(twice)).toEqual([]);
    expect(requestsToResend(twice)).toEqual([]);
    expect(answerClockRuns(twice, false)).toBe(false);
    const view = viewOf(twice);
    expect(view.pending).toBe(false);
    expect(view.notice).toBe('no answer');
    expect(view.tooltip).toContain('the kernel did not answer: per-cell same');
    expect(view.seedLabel).toBe('3407'); // the state shown is the kernel's, not the request's
  });

  it('is not reported once the kernel answers it, even late', () => {
    const twice = reduce(reduce(sent, timeout), timeout);
    const late = reduce(twice, {
      type: 'message',
      message: stateMessage({ per_cell: 'same' }, [], ['c-1'])
    });
    expect(viewOf(late).notice).toBeNull();
    const answeredAfterResend = reduce(reduce(sent, timeout), {
      type: 'message',
      message: stateMessage({ per_cell: 'same' }, [], ['c-1'])
    });
    expect(pendingOf(answeredAfterResend)).toEqual([]);
    expect(answeredAfterResend.resent).toEqual([]);
  });

  it('drops the kernel pending list on timeout (the re-read brings it back if still true)', () => {
    const queued = run(...loaded, {
      type: 'message',
      message: stateMessage({}, [{ type: 'set_seed', seed: 2 }])
    });
    expect(pendingOf(reduce(queued, timeout))).toEqual([]);
  });

  it('clears the report when the user clicks again', () => {
    const twice = reduce(reduce(sent, timeout), timeout);
    const again = reduce(twice, { type: 'request_sent', request: { ...click, id: 'c-2' } });
    expect(viewOf(again).notice).toBeNull();
    expect(pendingOf(again)).toHaveLength(1);
  });

  it.each(['restarting', 'autorestarting', 'starting'])('is forgotten, with its report, on %s', status => {
    for (const state of [sent, reduce(sent, timeout), reduce(reduce(sent, timeout), timeout)]) {
      const reset = reduce(state, { type: 'kernel_status', status });
      expect(reset).toEqual({ ...INITIAL_STATE, phase: 'connecting' });
      expect(viewOf(reset).notice).toBeNull();
    }
  });
});

describe('compact layout', () => {
  it('keeps the full item in a wide notebook, then a compact one, then the seed and its sign', () => {
    expect(layoutFor(1400)).toBe('full');
    expect(layoutFor(COMPACT_BELOW_PX - 1)).toBe('compact');
    expect(layoutFor(NARROW_BELOW_PX - 1)).toBe('narrow');
    expect(layoutFor(0)).toBeNull(); // a hidden tab keeps its last form
  });
});

describe('AnswerClock', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('fires once after the timeout while the same requests wait', () => {
    const fired = jest.fn();
    const clock = new AnswerClock(fired, 6000);
    clock.update('c-1');
    jest.advanceTimersByTime(5000);
    clock.update('c-1'); // a push that changes nothing does not restart it
    jest.advanceTimersByTime(1000);
    expect(fired).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(60000);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('starts over for new requests and stops when nothing waits or a cell runs', () => {
    const fired = jest.fn();
    const clock = new AnswerClock(fired, 6000);
    clock.update('c-1');
    jest.advanceTimersByTime(5000);
    clock.update('c-1 c-2');
    jest.advanceTimersByTime(5000);
    expect(fired).not.toHaveBeenCalled();
    clock.update(null);
    jest.advanceTimersByTime(60000);
    expect(fired).not.toHaveBeenCalled();
    clock.update('c-3');
    clock.stop();
    jest.advanceTimersByTime(60000);
    expect(fired).not.toHaveBeenCalled();
  });
});
