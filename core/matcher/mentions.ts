// Finds every typed value a text states, with where it stands: dates, amounts of money
// (including "free" and its paraphrases), quantities with units, plain numbers and yes/no
// words. Whole values ("Quantity: 5 units") and prose are both read through this one scanner.

import { type DateValue, findDates } from './dates';
import { DIGITS_SOURCE, MAGNITUDES, NUMBER_WORDS_RE, parseDigits, parseNumberWords } from './numbers';
import { UNIT_SYMBOL_RE, UNIT_WORD_RE, measureOf, unitId } from './units';

export type MentionKind = 'number' | 'quantity' | 'currency' | 'date' | 'boolean';

export interface Mention {
  kind: MentionKind;
  start: number;
  end: number;
  /** The text as written, for the reason a person reads. */
  raw: string;
  value?: number;
  /** Digits after the decimal point as written (rounding allowance for converted values). */
  decimals?: number;
  /** convert-units id (or "%", "tokens/s") for a quantity. */
  unit?: string;
  measure?: string;
  /** ISO code for money when it was stated. */
  currency?: string;
  /** "not free", "isn't free": money stated as not zero without an amount. */
  negated?: boolean;
  date?: DateValue;
  bool?: boolean;
  /** Stated as a previous value ("from 35 L/min to 40 L/min"): not what the output asserts. */
  stale?: boolean;
}

const CURRENCY_SYMBOLS: Record<string, string> = { $: 'USD', 'US$': 'USD', '€': 'EUR', '£': 'GBP', '¥': 'JPY', '₹': 'INR' };
const CURRENCY_CODES = ['USD', 'EUR', 'GBP', 'JPY', 'CAD', 'AUD', 'CHF', 'INR', 'CNY', 'SEK', 'NOK', 'DKK'];
const CURRENCY_WORDS: Record<string, string> = { dollar: 'USD', dollars: 'USD', bucks: 'USD', euro: 'EUR', euros: 'EUR', pound: 'GBP', pounds: 'GBP', quid: 'GBP', yen: 'JPY', rupees: 'INR' };
const PREFIX_RE = new RegExp(`(?:(US\\$|[$€£¥₹])|\\b(${CURRENCY_CODES.join('|')})\\s?)\\s?$`);
const SUFFIX_RE = new RegExp(`\\s?(?:(${CURRENCY_CODES.join('|')})|(${Object.keys(CURRENCY_WORDS).join('|')}))(?![\\p{L}\\p{N}])`, 'iuy');
// "2.5k" glued to the number; a spaced capital K is kelvin.
const MAGNITUDE_AFTER_RE = /(?:(k)|\s?([Tt]housand|[Mm]illion|mn|bn|[Bb]illion))(?![\p{L}\p{N}])/uy;
const DIGITS_RE = new RegExp(`(?:${DIGITS_SOURCE})`, 'g');

const FREE_RE =
  /(?<![\p{L}\p{N}-])(free(?:\s+of\s+(?:any\s+)?(?:charge|cost))?|no\s+(?:extra\s+|additional\s+|shipping\s+|delivery\s+)?(?:charges?|cost|fees?)|at\s+no\s+(?:extra\s+|additional\s+)?(?:cost|charge)|complimentary|without\s+(?:any\s+)?(?:charge|cost)|zero\s+(?:cost|charge)|waived|gratis|nothing)(?![\p{L}\p{N}-])/giu;
