// Decides whether an output value equals the input value, type by type, and says why not.

import { sameDate } from './dates';
import type { Tolerance } from './types';
import { convertUnit, displayUnit } from './units';
import { type Typed, textForm } from './values';

export interface Comparison {
  ok: boolean;
  /** Extra words for the reason when the values differ in kind, not only in amount. */
  note?: string;
}

/** Enum/text synonyms reduced to groups of compared forms. */
export type SynonymGroups = Array<Set<string>>;

function within(expected: number, actual: number, tol: Tolerance | undefined, rounding = 0): boolean {
  const diff = Math.abs(expected - actual);
  let allowed = 1e-9 * Math.max(1, Math.abs(expected)) + rounding;
  if (tol?.abs !== undefined) allowed = Math.max(allowed, tol.abs);
  if (tol?.rel !== undefined) allowed = Math.max(allowed, tol.rel * Math.abs(expected));
  return diff <= allowed;
}

function sameText(e: { norm: string; compact: string }, a: { norm: string; compact: string }): boolean {
  return e.norm === a.norm || (e.compact !== '' && e.compact === a.compact);
}

export function groupOf(form: { norm: string; compact: string }, groups: SynonymGroups): Set<string> | undefined {
  return groups.find((g) => g.has(form.norm) || g.has(form.compact));
}

export function compareValues(expected: Typed, actual: Typed, tol?: Tolerance, synonyms: SynonymGroups = []): Comparison {
  switch (expected.type) {
    case 'number': {
      if (actual.type !== 'number' && actual.type !== 'quantity') return { ok: false };
      return { ok: within(expected.value, actual.value, tol) };
    }
    case 'currency': {
      if (actual.type !== 'currency' && actual.type !== 'number') return { ok: false };
      if (actual.type === 'currency' && actual.negated) return { ok: false, note: 'the output says it is not free' };
      if (actual.value === undefined || expected.value === undefined) return { ok: false };
      if (actual.type === 'currency' && expected.currency && actual.currency && expected.currency !== actual.currency && expected.value !== 0) {
        return { ok: false, note: `different currency (${actual.currency} instead of ${expected.currency})` };
      }
      return { ok: within(expected.value, actual.value, tol ?? { abs: 0.005 }) };
    }
    case 'quantity': {
      if (actual.type !== 'quantity' && actual.type !== 'number') return { ok: false };
      const aUnit = actual.type === 'quantity' ? actual.unit : undefined;
      const eUnit = expected.unit;
      if (!eUnit || !aUnit) return { ok: within(expected.value, actual.value, tol) };
      if (eUnit === aUnit) return { ok: within(expected.value, actual.value, tol) };
      const inExpectedUnit = convertUnit(actual.value, aUnit, eUnit);
      if (inExpectedUnit === undefined) {
        return { ok: false, note: `${displayUnit(aUnit)} cannot be converted to ${displayUnit(eUnit)}` };
      }
      // A converted value is usually rounded: allow half a step of the last digit written.
      const step = 0.5 * 10 ** -(actual.decimals ?? 0);
      const scale = Math.abs((convertUnit(1, aUnit, eUnit) ?? 1) - (convertUnit(0, aUnit, eUnit) ?? 0));
      return { ok: within(expected.value, inExpectedUnit, tol, step * scale) };
    }
    case 'boolean':
      return { ok: actual.type === 'boolean' && actual.value === expected.value };
    case 'date':
      return { ok: actual.type === 'date' && sameDate(expected.date, actual.date) };
    case 'text': {
      const a = actual.type === 'text' ? actual : textForm(actual.raw);
      if (sameText(expected, a)) return { ok: true };
      const group = groupOf(expected, synonyms);
      return { ok: !!group && (group.has(a.norm) || group.has(a.compact)) };
    }
  }
}
