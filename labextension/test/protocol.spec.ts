import { encodeRequest, MAX_SEED, parseKernelMessage, parseRequest, parseSeedInput } from '../src/protocol';
import { kernelState, stateMessage } from './fixtures';

describe('parseKernelMessage', () => {
  it('accepts a state message', () => {
    const message = stateMessage();
    expect(parseKernelMessage(JSON.parse(JSON.stringify(message)))).toEqual(message);
  });

  it('accepts a state message with pending and answered requests', () => {
    const message = stateMessage(
      {},
      [
        { type: 'set_seed', seed: 7, id: 'a-1' },
        { type: 'set_per_cell', mode: 'same' }
      ],
      ['a-0']
    );
    expect(parseKernelMessage(message)).toEqual(message);
  });

  it('accepts an error message', () => {
    const message = { protocol: 1, type: 'error', request: 'set_seed', id: 'a-1', message: 'bad seed' };
    expect(parseKernelMessage(message)).toEqual(message);
    expect(parseKernelMessage({ ...message, request: null, id: null })).not.toBeNull();
  });

  it.each([
    ['not an object', 'state'],
    ['null', null],
    ['an array', [1]],
    ['another protocol', { ...stateMessage(), protocol: 2 }],
    ['no protocol', { type: 'state', state: kernelState(), pending: [] }],
    ['an unknown type', { protocol: 1, type: 'hello' }],
    ['an extra key', { ...stateMessage(), extra: 1 }],
    ['a missing pending list', { protocol: 1, type: 'state', state: kernelState(), answered: [] }],
    ['a missing answered list', { protocol: 1, type: 'state', state: kernelState(), pending: [] }],
    ['an empty answered id', stateMessage({}, [], [''])],
    ['a seed out of range', stateMessage({ seed: MAX_SEED + 1 })],
    ['a negative seed', stateMessage({ seed: -1 })],
    ['a float seed', stateMessage({ seed: 1.5 })],
    ['a string seed', stateMessage({ seed: '7' as unknown as number })],
    ['an unknown per-cell mode', stateMessage({ per_cell: 'always' as 'off' })],
    ['an unknown deterministic mode', stateMessage({ deterministic: 'yes' as 'off' })],
    ['a malformed source', stateMessage({ sources: [{ name: 'x' } as never] })],
    [
      'a nested determinism flag',
      stateMessage({ sources: [{ ...kernelState().sources[0], determinism: { a: {} as never } }] })
    ],
    ['a non-string warning', stateMessage({ warnings: [1 as unknown as string] })],
    ['a bad pending request', stateMessage({}, [{ type: 'set_seed', seed: -3 }])],
    ['an error without message', { protocol: 1, type: 'error', request: null, id: null }],
    ['an error without id', { protocol: 1, type: 'error', request: null, message: 'x' }]
  ])('refuses %s', (_, value) => {
    expect(parseKernelMessage(value)).toBeNull();
  });
});

describe('parseRequest', () => {
  it.each([
    [{ type: 'get_state' }],
    [{ type: 'set_seed', seed: 0 }],
    [{ type: 'set_seed', seed: MAX_SEED }],
    [{ type: 'set_per_cell', mode: 'derived' }],
    [{ type: 'set_deterministic', mode: 'warn' }],
    [{ type: 'configure', seed: 1, per_cell: 'same', deterministic: 'strict' }],
    [{ type: 'set_seed', seed: 1, id: 'x-1' }]
  ])('accepts %j', request => {
    expect(parseRequest(request)).toEqual(request);
  });

  it.each([
    [{ type: 'set_seed' }],
    [{ type: 'set_seed', seed: true }],
    [{ type: 'set_per_cell', mode: 'on' }],
    [{ type: 'toString' }],
    [{ type: 'get_state', code: 'import os' }],
    [{ type: 'configure', seed: 1, per_cell: 'same' }],
    [{ type: 'set_seed', seed: 1, id: '' }],
    [{ type: 'set_seed', seed: 1, id: 'x'.repeat(65) }],
    [{ type: 'set_seed', seed: 1, id: 7 }]
  ])('refuses %j', request => {
    expect(parseRequest(request)).toBeNull();
  });
});

describe('encodeRequest', () => {
  it('adds the protocol version', () => {
    expect(encodeRequest({ type: 'set_seed', seed: 7 })).toEqual({ protocol: 1, type: 'set_seed', seed: 7 });
  });
});

describe('parseSeedInput', () => {
  it.each([
    ['7', 7],
    [' 3407 ', 3407],
    ['0', 0],
    [String(MAX_SEED), MAX_SEED]
  ])('parses %j', (text, seed) => {
    expect(parseSeedInput(text)).toEqual({ ok: true, seed });
  });

  it.each(['', '-1', '1.5', '1e3', '0x10', String(MAX_SEED + 1), '99999999999', 'seven', '7; import os'])(
    'refuses %j',
    text => {
      expect(parseSeedInput(text).ok).toBe(false);
    }
  );
});
