// Turns the input data and the user's rules into one checklist: a rule per input field
// (typed from the rule, or inferred from the value), with the names the output may use.

import { type SynonymGroups } from './compare';
import { nameWords } from './field-names';
import { isPlainObject } from './guard';
import { inferType } from './infer';
import type { FieldType, MatchRule, Synonyms, Tolerance } from './types';
import { type Typed, readValue, textForm } from './values';

export interface ResolvedRule {
  field: string;
  type: FieldType;
  required: boolean;
  tolerance?: Tolerance;
  unit?: string;
  synonyms: SynonymGroups;
  /** The value as it went in. */
  expectedRaw: unknown;
  /** Null when the input value does not read as the rule's type (the field is unverifiable). */
  expected: Typed | null;
  /** Word lists of the field name, its path ending and its aliases. */
  names: string[][];
  /** Input field names of list values are checked item by item. */
  list?: Typed[];
}

function synonymGroups(s: Synonyms | undefined): SynonymGroups {
  if (!s) return [];
  const lists: string[][] = Array.isArray(s) ? s.filter(Array.isArray) : Object.entries(s).map(([k, v]) => [k, ...(Array.isArray(v) ? v : [])]);
  return lists.map((list) => {
    const g = new Set<string>();
    for (const item of list) {
      const f = textForm(String(item));
      g.add(f.norm);
      if (f.compact) g.add(f.compact);
    }
    return g;
  });
}

/** Input fields as [path, value]; nested objects become "parent.child" unless they are one value. */
function flattenInput(input: Record<string, unknown>, prefix = '', out: Array<[string, unknown]> = []): Array<[string, unknown]> {
  for (const [k, v] of Object.entries(input)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v) && !('value' in v) && !('amount' in v)) flattenInput(v, path, out);
    else out.push([path, v]);
  }
  return out;
}

function namesOf(field: string, aliases: string[] = []): string[][] {
  const names = [nameWords(field)];
  const last = field.split('.').pop()!;
  if (last !== field) names.push(nameWords(last));
  for (const a of aliases) names.push(nameWords(a));
  return names.filter((n) => n.length > 0);
}

function sameName(a: string, b: string): boolean {
  return nameWords(a).join('') === nameWords(b).join('');
}

// Flows send the same kind of record again and again; a verdict never changes a resolved rule.
const resolved = new Map<string, ResolvedRule[]>();

export function resolveRules(input: Record<string, unknown>, rules: MatchRule[] = []): ResolvedRule[] {
  const key = JSON.stringify([input, rules]);
  let hit = resolved.get(key);
  if (!hit) {
    hit = resolveRulesFresh(input, rules);
    if (resolved.size > 1000) resolved.clear();
    if (key.length < 8192) resolved.set(key, hit);
  }
  return hit;
}

function resolveRulesFresh(input: Record<string, unknown>, rules: MatchRule[]): ResolvedRule[] {
  const fields = flattenInput(input);
  const used = new Set<MatchRule>();
  const out: ResolvedRule[] = [];
  const build = (field: string, value: unknown, rule: MatchRule | undefined): ResolvedRule => {
    const isList = Array.isArray(value);
    const sample = isList ? (value as unknown[])[0] : value;
    const type: FieldType = rule?.type ?? inferType(sample);
    const readAs = type === 'enum' ? 'text' : type;
    const expected = value === undefined ? null : readValue(readAs, isList ? (value as unknown[]).join(', ') : value, rule?.unit);
    const r: ResolvedRule = {
      field,
      type,
      required: rule?.required !== false,
      tolerance: rule?.tolerance,
      unit: rule?.unit,
      synonyms: synonymGroups(rule?.synonyms),
      expectedRaw: value,
      expected,
      names: namesOf(field, rule?.aliases),
    };
    if (isList) r.list = (value as unknown[]).map((v) => readValue(readAs, v, rule?.unit)).filter((t): t is Typed => t !== null);
    return r;
  };
  for (const [field, value] of fields) {
    const rule = rules.find((r) => !used.has(r) && (sameName(r.field, field) || sameName(r.field, field.split('.').pop()!)));
    if (rule) used.add(rule);
    if (value === null || value === undefined) {
      if (rule) out.push(build(field, undefined, rule));
      continue;
    }
    out.push(build(field, value, rule));
  }
  // A rule for a field the input lacks: nothing to compare against.
  for (const rule of rules) if (!used.has(rule)) out.push(build(rule.field, undefined, rule));
  return out;
}
