// fast-check arbitraries for hostile msgs: any JSON and any JavaScript value, the node's own
// field names with values of the wrong type, NaN/±Infinity/-0/huge numbers, huge strings and
// arrays, deep nesting, and prototype-pollution keys (`__proto__`, `constructor`, `prototype`)
// as own properties, the way JSON.parse makes them.
import fc from 'fast-check';

export type FieldKind = 'string' | 'number' | 'boolean' | 'object' | 'array';
/** The fields a node reads from its payload items or msg, with the type each should have. */
export type FieldSpec = Record<string, FieldKind>;

const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'polluted'];

const specialNumber = fc.constantFrom(NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 1, -1, 0, 1e21);

const nastyString = fc.constantFrom('', ' ', '__proto__', 'constructor', '\u0000', '\ud800', '😀'.repeat(3), 'NaN', '1e999', '-Infinity', '{"a":1}', '[1,2', '<script>alert(1)</script>', '{{payload}}', '${process.exit(1)}', 'x'.repeat(10000));

/** Recipes for big values, built fresh on each use (a constant would be shared between runs). */
const hugeRecipes: Array<{ name: string; make: (fields: FieldSpec) => unknown }> = [
  { name: 'string of 2 MB', make: () => 'x'.repeat(2_000_000) },
  { name: 'string of 1 MB of JSON', make: () => JSON.stringify(Array.from({ length: 60000 }, (_, i) => ({ a: i }))) },
  {
    name: 'array of 100,000 well-typed items',
    make: (fields) => Array.from({ length: 100_000 }, (_, i) => wellTyped(fields, i)),
  },
  { name: 'array of 200,000 numbers', make: () => Array.from({ length: 200_000 }, (_, i) => i) },
  {
    name: 'object nested 1,000 deep',
    make: () => {
      let o: Record<string, unknown> = { v: 1 };
      for (let i = 0; i < 1000; i++) o = { a: o };
      return o;
    },
  },
  { name: 'object with 50,000 keys', make: () => Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])) },
];

const pollutionRecipes: Array<{ name: string; make: () => unknown }> = [
  { name: '__proto__ object', make: () => JSON.parse('{"__proto__":{"polluted":"yes"},"value":1,"metric":"gpu.power"}') },
  { name: 'constructor.prototype', make: () => JSON.parse('{"constructor":{"prototype":{"polluted":"yes"}},"value":1}') },
  { name: 'nested __proto__', make: () => JSON.parse('{"tags":{"__proto__":{"polluted":"yes"}},"inputData":{"__proto__":{"polluted":"yes"}},"a":{"b":{"__proto__":{"polluted":"yes"}}}}') },
  { name: '__proto__ in array', make: () => JSON.parse('[{"__proto__":{"polluted":"yes"}},{"constructor":{"prototype":{"polluted":"yes"}}}]') },
];

/** Values no JSON text makes, but a Function node can: kept apart (see `jsValues`). */
const jsOnlyRecipes: Array<{ name: string; make: () => unknown }> = [
  { name: 'sparse array of length 10^6', make: () => Object.assign(new Array(1_000_000), { 5: 1 }) },
  { name: 'sparse array of objects', make: () => Object.assign(new Array(4), { 1: { value: 1 } }) },
  { name: 'null prototype', make: () => Object.assign(Object.create(null), { value: 1, metric: 'gpu.power', product: 'x' }) },
  { name: 'getter that throws', make: () => Object.defineProperty({ metric: 'gpu.power' }, 'value', { enumerable: true, get: () => { throw new Error('getter'); } }) },
  { name: 'cycle', make: () => { const o: Record<string, unknown> = { value: 1 }; o.self = o; return o; } },
  { name: 'BigInt', make: () => ({ value: BigInt(1), metric: 'gpu.power' }) },
];

/** A value of the right type for a field (used inside huge arrays, which must look real). */
function wellTyped(fields: FieldSpec, i: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, kind] of Object.entries(fields)) {
    o[k] = kind === 'string' ? `${k}-${i % 7}` : kind === 'number' ? (i % 1000) + 1 : kind === 'boolean' ? i % 2 === 0 : kind === 'array' ? [] : {};
  }
  return o;
}

/** Options: `jsValues` adds what JSON cannot carry (null prototypes, boxed values, sparse arrays, cycles). */
export interface MsgOptions {
  jsValues?: boolean;
}

const key = (fields: FieldSpec) => fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 8 }) }, { weight: 2, arbitrary: fc.constantFrom(...POLLUTION_KEYS, ...Object.keys(fields)) });

function anything(fields: FieldSpec, js: boolean): fc.Arbitrary<unknown> {
  return js
    ? fc.anything({ key: key(fields), maxDepth: 3, maxKeys: 6, withNullPrototype: true, withBoxedValues: true, withSparseArray: true, withObjectString: true })
    : fc.anything({ key: key(fields), maxDepth: 3, maxKeys: 6, withObjectString: true });
}

