// Refuses what the matcher must not judge: a verdict on a malformed input would be a guess,
// and the node's job is to stop the flow with a clear error instead (done(err) → Catch node).

import { FIELD_TYPES, type MatchRule } from './types';
import { isPlainObject } from '../guards/plain-object';

export const DEFAULT_MAX_TEXT_LENGTH = 1024 * 1024;
const MAX_DEPTH = 8;
const MAX_KEYS = 2000;
/** Keys that would reach Object.prototype if anything downstream merged the data naively. */
const POISON_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export class MatcherInputError extends Error {
  constructor(
    message: string,
    readonly code: 'no-input' | 'input-not-object' | 'binary' | 'not-json' | 'too-large' | 'unsafe-key' | 'bad-rules' | 'bad-output',
  ) {
    super(message);
    this.name = 'MatcherInputError';
  }
}

export { isPlainObject };

function isBinary(v: unknown): boolean {
  return Buffer.isBuffer(v) || ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
}

/** Walks a value once, counting size and refusing binary, poison keys and absurd nesting. */
function inspect(v: unknown, what: string, maxLength: number, depth = 0, budget = { chars: 0, keys: 0 }): void {
  if (isBinary(v)) throw new MatcherInputError(`${what} contains binary data (a Buffer); convert it to text or an object first`, 'binary');
  if (typeof v === 'string') {
    budget.chars += v.length;
  } else if (typeof v === 'bigint' || typeof v === 'symbol' || typeof v === 'function') {
    // Not data a model could have written: say what it is instead of failing on it later.
    const kind = typeof v === 'bigint' ? 'a BigInt (send it as a number or as text)' : `a ${typeof v}`;
    throw new MatcherInputError(`${what} contains ${kind}; it must be JSON data: text, numbers, true/false, lists and objects`, 'not-json');
  } else if (v !== null && typeof v === 'object') {
    if (depth > MAX_DEPTH) throw new MatcherInputError(`${what} is nested deeper than ${MAX_DEPTH} levels`, 'too-large');
    if (Array.isArray(v)) {
      budget.keys += v.length;
      for (const item of v) inspect(item, what, maxLength, depth + 1, budget);
    } else {
      for (const key of Object.keys(v)) {
        if (POISON_KEYS.has(key)) throw new MatcherInputError(`${what} has the unsafe key "${key}"`, 'unsafe-key');
        budget.keys++;
        budget.chars += key.length;
        inspect((v as Record<string, unknown>)[key], what, maxLength, depth + 1, budget);
      }
    }
  }
  if (budget.chars > maxLength) {
    throw new MatcherInputError(`${what} is larger than ${Math.round(maxLength / 1024)} KiB of text`, 'too-large');
  }
  if (budget.keys > MAX_KEYS) throw new MatcherInputError(`${what} has more than ${MAX_KEYS} fields`, 'too-large');
}

export function checkInputData(input: unknown, maxLength = DEFAULT_MAX_TEXT_LENGTH): asserts input is Record<string, unknown> {
  if (input === undefined || input === null) {
    throw new MatcherInputError('no input data to compare against (expected an object, e.g. msg.inputData)', 'no-input');
  }
  if (isBinary(input)) throw new MatcherInputError('input data is binary (a Buffer); it must be a plain object', 'binary');
  if (!isPlainObject(input)) {
    const kind = Array.isArray(input) ? 'an array' : typeof input;
    throw new MatcherInputError(`input data must be a plain object of fields, got ${kind}`, 'input-not-object');
  }
  inspect(input, 'input data', maxLength);
}

export function checkOutput(output: unknown, maxLength = DEFAULT_MAX_TEXT_LENGTH): void {
  if (output === undefined || output === null) {
    throw new MatcherInputError('no model output to check (msg.payload is empty)', 'bad-output');
  }
  if (isBinary(output)) throw new MatcherInputError('model output is binary (a Buffer); it must be text or an object', 'binary');
  if (typeof output === 'string' || typeof output === 'number' || typeof output === 'boolean') {
    if (typeof output === 'string' && output.length > maxLength) {
      throw new MatcherInputError(`model output is larger than ${Math.round(maxLength / 1024)} KiB of text`, 'too-large');
    }
    return;
  }
  if (typeof output === 'object') {
    inspect(output, 'model output', maxLength);
    return;
  }
  throw new MatcherInputError(`model output must be text or an object, got ${typeof output}`, 'bad-output');
}

export function checkRules(rules: unknown): asserts rules is MatchRule[] | undefined {
  if (rules === undefined || rules === null) return;
  if (!Array.isArray(rules)) throw new MatcherInputError('match rules must be an array of {field, type, ...}', 'bad-rules');
  for (const [i, r] of rules.entries()) {
    if (!isPlainObject(r) || typeof r.field !== 'string' || r.field.trim() === '') {
      throw new MatcherInputError(`match rule ${i + 1} has no field name`, 'bad-rules');
    }
    if (POISON_KEYS.has(r.field)) throw new MatcherInputError(`match rule ${i + 1} names the unsafe field "${r.field}"`, 'bad-rules');
    if (r.type !== undefined && !(FIELD_TYPES as readonly string[]).includes(r.type as string)) {
      throw new MatcherInputError(`match rule for "${r.field}" has unknown type "${String(r.type)}" (use ${FIELD_TYPES.join(', ')})`, 'bad-rules');
    }
    if (r.aliases !== undefined && !(Array.isArray(r.aliases) && r.aliases.every((a) => typeof a === 'string'))) {
      throw new MatcherInputError(`match rule for "${r.field}": aliases must be a list of names`, 'bad-rules');
    }
    const tol = r.tolerance as Record<string, unknown> | undefined;
    if (tol !== undefined && (!isPlainObject(tol) || !['abs', 'rel'].some((k) => typeof tol[k] === 'number'))) {
      throw new MatcherInputError(`match rule for "${r.field}": tolerance must be {abs: number} or {rel: number}`, 'bad-rules');
    }
  }
}

/**
 * The value with every object that has no prototype (`Object.create(null)`, as a Function node may
 * build) replaced by a plain object with the same fields: turning such an object into text (String,
 * join, a template) throws. The value itself when it holds none. Call after the checks above (no
 * unsafe keys, bounded depth).
 */
export function withPlainObjects<T>(v: T, depth = 0): T {
  if (v === null || typeof v !== 'object' || depth > MAX_DEPTH || isBinary(v)) return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const item = v[i];
      const plain = withPlainObjects(item, depth + 1);
      if (plain !== item && !copy) copy = v.slice();
      if (copy) copy[i] = plain;
    }
    return (copy ?? v) as T;
  }
  const record = v as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined = Object.getPrototypeOf(v) === null ? {} : undefined;
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    const item = record[keys[i]];
    const plain = withPlainObjects(item, depth + 1);
    if (plain !== item && !copy) {
      copy = {};
      for (let j = 0; j < i; j++) Object.defineProperty(copy, keys[j], { value: record[keys[j]], writable: true, enumerable: true, configurable: true });
    }
    if (copy) Object.defineProperty(copy, keys[i], { value: plain, writable: true, enumerable: true, configurable: true });
  }
  return (copy ?? v) as T;
}
