// Reads one value (from the input, or one found in the output) as a given field type.

import { type DateValue, parseDate } from './dates';
import { type Mention, scanMentions } from './mentions';
import { parseNumber } from './numbers';
import { fold, nfkc, stem, unwrap } from './text-fold';
import type { FieldType } from './types';
import { measureOf, unitId } from './units';

export type Typed =
  | { type: 'number'; value: number; decimals: number; raw: string }
  | { type: 'quantity'; value: number; decimals: number; unit?: string; measure?: string; raw: string }
  | { type: 'currency'; value?: number; decimals: number; currency?: string; negated?: boolean; raw: string }
  | { type: 'boolean'; value: boolean; raw: string }
  | { type: 'date'; date: DateValue; raw: string }
  | { type: 'text'; norm: string; compact: string; raw: string };

const BOOL_WORDS: Record<string, boolean> = {
  yes: true, y: true, true: true, on: true, enabled: true, enable: true, checked: true, confirmed: true, required: true, '1': true,
  '✓': true, '✔': true, '✔️': true, '✅': true, '☑': true, '☑️': true, x: true,
  no: false, n: false, false: false, off: false, disabled: false, disable: false, unchecked: false, 'not required': false, none: false,
  '0': false, '✗': false, '✘': false, '❌': false, '☐': false, '-': false,
};

const ARTICLES = new Set(['a', 'an', 'the']);

/** Text in the form it is compared in: folded, stemmed words; plus a separator-free form for ids. */
export function textForm(raw: string): { norm: string; compact: string } {
  const t = fold(unwrap(raw));
  const ws = t.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  // "a laptop" is a laptop; "A-07" is a rack.
  if (ws.length > 1 && ARTICLES.has(ws[0]) && /^\S+\s+\p{L}/u.test(t)) ws.shift();
  return { norm: ws.map(stem).join(' '), compact: ws.join('') };
}

function fromMention(type: FieldType, m: Mention, unitHint?: string): Typed | null {
  switch (type) {
    case 'number':
      if (m.kind === 'number' || m.kind === 'quantity') return { type: 'number', value: m.value!, decimals: m.decimals ?? 0, raw: m.raw };
      return null;
    case 'quantity':
      if (m.kind === 'quantity') return { type: 'quantity', value: m.value!, decimals: m.decimals ?? 0, unit: m.unit, measure: m.measure, raw: m.raw };
      if (m.kind === 'number') {
        const unit = unitHint ? unitId(unitHint) : undefined;
        return { type: 'quantity', value: m.value!, decimals: m.decimals ?? 0, unit, measure: unit ? measureOf(unit) : undefined, raw: m.raw };
      }
      return null;
    case 'currency':
      if (m.kind === 'currency') return { type: 'currency', value: m.value, decimals: m.decimals ?? 2, currency: m.currency, negated: m.negated, raw: m.raw };
      if (m.kind === 'number') return { type: 'currency', value: m.value, decimals: m.decimals ?? 0, raw: m.raw };
      return null;
    case 'date':
      return m.kind === 'date' ? { type: 'date', date: m.date!, raw: m.raw } : null;
    case 'boolean':
      return m.kind === 'boolean' ? { type: 'boolean', value: m.bool!, raw: m.raw } : null;
    default:
      return null;
  }
}

export { fromMention };

// The same short values ("Free", "5", "40 L/min") come back in message after message.
const memo = new Map<string, Typed | null>();

/** A whole value read as `type`; null when it does not read as that type. Results are shared: do not mutate. */
export function readValue(type: FieldType, value: unknown, unitHint?: string): Typed | null {
  if (typeof value !== 'string' || value.length > 200) return readValueFresh(type, value, unitHint);
  const key = `${type}\u0000${unitHint ?? ''}\u0000${value}`;
  let hit = memo.get(key);
  if (hit === undefined) {
    hit = readValueFresh(type, value, unitHint);
    if (memo.size > 5000) memo.clear();
    memo.set(key, hit);
  }
  return hit;
}

function readValueFresh(type: FieldType, value: unknown, unitHint?: string): Typed | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    // {value, unit} and {amount, currency} are how structured outputs spell quantities and money.
    if ('value' in o && 'unit' in o) return readValue(type, `${String(o.value)} ${String(o.unit)}`, unitHint);
    if ('amount' in o && 'currency' in o) return readValue(type, `${String(o.amount)} ${String(o.currency)}`, unitHint);
    if ('value' in o) return readValue(type, o.value, unitHint);
    return null;
  }
  const raw = String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    const decimals = raw.includes('.') ? raw.length - raw.indexOf('.') - 1 : 0;
    switch (type) {
      case 'number':
        return { type, value, decimals, raw };
      case 'quantity': {
        const unit = unitHint ? unitId(unitHint) : undefined;
        return { type, value, decimals, unit, measure: unit ? measureOf(unit) : undefined, raw };
      }
      case 'currency':
        return { type, value, decimals, raw };
      case 'boolean':
        return value === 0 || value === 1 ? { type, value: value === 1, raw } : null;
      default:
        return { type: 'text', ...textForm(raw), raw };
    }
  }
  if (typeof value === 'boolean') {
    if (type === 'boolean') return { type, value, raw };
    if (type === 'text' || type === 'enum') return { type: 'text', ...textForm(raw), raw };
    return null;
  }
  const text = unwrap(nfkc(raw));
  if (type === 'text' || type === 'enum') return { type: 'text', ...textForm(text), raw: text };
  if (type === 'boolean') {
    const b = BOOL_WORDS[fold(text)];
    if (b !== undefined) return { type, value: b, raw: text };
  }
  if (type === 'date') {
    const d = parseDate(text);
    if (d) return { type, date: d, raw: text };
  }
  if (type === 'number') {
    const n = parseNumber(text);
    if (n) return { type, value: n.value, decimals: n.decimals, raw: text };
  }
  for (const m of scanMentions(text)) {
    if (m.stale) continue;
    const t = fromMention(type, m, unitHint);
    if (t) return { ...t, raw: text } as Typed;
  }
  return null;
}

/** What a person reads for an expected or found value. */
export function show(t: Typed | null | undefined, fallback: unknown): string {
  if (t) return t.raw;
  if (typeof fallback === 'string') return `"${fallback.length > 60 ? fallback.slice(0, 57) + '…' : fallback}"`;
  return JSON.stringify(fallback) ?? String(fallback);
}
