/**
 * One protocol: the TypeScript constants, validators and fixtures are checked
 * against jupyter_seed/kernel/protocol.schema.json, the file Python validates with.
 */
import Ajv from 'ajv';

import {
  COMM_TARGET,
  DETERMINISTIC_MODES,
  encodeRequest,
  FIX_IDS,
  MAX_ERROR_LENGTH,
  MAX_ID_LENGTH,
  MAX_SEED,
  parseKernelMessage,
  parseRequest,
  PER_CELL_MODES,
  PROTOCOL_VERSION,
  Request,
  RISK_IDS,
  SEEDED_KERNELSPEC,
  SHAPES
} from '../src/protocol';
import { DUMPED, SCHEMA } from './fixtures';

const schema = SCHEMA;
const defs = schema.definitions;
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema(schema, 'protocol');
const fits = (definition: string, value: unknown): boolean =>
  ajv.validate(`protocol#/definitions/${definition}`, value) as boolean;

const REQUEST_DEFINITIONS: Record<string, string> = {
  get_state: 'getState',
  set_seed: 'setSeed',
  set_per_cell: 'setPerCell',
  set_deterministic: 'setDeterministic',
  configure: 'configure',
  apply_fix: 'applyFix',
  set_workers: 'setWorkers'
};

describe('constants', () => {
  it('match the schema', () => {
    expect(defs.protocol.const).toBe(PROTOCOL_VERSION);
    expect(defs.commTarget.const).toBe(COMM_TARGET);
    expect(defs.seededKernelspec.const).toBe(SEEDED_KERNELSPEC);
    expect(defs.seed.maximum).toBe(MAX_SEED);
    expect(defs.requestId.maxLength).toBe(MAX_ID_LENGTH);
    expect(defs.errorMessage.properties.message.maxLength).toBe(MAX_ERROR_LENGTH);
    expect(defs.perCellMode.enum).toEqual([...PER_CELL_MODES]);
    expect(defs.deterministicMode.enum).toEqual([...DETERMINISTIC_MODES]);
    expect(defs.fixId.enum).toEqual([...FIX_IDS]);
    expect(defs.riskId.enum).toEqual([...RISK_IDS]);
  });

  it('list the same requests and fields as the schema', () => {
    const fromSchema = defs.request.oneOf.map((ref: { $ref: string }) => ref.$ref.split('/').pop());
    expect(SHAPES.requestTypes.map(type => REQUEST_DEFINITIONS[type])).toEqual(fromSchema);
    for (const [type, fields] of Object.entries(SHAPES.requestFields)) {
      const definition = defs[REQUEST_DEFINITIONS[type]];
      expect(definition.properties.type.const).toBe(type);
      const schemaFields = Object.keys(definition.properties).filter(
        k => !['protocol', 'type', 'id'].includes(k)
      );
      expect(fields.sort()).toEqual(schemaFields.sort());
    }
  });

  it('validate the same state, source and risk fields as the schema', () => {
    const state = defs.state;
    expect(SHAPES.stateRequired.sort()).toEqual([...state.required].sort());
    expect([...SHAPES.stateRequired, ...SHAPES.stateOptional].sort()).toEqual(
      Object.keys(state.properties).sort()
    );
    expect(SHAPES.source.sort()).toEqual(Object.keys(defs.source.properties).sort());
    expect(SHAPES.risk.sort()).toEqual(Object.keys(defs.risk.properties).sort());
  });
});

describe('fixtures dumped from a real kernel', () => {
  it.each(Object.keys(DUMPED))('%s fits the schema and the TypeScript validator', name => {
    const message = DUMPED[name];
    expect(fits('kernelMessage', message)).toBe(true);
    expect(parseKernelMessage(message)).toEqual(message);
  });

  it('include risks with fixes', () => {
    const seeded = DUMPED.seeded;
    expect(seeded.type === 'state' && seeded.state.risks.length).toBeGreaterThan(0);
  });
});

/** Variations of a valid message: each key dropped, an extra key, each value replaced by odd ones. */
function mutations(value: Record<string, unknown>): unknown[] {
  const odd = [null, 0, -1, 1.5, '', 'x', true, [], {}, MAX_SEED + 1, 'a\nb'];
  const out: unknown[] = [];
  for (const key of Object.keys(value)) {
    const rest = { ...value };
    delete rest[key];
    out.push(rest);
    for (const replacement of odd) {
      out.push({ ...value, [key]: replacement });
    }
  }
  out.push({ ...value, extra: 1 }, { ...value, 'bad\nkey': 1 });
  return out;
}

describe('TypeScript validators agree with the schema', () => {
  const valid: Request[] = [
    { type: 'get_state' },
    { type: 'set_seed', seed: 7, id: 'a-1' },
    { type: 'set_per_cell', mode: 'derived' },
    { type: 'set_deterministic', mode: 'warn' },
    { type: 'configure', seed: 1, per_cell: 'same', deterministic: 'strict' },
    { type: 'apply_fix', fix: 'deterministic' },
    { type: 'set_workers', enabled: true }
  ];

  it.each(valid)('on requests derived from %j', request => {
    const wire = encodeRequest(request) as unknown as Record<string, unknown>;
    expect(fits('request', wire)).toBe(true);
    for (const variant of mutations(wire)) {
      const { protocol, ...rest } = variant as Record<string, unknown>;
      const tsAccepts = protocol === PROTOCOL_VERSION && parseRequest(rest) !== null;
      expect([variant, tsAccepts]).toEqual([variant, fits('request', variant)]);
    }
  });

  it.each(Object.keys(DUMPED))('on messages derived from the %s fixture', name => {
    const message = DUMPED[name] as unknown as Record<string, unknown>;
    const variants = mutations(message);
    if (message.type === 'state') {
      variants.push(
        ...mutations(message.state as Record<string, unknown>).map(state => ({ ...message, state }))
      );
    }
    for (const variant of variants) {
      const tsAccepts = parseKernelMessage(variant) !== null;
      expect([variant, tsAccepts]).toEqual([variant, fits('kernelMessage', variant)]);
    }
  });
});
