// Finds fields in free text. A field is found by its name (or an alias) near a value of its
// type; values stated for it that differ from the input are mismatches. Without its name, a
// value of the same kind that no other field claims still counts ("5 laptops", "40 L/min").
// Text values are looked for as they were written ("Laptop", "GPU-3"); an id of the same
// shape with another number ("GPU-8") is a mismatch.

import { type SynonymGroups, compareValues } from './compare';
import { GENERIC_NAME_WORDS } from './field-names';
import { type Mention, scanMentions } from './mentions';
import type { ResolvedRule } from './rules';
import { fold, nfkc, unwrap } from './text-fold';
import { type Typed, fromMention } from './values';

export interface ProseFinding {
  status: 'match' | 'mismatch' | 'missing';
  actual?: Typed;
  /** What the output says, when it is not a typed value ("desktop computer"). */
  said?: string;
  note?: string;
}

/** Spellings in running text of the words field names are reduced to. */
const SPELLINGS: Record<string, string[]> = {
  quantity: ['quantity', 'qty', 'quantities', 'units', 'pieces', 'pcs', 'count'],
  temperatur: ['temperature', 'temp', 'temps'],
  product: ['product', 'item', 'article'],
  customer: ['customer', 'client', 'buyer'],
  server: ['server', 'host'],
  shipping: ['shipping', 'shipment', 'ships', 'shipped', 'ship', 'delivery', 'delivered', 'postage'],
  number: ['number', 'no', 'nr', '#'],
  setpoint: ['setpoint', 'set point', 'set-point', 'sp'],
  utilization: ['utilization', 'utilisation', 'util', 'load'],
  frequency: ['frequency', 'freq', 'clock'],
  maximum: ['maximum', 'max'],
  minimum: ['minimum', 'min'],
};

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function wordPattern(w: string): string {
  const spellings = SPELLINGS[w] ?? [w];
  return `(?:${spellings
    .map((s) => {
      if (s.length <= 3) return `${esc(s)}(?:e|es|s)?`;
      if (s.endsWith('y')) return `${esc(s.slice(0, -1))}(?:y|ies)`;
      return `${esc(s)}\\p{L}{0,4}`;
    })
    .join('|')})`;
}

function phrasePattern(words: string[]): string {
  return words.map(wordPattern).join('[\\s_-]*');
}

interface NamePatterns {
  strong: RegExp | null;
  weak: RegExp | null;
}

const patternCache = new Map<string, NamePatterns>();

function namePatterns(rule: ResolvedRule, all: ResolvedRule[]): NamePatterns {
  const key = JSON.stringify(rule.names) + '|' + all.map((r) => (r.names[0] ?? []).join(' ')).join(',');
  const hit = patternCache.get(key);
  if (hit) return hit;
  const strong = rule.names.map(phrasePattern);
  // Single words of a long name, unless another field's name shares them ("supply temperature"
  // and "return temperature" both say "temperature").
  const others = new Set(all.filter((r) => r !== rule).flatMap((r) => r.names.flat()));
  const weakWords = new Set<string>();
  for (const n of rule.names) if (n.length > 1) for (const w of n) if (!GENERIC_NAME_WORDS.has(w) && !others.has(w)) weakWords.add(w);
  const wrap = (alts: string[]): RegExp | null =>
    alts.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${alts.join('|')})(?![\\p{L}])`, 'giu') : null;
  const p = { strong: wrap(strong), weak: wrap([...weakWords].map(wordPattern)) };
  if (patternCache.size > 500) patternCache.clear();
  patternCache.set(key, p);
  return p;
}

interface Occurrence {
  rule: ResolvedRule;
  start: number;
  end: number;
  weak: boolean;
}

function occurrences(text: string, rule: ResolvedRule, all: ResolvedRule[]): Occurrence[] {
  const p = namePatterns(rule, all);
  const out: Occurrence[] = [];
  for (const [re, weak] of [[p.strong, false], [p.weak, true]] as const) {
    if (!re) continue;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      if (!out.some((o) => start < o.end && end > o.start)) out.push({ rule, start, end, weak });
      if (m[0].length === 0) re.lastIndex++;
    }
  }
  return out;
}

/** Segment index of each position: a value belongs to a name only within one sentence or line. */
function segmenter(text: string): (pos: number) => number {
  const cuts: number[] = [];
  const re = /[.!?](?=\s|$)|[;\n]/g;
  for (let m = re.exec(text); m; m = re.exec(text)) cuts.push(m.index);
  return (pos) => {
    let lo = 0;
    let hi = cuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cuts[mid] < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function typedFor(rule: ResolvedRule, m: Mention, nearName: boolean): Typed | null {
  if (m.stale) return null;
  const type = rule.type === 'enum' ? 'text' : rule.type;
  if (type === 'text') return null;
  // Away from its name, a value must carry its own kind: a unit, a currency, a date.
  if (!nearName) {
    if (type === 'number' && m.kind !== 'number') return null;
    if (type === 'quantity' && m.kind !== 'quantity') return null;
    if (type === 'currency' && m.kind !== 'currency') return null;
    if (type === 'boolean') return null;
  }
  if (type === 'quantity' && m.kind === 'quantity' && rule.expected?.type === 'quantity' && rule.expected.measure && m.measure !== rule.expected.measure) return null;
  if (type === 'number' && m.kind === 'quantity' && m.unit !== '%') {
    // A plain number field only takes a quantity stated right at its name.
    if (!nearName) return null;
  }
  return fromMention(type, m, rule.unit ?? (rule.expected?.type === 'quantity' ? rule.expected.unit : undefined));
}

function equal(rule: ResolvedRule, t: Typed): boolean {
  return !!rule.expected && compareValues(rule.expected, t, rule.tolerance, rule.synonyms).ok;
}

function textPattern(raw: string): string | null {
  // "SSD 2TB" is also written "SSD 2 TB" and "SSD-2TB": letters and digits split too.
  const ws = fold(unwrap(raw)).match(/\p{L}+|\p{N}+/gu) ?? [];
  if (ws.length === 0) return null;
  return ws.map((w) => (/^\p{L}{4,}$/u.test(w) ? `${esc(w)}(?:s|es|e?d)?` : esc(w))).join('[\\s_-]*');
}

function boundaryRe(alts: string[]): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alts.join('|')})(?![\\p{L}\\p{N}]|[-.]\\p{N})`, 'giu');
}