const NOT_FREE_BEFORE = /(?:\bnot|n't|\bno\s+longer|\bnever)\s+(?:be\s+|been\s+)?$/i;
const FREE_CHATTER_BEFORE = /\b(?:feel|be|is\s+free\s+to|set\s+you)\s+$/i;
const FREE_CHATTER_AFTER = /^\s+(?:to|up|from|of\s+(?:errors?|defects?|charge\w*\s+to))\b/i;

const BOOL_RE = /(?<![\p{L}\p{N}])(yes|no|true|false|enabled|disabled|confirmed|required|not\s+required|✓|✔|✔️|✅|☑|✗|✘|❌|☐)(?![\p{L}\p{N}])/giu;
const TRUE_WORDS = new Set(['yes', 'true', 'enabled', 'confirmed', 'required', '✓', '✔', '✔️', '✅', '☑']);

const STALE_BEFORE = /\b(?:from|was|were|previously|originally|instead\s+of|rather\s+than|not|down\s+from|up\s+from|old|current(?:ly)?|currently\s+at|replacing)\s+(?:an?\s+|the\s+)?$/i;

function overlaps(taken: Array<[number, number]>, s: number, e: number): boolean {
  for (const [a, b] of taken) if (s < b && e > a) return true;
  return false;
}

/** A number glued to letters on its left ("GPU-3", "H100", "#12345", "v2.1") is part of a name. */
function partOfIdentifier(text: string, start: number): boolean {
  const before = text.slice(Math.max(0, start - 2), start);
  if (/[\p{L}\p{N}_#@/.]$/u.test(before)) return true;
  if (/[\p{L}\p{N}]-$/u.test(before)) return true;
  return false;
}

function followedBy(text: string, re: RegExp, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(text);
}

export function scanMentions(text: string, opts: { booleans?: boolean } = {}): Mention[] {
  const out: Mention[] = [];
  const taken: Array<[number, number]> = [];
  const push = (m: Mention): void => {
    out.push(m);
    taken.push([m.start, m.end]);
  };

  for (const d of findDates(text)) push({ kind: 'date', start: d.start, end: d.end, raw: text.slice(d.start, d.end), date: d.value });

  FREE_RE.lastIndex = 0;
  for (let m = FREE_RE.exec(text); m; m = FREE_RE.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    const before = text.slice(Math.max(0, start - 24), start);
    const after = text.slice(end, end + 24);
    const word = m[1].toLowerCase();
    if (word === 'free' && (FREE_CHATTER_BEFORE.test(before) || FREE_CHATTER_AFTER.test(after))) continue;
    if (word === 'nothing' && !/\b(?:costs?|charged?|pay)\s+$/i.test(before)) continue;
    if (overlaps(taken, start, end)) continue;
    const negated = NOT_FREE_BEFORE.test(before) && !word.startsWith('no') && !word.startsWith('at no');
    push({ kind: 'currency', start, end, raw: m[0], value: negated ? undefined : 0, decimals: 2, negated });
  }

  const numberHits: Array<{ start: number; end: number; value: number; decimals: number }> = [];
  DIGITS_RE.lastIndex = 0;
  for (let m = DIGITS_RE.exec(text); m; m = DIGITS_RE.exec(text)) {
    let start = m.index;
    let raw = m[0];
    // A hyphen glued to a name ("CDU-1") is not a minus sign.
    if (raw.startsWith('-') && start > 0 && /[\p{L}\p{N}]/u.test(text[start - 1])) {
      start += 1;
      raw = raw.slice(1);
    }
    const end = start + raw.length;
    if (partOfIdentifier(text, start)) continue;
    const next = text.slice(end, end + 3);
    if (/^(?:st|nd|rd|th)(?![\p{L}])/iu.test(next)) continue; // ordinal
    if (/^[:.]\d/.test(next) || /\d[:]$/.test(text.slice(Math.max(0, start - 2), start))) continue; // time of day, version
    if (/^-?[\p{L}]/u.test(next) && !/^[\p{L}]/u.test(next) && !/^-(?:inch|litre|liter)/.test(next)) continue; // "3-way"
    const parsed = parseDigits(raw);
    if (!parsed || overlaps(taken, start, end)) continue;
    numberHits.push({ start, end, value: parsed.value, decimals: parsed.decimals });
  }
  NUMBER_WORDS_RE.lastIndex = 0;
  for (let m = NUMBER_WORDS_RE.exec(text); m; m = NUMBER_WORDS_RE.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    const value = parseNumberWords(m[0]);
    if (value === null || overlaps(taken, start, end)) continue;
    if (/^(?:one)$/i.test(m[0]) && /^\s+(?:of|another|by|more)\b/i.test(text.slice(end, end + 10))) continue;
    numberHits.push({ start, end, value, decimals: 0 });
  }

  for (const h of numberHits) {
    let { start, end, value } = h;
    const { decimals } = h;
    const mag = followedBy(text, MAGNITUDE_AFTER_RE, end);
    if (mag) {
      value *= MAGNITUDES[(mag[1] ?? mag[2]).toLowerCase()];
      end += mag[0].length;
    }
    const stale = STALE_BEFORE.test(text.slice(Math.max(0, start - 20), start));
    const prefix = PREFIX_RE.exec(text.slice(Math.max(0, start - 6), start).replace(/-$/, ''));
    if (prefix) {
      const sym = prefix[1] ?? prefix[2];
      const currency = CURRENCY_SYMBOLS[sym] ?? sym.toUpperCase();
      start -= prefix[0].length;
      const sfx = followedBy(text, SUFFIX_RE, end);
      if (sfx && sfx[1]) end += sfx[0].length;
      push({ kind: 'currency', start, end, raw: text.slice(start, end), value, decimals, currency, stale });
      continue;
    }
    const sfx = followedBy(text, SUFFIX_RE, end);
    if (sfx) {
      const currency = sfx[1] ? sfx[1].toUpperCase() : CURRENCY_WORDS[sfx[2].toLowerCase()];
      end += sfx[0].length;
      push({ kind: 'currency', start, end, raw: text.slice(start, end), value, decimals, currency, stale });
      continue;
    }
    const unit = followedBy(text, UNIT_SYMBOL_RE, end) ?? followedBy(text, UNIT_WORD_RE, end);
    if (unit) {
      const id = unitId(unit[1]);
      if (id) {
        end += unit[0].length;
        push({ kind: 'quantity', start, end, raw: text.slice(start, end), value, decimals, unit: id, measure: measureOf(id), stale });
        continue;
      }
    }
    push({ kind: 'number', start, end, raw: text.slice(start, end), value, decimals, stale });
  }

  if (opts.booleans !== false) {
    BOOL_RE.lastIndex = 0;
    for (let m = BOOL_RE.exec(text); m; m = BOOL_RE.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      if (overlaps(taken, start, end)) continue;
      const w = m[1].toLowerCase().replace(/\s+/g, ' ');
      push({ kind: 'boolean', start, end, raw: m[0], bool: TRUE_WORDS.has(w) });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}