function valueFor(kind: FieldKind, fields: FieldSpec, js: boolean, depth = 0): fc.Arbitrary<unknown> {
  const right: Record<FieldKind, fc.Arbitrary<unknown>> = {
    string: fc.oneof(fc.string({ maxLength: 20 }), nastyString),
    number: fc.oneof(fc.double(), fc.integer(), specialNumber),
    boolean: fc.boolean(),
    object: fc.oneof(fc.dictionary(key(fields), fc.oneof(fc.jsonValue({ maxDepth: 2 }), specialNumber), { maxKeys: 6, noNullPrototype: !js }), shaped(fields, js, depth + 1)),
    array: fc.array(fc.oneof(fc.jsonValue({ maxDepth: 2 }), shaped(fields, js, depth + 1)), { maxLength: 5 }),
  };
  return fc.oneof({ weight: 3, arbitrary: right[kind] }, { weight: 2, arbitrary: anything(fields, js) }, { weight: 1, arbitrary: specialNumber }, { weight: 1, arbitrary: nastyString });
}

/** An object carrying some of the node's own fields, each possibly of the wrong type. */
function shaped(fields: FieldSpec, js: boolean, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields);
  if (depth > 1 || entries.length === 0) return fc.constant({});
  return fc.record(Object.fromEntries(entries.map(([k, kind]) => [k, valueFor(kind, fields, js, depth)])), { requiredKeys: [], noNullPrototype: !js }) as fc.Arbitrary<Record<string, unknown>>;
}

type Recipe = { kind: 'value'; value: unknown } | { kind: 'huge'; index: number } | { kind: 'pollution'; index: number } | { kind: 'js'; index: number };

function payloadRecipe(fields: FieldSpec, js: boolean): fc.Arbitrary<Recipe> {
  const extra = js ? [{ weight: 2, arbitrary: fc.nat(jsOnlyRecipes.length - 1).map((index): Recipe => ({ kind: 'js', index })) }] : [];
  return fc.oneof(
    ...extra,
    { weight: 4, arbitrary: shaped(fields, js).map((value): Recipe => ({ kind: 'value', value })) },
    { weight: 2, arbitrary: fc.array(shaped(fields, js), { maxLength: 6 }).map((value): Recipe => ({ kind: 'value', value })) },
    { weight: 2, arbitrary: anything(fields, js).map((value): Recipe => ({ kind: 'value', value })) },
    { weight: 1, arbitrary: fc.jsonValue().map((value): Recipe => ({ kind: 'value', value })) },
    { weight: 1, arbitrary: fc.json().map((value): Recipe => ({ kind: 'value', value })) },
    { weight: 1, arbitrary: specialNumber.map((value): Recipe => ({ kind: 'value', value })) },
    { weight: 1, arbitrary: fc.nat(hugeRecipes.length - 1).map((index): Recipe => ({ kind: 'huge', index })) },
    { weight: 2, arbitrary: fc.nat(pollutionRecipes.length - 1).map((index): Recipe => ({ kind: 'pollution', index })) },
  );
}

/** Copies a generated value so that a node mutating its msg cannot change the value fast-check replays. */
export function fresh(v: unknown, seen = new Map<object, unknown>()): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return seen.get(v);
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    seen.set(v, out);
    for (const k of Object.keys(v)) (out as any)[k] = fresh((v as any)[k], seen);
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v; // boxed values, dates: immutable enough
  const out = Object.create(proto);
  seen.set(v, out);
  for (const k of Reflect.ownKeys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, k)!;
    // defineProperty keeps `__proto__` an own key, as JSON.parse made it.
    Object.defineProperty(out, k, 'value' in d ? { ...d, value: fresh(d.value, seen) } : d);
  }
  return out;
}

function build(r: Recipe, fields: FieldSpec): unknown {
  if (r.kind === 'huge') return hugeRecipes[r.index].make(fields);
  if (r.kind === 'pollution') return pollutionRecipes[r.index].make();
  if (r.kind === 'js') return jsOnlyRecipes[r.index].make();
  return fresh(r.value);
}

export interface MsgRecipe {
  payload: Recipe;
  topic?: string;
  extra: Record<string, Recipe>;
}

/** A whole msg: a hostile payload, and some of the node's fields (and topics) at the msg level. */
export function arbitraryMsg(fields: FieldSpec, opts: MsgOptions = {}): fc.Arbitrary<MsgRecipe> {
  const js = !!opts.jsValues;
  const msgLevel = Object.fromEntries(Object.entries(fields).map(([k, kind]) => [k, fc.oneof(payloadRecipe(fields, js), valueFor(kind, fields, js).map((value): Recipe => ({ kind: 'value', value })))]));
  return fc.record(
    {
      payload: payloadRecipe(fields, js),
      topic: fc.oneof(fc.constantFrom('flush', 'stats', 'reset', '__proto__', ''), fc.string({ maxLength: 8 })),
      extra: fc.record(msgLevel, { requiredKeys: [] }) as fc.Arbitrary<Record<string, Recipe>>,
    },
    { requiredKeys: ['payload', 'extra'] },
  );
}

/** Builds the msg of a recipe, fresh each time (a node may change the msg it gets). */
export function makeMsg(r: MsgRecipe, fields: FieldSpec): Record<string, unknown> {
  const msg: Record<string, unknown> = { payload: build(r.payload, fields) };
  if (r.topic !== undefined) msg.topic = r.topic;
  for (const [k, x] of Object.entries(r.extra)) msg[k] = build(x, fields);
  return msg;
}

export const recipeNames = { huge: hugeRecipes.map((r) => r.name), pollution: pollutionRecipes.map((r) => r.name), js: jsOnlyRecipes.map((r) => r.name) };