function findText(text: string, rule: ResolvedRule, occ: Occurrence[]): ProseFinding {
  const raws = [String(rule.expectedRaw)];
  const group = rule.synonyms.find((g) => rule.expected?.type === 'text' && (g.has(rule.expected.norm) || g.has(rule.expected.compact)));
  if (group) raws.push(...group);
  if (Array.isArray(rule.expectedRaw)) {
    const items = rule.expectedRaw.map(String);
    const missing = items.filter((it) => !boundaryRe([textPattern(it) ?? esc(it)]).test(text));
    if (missing.length === 0) return { status: 'match', said: items.join(', ') };
    return occ.length || missing.length < items.length ? { status: 'mismatch', said: `nothing about ${missing.join(', ')}` } : { status: 'missing' };
  }
  const alts = raws.map(textPattern).filter((p): p is string => !!p);
  if (alts.length && boundaryRe(alts).test(text)) return { status: 'match', said: String(rule.expectedRaw) };
  // Same shape, other number: "GPU-3" expected, "GPU-8" written.
  const raw = fold(unwrap(String(rule.expectedRaw)));
  if (/\d/.test(raw) && /\p{L}/u.test(raw)) {
    const shape = raw.split(/[^\p{L}\p{N}]+/u).filter(Boolean).map((w) => (/^\d+$/.test(w) ? '\\d+' : esc(w))).join('[\\s_-]*');
    const m = boundaryRe([shape]).exec(text);
    if (m) return { status: 'mismatch', said: m[0] };
  }
  // Another value of the same enum stated.
  for (const g of rule.synonyms) {
    if (g === group) continue;
    const m = boundaryRe([...g].map(textPattern).filter((p): p is string => !!p)).exec(text);
    if (m) return { status: 'mismatch', said: m[0] };
  }
  // The field is named but its value is not there: say what stands beside the name.
  for (const o of [...occ.filter((x) => !x.weak), ...occ.filter((x) => x.weak)]) {
    const after = text.slice(o.end, o.end + 80);
    const said = /^\s*(?:[:=-]|is|was|will be|of|set to|to|as|stays|remains)?\s*(?:(?:a|an|the)\s+)?([^,.;:\n]{1,40})/i.exec(after)?.[1]?.trim();
    if (said && !/^(?:and|with|for|at|in|on|to|of|the|a|an)\b/i.test(said)) return { status: 'mismatch', said };
    const before = /(?:^|[\s(])((?:[\p{L}\p{N}-]+\s+){0,1}[\p{L}\p{N}-]+)\s*$/u.exec(text.slice(Math.max(0, o.start - 40), o.start))?.[1];
    if (before && !/^(?:and|with|for|at|in|on|to|of|the|a|an|is)$/i.test(before)) return { status: 'mismatch', said: `${before} ${text.slice(o.start, o.end)}` };
  }
  return { status: 'missing' };
}

function findBoolean(text: string, occ: Occurrence[]): Typed | null {
  const o = occ.find((x) => !x.weak) ?? occ[0];
  if (!o) return null;
  const before = text.slice(Math.max(0, o.start - 24), o.start);
  const after = text.slice(o.end, o.end + 30);
  const negated = /\b(?:no|not|without|non|n't)\b[\s-]*(?:\w+\s+)?$/i.test(before) || /^\s*(?:is|was|will be|has been)?\s*(?:not|n't|disabled|off|false)\b/i.test(after);
  return { type: 'boolean', value: !negated, raw: negated ? `not ${text.slice(o.start, o.end)}` : text.slice(o.start, o.end) };
}

export function searchProse(input: string, rules: ResolvedRule[], all: ResolvedRule[] = rules): Map<ResolvedRule, ProseFinding> {
  const result = new Map<ResolvedRule, ProseFinding>();
  if (rules.length === 0) return result;
  const text = nfkc(input);
  const mentions = scanMentions(text);
  const seg = segmenter(text);
  const occ = new Map<ResolvedRule, Occurrence[]>();
  const allOcc: Occurrence[] = [];
  for (const r of all) {
    const o = occurrences(text, r, all);
    occ.set(r, o);
    allOcc.push(...o);
  }
  const claimed = new Set<Mention>();

  // Text values first: their words are not numbers, but ids hold digits ("GPU-3") that a
  // number field must not take.
  for (const r of rules) {
    if (r.type !== 'text' && r.type !== 'enum') continue;
    result.set(r, findText(text, r, occ.get(r)!));
  }

  // Pair each name occurrence with the nearest value of its type in the same sentence.
  type Pair = { rule: ResolvedRule; o: Occurrence; m: Mention; t: Typed; d: number };
  const pairs: Pair[] = [];
  for (const r of rules) {
    if (r.type === 'text' || r.type === 'enum') continue;
    for (const o of occ.get(r)!) {
      for (const m of mentions) {
        if (seg(m.start) !== seg(o.start)) continue;
        let d: number;
        if (m.start >= o.end) d = m.start - o.end;
        else if (m.end <= o.start) d = (o.start - m.end) * 1.5 + 3;
        else continue;
        if (d > 90) continue;
        const lo = Math.min(o.end, m.end);
        const hi = Math.max(o.start, m.start);
        if (allOcc.some((x) => x.rule !== r && !x.weak && x.start >= lo && x.end <= hi)) continue;
        const t = typedFor(r, m, d <= 40);
        if (!t) continue;
        pairs.push({ rule: r, o, m, t, d: d + (o.weak ? 20 : 0) });
      }
    }
  }
  pairs.sort((a, b) => a.d - b.d);
  const usedOcc = new Set<Occurrence>();
  const found = new Map<ResolvedRule, Typed[]>();
  for (const p of pairs) {
    if (claimed.has(p.m) || usedOcc.has(p.o)) continue;
    claimed.add(p.m);
    usedOcc.add(p.o);
    const list = found.get(p.rule) ?? [];
    list.push(p.t);
    found.set(p.rule, list);
  }

  for (const r of rules) {
    if (r.type === 'text' || r.type === 'enum') continue;
    const vals = found.get(r);
    if (vals && vals.length) {
      const wrong = vals.find((v) => !equal(r, v));
      result.set(r, wrong ? { status: 'mismatch', actual: wrong } : { status: 'match', actual: vals[0] });
      continue;
    }
    if (r.type === 'boolean') {
      const b = findBoolean(text, occ.get(r)!);
      result.set(r, b ? { status: equal(r, b) ? 'match' : 'mismatch', actual: b } : { status: 'missing' });
      continue;
    }
    const free: Array<[Mention, Typed]> = [];
    for (const m of mentions) {
      if (claimed.has(m)) continue;
      const t = typedFor(r, m, false);
      if (t) free.push([m, t]);
    }
    const pick = free.find(([, t]) => equal(r, t)) ?? free[0];
    if (!pick) {
      result.set(r, { status: 'missing' });
      continue;
    }
    claimed.add(pick[0]);
    result.set(r, { status: equal(r, pick[1]) ? 'match' : 'mismatch', actual: pick[1] });
  }
  return result;
}

export type { SynonymGroups };
