// The IO Matcher's one entry point: input data + model output (+ rules) → a verdict per
// field and overall, each with a reason a person can act on.

import { compareValues } from './compare';
import { GENERIC_NAME_WORDS, nameScore } from './field-names';
import { DEFAULT_MAX_TEXT_LENGTH, checkInputData, checkOutput, checkRules, withPlainObjects } from './guard';
import { type Entry, parseOutput } from './parse-output';
import { type ProseFinding, searchProse } from './prose';
import { type ResolvedRule, resolveRules } from './rules';
import type { FieldVerdict, MatchOptions, Verification } from './types';
import { type Typed, readValue, show } from './values';

/** Qualifiers that make a name mean another thing: "Return temp" is not "supply temp". */
const CONTRASTS = new Set(['supply', 'return', 'inlet', 'outlet', 'intake', 'exhaust', 'minimum', 'maximum', 'upper', 'lower', 'primary', 'secondary', 'hot', 'cold', 'input', 'output', 'previou', 'old', 'new', 'actual', 'ambient', 'internal', 'external', 'averag', 'peak']);

/** Keys a model adds to talk about the answer rather than state it; never "extra" fields. */
const CHATTER_KEYS = new Set([
  'note', 'notes', 'comment', 'comments', 'explanation', 'reasoning', 'summary', 'remark', 'remarks', 'disclaimer',
  'tip', 'important', 'please note', 'status', 'confidence', 'source', 'sources', 'rationale', 'reason', 'next step', 'next steps',
]);

function unitHint(rule: ResolvedRule): string | undefined {
  return rule.unit ?? (rule.expected?.type === 'quantity' ? rule.expected.unit : undefined);
}

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'string' && /^\s*(?:|-|—|n\/a|null|none|tbd|unknown|\?)\s*$/i.test(v));
}

/** Best entry per rule: highest name score first, then an entry whose value reads as the type. */
function assignEntries(rules: ResolvedRule[], entries: Entry[]): Map<ResolvedRule, Entry> {
  const pairs: Array<{ r: ResolvedRule; e: Entry; s: number }> = [];
  // How many fields use each name word: a word only one field uses still points to it
  // ("Coolant flow" → flow_rate) when nothing names the field better.
  const wordUse = new Map<string, number>();
  for (const r of rules) for (const w of new Set(r.names.flat())) wordUse.set(w, (wordUse.get(w) ?? 0) + 1);
  for (const r of rules) {
    for (const e of entries) {
      let s = 0;
      for (const n of r.names) s = Math.max(s, nameScore(e.words, n) * 2, nameScore(e.pathWords, n) * 2 - 1);
      const typed = r.type !== 'text' && r.type !== 'enum';
      const weak =
        s <= 0 &&
        typed &&
        e.words.some((w) => !GENERIC_NAME_WORDS.has(w) && wordUse.get(w) === 1 && r.names.some((n) => n.includes(w))) &&
        !e.words.some((w) => CONTRASTS.has(w) && !r.names.some((n) => n.includes(w)));
      if (s <= 0 && !weak) continue;
      const readable = !typed || readValue(r.type, e.value, unitHint(r)) !== null;
      if (weak) {
        if (!readable) continue;
        s = 0.5;
      }
      pairs.push({ r, e, s: s * 2 + (readable ? 1 : 0) });
    }
  }
  pairs.sort((a, b) => b.s - a.s);
  const byRule = new Map<ResolvedRule, Entry>();
  const taken = new Set<Entry>();
  for (const p of pairs) {
    if (byRule.has(p.r) || taken.has(p.e)) continue;
    byRule.set(p.r, p.e);
    taken.add(p.e);
  }
  return byRule;
}

function expectedText(r: ResolvedRule): string {
  return show(r.expected, r.expectedRaw);
}

function verdictFromEntry(r: ResolvedRule, e: Entry): FieldVerdict {
  const base = { field: r.field, expected: r.expectedRaw, actual: e.value };
  if (isEmpty(e.value)) return { ...base, status: 'missing', reason: `${r.field}: expected ${expectedText(r)}, output leaves it empty` };
  if (r.list) return listVerdict(r, e.value);
  const readAs = r.type === 'enum' ? 'text' : r.type;
  const actual = readValue(readAs, e.value, unitHint(r));
  if (!actual) {
    return { ...base, status: 'mismatch', reason: `${r.field}: expected ${expectedText(r)}, output says ${show(null, e.value)}, which is not a ${r.type}` };
  }
  return typedVerdict(r, actual, e.value);
}

function typedVerdict(r: ResolvedRule, actual: Typed, rawActual: unknown): FieldVerdict {
  const c = compareValues(r.expected!, actual, r.tolerance, r.synonyms);
  const base = { field: r.field, expected: r.expectedRaw, actual: rawActual };
  if (c.ok) return { ...base, status: 'match', reason: `${r.field}: ${show(actual, rawActual)} matches ${expectedText(r)}` };
  return { ...base, status: 'mismatch', reason: `${r.field}: expected ${expectedText(r)}, output says ${show(actual, rawActual)}${c.note ? ` (${c.note})` : ''}` };
}

