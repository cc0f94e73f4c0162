// The edit dialog stores rules as rows of strings (what a person types); this turns them into
// MatchRules. "2%" is a relative tolerance, "0.5" an absolute one; synonyms are written
// "auto = automatic, AUTO; manual = hand, local".

import { FIELD_TYPES, type FieldType, type MatchRule, type Tolerance } from './types';

export interface DialogRuleRow {
  field?: string;
  type?: string;
  aliases?: string;
  tolerance?: string | number;
  unit?: string;
  synonyms?: string;
  required?: boolean | string;
}

function list(s: string | undefined): string[] {
  return (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
}

export function parseTolerance(raw: string | number | undefined): Tolerance | undefined {
  if (raw === undefined || raw === '') return undefined;
  const t = String(raw).trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(t);
  if (pct) return { rel: Number(pct[1]) / 100 };
  const n = Number(t);
  if (Number.isFinite(n) && n >= 0) return { abs: n };
  throw new Error(`tolerance "${t}" is neither a number (absolute) nor a percentage`);
}

export function parseSynonyms(raw: string | undefined): Record<string, string[]> | undefined {
  if (!raw || !raw.trim()) return undefined;
  const out: Record<string, string[]> = {};
  for (const group of raw.split(';')) {
    const [head, rest] = group.split('=');
    if (!head || !head.trim()) continue;
    out[head.trim()] = list(rest);
  }
  return Object.keys(out).length ? out : undefined;
}

export function rulesFromDialog(rows: DialogRuleRow[] | undefined): MatchRule[] {
  const out: MatchRule[] = [];
  for (const row of rows ?? []) {
    const field = (row.field ?? '').trim();
    if (!field) continue;
    const rule: MatchRule = { field };
    if (row.type && row.type !== 'auto') {
      if (!(FIELD_TYPES as readonly string[]).includes(row.type)) throw new Error(`rule for "${field}": unknown type "${row.type}"`);
      rule.type = row.type as FieldType;
    }
    const aliases = list(row.aliases);
    if (aliases.length) rule.aliases = aliases;
    const tolerance = parseTolerance(row.tolerance);
    if (tolerance) rule.tolerance = tolerance;
    if (row.unit && row.unit.trim()) rule.unit = row.unit.trim();
    const synonyms = parseSynonyms(row.synonyms);
    if (synonyms) rule.synonyms = synonyms;
    if (row.required === false || row.required === 'false') rule.required = false;
    out.push(rule);
  }
  return out;
}