function listVerdict(r: ResolvedRule, value: unknown): FieldVerdict {
  const items = Array.isArray(value) ? value.map(String) : String(value).split(/\s*(?:[,;/]|\band\b|&)\s*/).filter(Boolean);
  const readAs = r.type === 'enum' ? 'text' : r.type;
  const got = items.map((i) => readValue(readAs, i, unitHint(r))).filter((t): t is Typed => t !== null);
  const missing = r.list!.filter((e) => !got.some((g) => compareValues(e, g, r.tolerance, r.synonyms).ok));
  const added = got.filter((g) => !r.list!.some((e) => compareValues(e, g, r.tolerance, r.synonyms).ok));
  const base = { field: r.field, expected: r.expectedRaw, actual: value };
  if (!missing.length && !added.length) return { ...base, status: 'match', reason: `${r.field}: all ${r.list!.length} items match` };
  const parts = [missing.length ? `lacks ${missing.map((m) => m.raw).join(', ')}` : '', added.length ? `adds ${added.map((m) => m.raw).join(', ')}` : ''].filter(Boolean);
  return { ...base, status: 'mismatch', reason: `${r.field}: expected ${r.list!.map((m) => m.raw).join(', ')}, output ${parts.join(' and ')}` };
}

function verdictFromProse(r: ResolvedRule, f: ProseFinding | undefined): FieldVerdict {
  const base = { field: r.field, expected: r.expectedRaw };
  if (!f || f.status === 'missing') {
    return { ...base, actual: undefined, status: 'missing', reason: `${r.field}: expected ${expectedText(r)}, output does not state it` };
  }
  if (f.actual) return typedVerdict(r, f.actual, f.actual.raw);
  if (f.status === 'match') return { ...base, actual: f.said, status: 'match', reason: `${r.field}: output states ${expectedText(r)}` };
  return { ...base, actual: f.said, status: 'mismatch', reason: `${r.field}: expected ${expectedText(r)}, output says "${f.said}"` };
}

/** An output entry that states a field of its own (not chatter, not a sentence with a colon). */
function isExtraField(e: Entry): boolean {
  if (isEmpty(e.value) || e.words.length === 0 || CHATTER_KEYS.has(e.words.join(' '))) return false;
  if (e.source && (e.words.length > 4 || (typeof e.value === 'string' && e.value.split(/\s+/).length > 8))) return false;
  return true;
}

function isShortValue(e: Entry): boolean {
  return typeof e.value !== 'string' || e.value.trim().split(/\s+/).length <= 3;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 'es'}`;
}

export function matchIO(inputData: unknown, output: unknown, options: MatchOptions = {}): Verification {
  const maxLength = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
  checkInputData(inputData, maxLength);
  checkOutput(output, maxLength);
  checkRules(options.rules);
  const strict = options.strict === true;
  // Objects without a prototype become plain ones here: every conversion to text further on would throw on them.
  // checkRules lets null through as "no rules", like undefined.
  const rules = resolveRules(withPlainObjects(inputData), withPlainObjects(options.rules ?? undefined));
  const parsed = parseOutput(withPlainObjects(output));
  const byRule = assignEntries(rules, parsed.entries);
  const assigned = new Set(byRule.values());

  // A line that names another field keeps its value; other lines ("Note: …") are prose again.
  let prose = parsed.prose;
  for (const e of parsed.entries) if (!assigned.has(e) && e.source && !(isExtraField(e) && isShortValue(e))) prose += '\n' + e.source;
  const unverifiable = rules.filter((r) => r.expected === null);
  const forProse = rules.filter((r) => r.expected !== null && !byRule.has(r));
  const proseFindings = forProse.length ? searchProse(prose, forProse, rules) : new Map<ResolvedRule, ProseFinding>();

  const fields: FieldVerdict[] = [];
  for (const r of rules) {
    if (unverifiable.includes(r)) {
      fields.push({
        field: r.field,
        expected: r.expectedRaw,
        actual: byRule.get(r)?.value,
        status: 'unverifiable',
        reason: r.expectedRaw === undefined ? `${r.field}: the input has no value to compare with` : `${r.field}: input value ${show(null, r.expectedRaw)} is not a ${r.type}`,
      });
      continue;
    }
    const e = byRule.get(r);
    fields.push(e ? verdictFromEntry(r, e) : verdictFromProse(r, proseFindings.get(r)));
  }
  for (const e of parsed.entries) {
    if (assigned.has(e) || !isExtraField(e)) continue;
    fields.push({ field: e.key, expected: undefined, actual: e.value, status: 'extra', reason: `${e.key}: in the output (${show(null, e.value)}) but not in the input` });
  }

  const failing = fields.filter((f, i) => {
    if (f.status === 'match') return false;
    if (f.status === 'extra') return strict;
    const r = rules[i];
    if (!r.required && (f.status === 'missing' || (f.status === 'unverifiable' && r.expectedRaw === undefined))) return false;
    return true;
  });
  const checked = fields.filter((f) => f.status !== 'extra' || strict).length;
  const matched = fields.filter((f) => f.status === 'match').length;
  const match = failing.length === 0;
  return {
    match,
    score: checked === 0 ? 1 : matched / checked,
    mismatches: failing.length,
    summary: match ? 'Match confirmed' : `${plural(failing.length, 'mismatch')}: ${failing.map((f) => f.reason).join('; ')}`,
    fields,
    format: parsed.format,
    strict,
  };
}
