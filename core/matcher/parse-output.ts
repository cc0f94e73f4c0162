// Reads a model's output into named entries where it has structure (an object, JSON text,
// a markdown table, "Key: Value" lines or bullets) and keeps the rest as prose, where fields
// are looked for by name and value.

import { nameWords } from './field-names';
import { isPlainObject } from './guard';
import type { OutputFormat } from './types';

export interface Entry {
  key: string;
  /** Words of the key's last segment, and of the whole path ("order.shipping.cost"). */
  words: string[];
  pathWords: string[];
  value: unknown;
  /** The line it was read from; returned to the prose when the entry names no field. */
  source?: string;
}

export interface ParsedOutput {
  format: OutputFormat;
  entries: Entry[];
  /** Text left for the prose search: everything not read as an entry. */
  prose: string;
}

function entry(key: string, value: unknown): Entry {
  const last = key.split('.').pop()!;
  return { key, words: nameWords(last), pathWords: nameWords(key), value };
}

function isSingleValue(o: Record<string, unknown>): boolean {
  return ('value' in o && 'unit' in o) || ('amount' in o && 'currency' in o);
}

/** Like `every`, but a hole in a sparse array counts as `undefined` (`every` skips holes). */
function everyItem(list: unknown[], test: (v: unknown) => boolean): boolean {
  for (let i = 0; i < list.length; i++) if (!test(list[i])) return false;
  return true;
}

function flattenObject(o: Record<string, unknown>, prefix: string, out: Entry[], depth = 0): void {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v) && !isSingleValue(v) && depth < 8) flattenObject(v, key, out, depth + 1);
    else if (Array.isArray(v) && v.length > 0 && everyItem(v, isPlainObject) && depth < 8) {
      for (const item of v) flattenObject(item as Record<string, unknown>, key, out, depth + 1);
    } else out.push(entry(key, v));
  }
}

/** [{field|name|key, value}] lists are another way models spell a record. */
function fromPairs(list: unknown[]): Entry[] | null {
  const out: Entry[] = [];
  for (const item of list) {
    if (!isPlainObject(item)) return null;
    const k = item.field ?? item.name ?? item.key ?? item.parameter;
    if (typeof k !== 'string' || !('value' in item)) return null;
    out.push(entry(k, 'unit' in item && item.unit ? `${String(item.value)} ${String(item.unit)}` : item.value));
  }
  return out;
}

export function entriesOfObject(value: unknown): Entry[] | null {
  if (isPlainObject(value)) {
    const out: Entry[] = [];
    flattenObject(value, '', out);
    return out;
  }
  if (Array.isArray(value) && value.length > 0) {
    const pairs = fromPairs(value);
    if (pairs) return pairs;
    if (value.length === 1 && isPlainObject(value[0])) return entriesOfObject(value[0]);
  }
  return null;
}

/** Prose in object outputs: long string values that name no field of their own. */
function proseOfEntries(entries: Entry[]): string {
  return entries
    .filter((e) => typeof e.value === 'string' && /\s\S+\s/.test(e.value))
    .map((e) => e.value as string)
    .join('\n');
}

const FENCE_RE = /```[ \t]*(?:json|javascript|js)?[ \t]*\r?\n([\s\S]*?)```/gi;

/** The end of the balanced {...} or [...] starting at `start`, or -1. */
function balancedEnd(text: string, start: number): number {
  const open = text[start];
  const close = open === '{' ? '}' : ']';
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === open || c === (open === '{' ? '[' : '{')) depth++;
    else if (c === close || c === (open === '{' ? ']' : '}')) {
      depth--;
      if (depth === 0) return c === close ? i : -1;
    }
  }
  return -1;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Models often leave a trailing comma before } or ].
    try {
      return JSON.parse(text.replace(/,\s*([}\]])/g, '$1'));
    } catch {
      return undefined;
    }
  }
}

function findJson(text: string): { entries: Entry[]; rest: string } | null {
  FENCE_RE.lastIndex = 0;
  for (let m = FENCE_RE.exec(text); m; m = FENCE_RE.exec(text)) {
    const entries = entriesOfObject(tryJson(m[1].trim()));
    if (entries) return { entries, rest: text.slice(0, m.index) + '\n' + text.slice(m.index + m[0].length) };
  }
  for (let i = text.indexOf('{'); i >= 0; i = text.indexOf('{', i + 1)) {
    const end = balancedEnd(text, i);
    if (end < 0) continue;
    const entries = entriesOfObject(tryJson(text.slice(i, end + 1)));
    if (entries && entries.length > 0) return { entries, rest: text.slice(0, i) + '\n' + text.slice(end + 1) };
  }
  return null;
}

const TABLE_SEPARATOR_RE = /^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$/;
const VERTICAL_HEADERS = new Set(['field', 'key', 'parameter', 'name', 'item', 'attribute', 'property', 'setting', 'metric', 'detail', 'description', 'variable', 'point', 'tag']);

function cells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim().replace(/^\*\*(.*)\*\*$/, '$1'));
}

function findTable(text: string): { entries: Entry[]; rest: string } | null {
  const lines = text.split(/\r?\n/);
  for (let i = 1; i < lines.length; i++) {
    if (!TABLE_SEPARATOR_RE.test(lines[i]) || !lines[i - 1].includes('|')) continue;
    const header = cells(lines[i - 1]);
    let j = i + 1;
    const rows: string[][] = [];
    while (j < lines.length && lines[j].includes('|')) rows.push(cells(lines[j++]));
    if (rows.length === 0) continue;
    const entries: Entry[] = [];
    const headerWords = nameWords(header[0]);
    const vertical = header.length === 2 && (headerWords.length === 0 || VERTICAL_HEADERS.has(headerWords[0]) || rows.length > 1);
    if (vertical) for (const r of rows) entries.push(entry(r[0], r.slice(1).join(' | ')));
    else header.forEach((h, c) => entries.push(entry(h, rows[0][c] ?? '')));
    return { entries, rest: [...lines.slice(0, i - 1), ...lines.slice(j)].join('\n') };
  }
  return null;
}

// "- **Flow rate (L/min):** 40", "Quantity = 5", "3. Shipping – Free".
const LEAD_RE = /^\s*(?:[-*•+]\s+|\d{1,2}[.)]\s+|#{1,6}\s+|>\s*)?/;
const COLON_RE = /^([^\n:=|]{1,60}?)\s*[:=]\s*(.*?)\s*$/;
const DASH_RE = /^([^\n:=|]{1,48}?)\s+(?:[–—-]|->)\s+(.*?)\s*$/;
const INLINE_SPLIT_RE = /\s*[,;|]\s*(?=[\p{L}][\p{L}\p{N} _()/-]{0,30}:\s)/u;
const KEY_UNIT_RE = /^(.*?)\s*[([]\s*([^)\]]{1,12})\s*[)\]]\s*$/;

function lineEntry(line: string): Entry | null {
  const body = (line.includes('**') || line.includes('__') ? line.replace(/\*\*|__/g, '') : line).replace(LEAD_RE, '');
  // A colon or "=" separates key and value before a dash does ("Sure — values: …").
  const m = (/^[^:=]*:\/\//.test(body) ? null : COLON_RE.exec(body)) ?? DASH_RE.exec(body);
  if (!m) return null;
  // "Done. Quantity: 5": the key is what follows the last sentence end.
  let key = /[.!?]\s/.test(m[1]) ? m[1].split(/[.!?]\s+/).pop()!.trim() : m[1].trim();
  if (/^[`"']|[`"']$/.test(key)) key = key.replace(/^[`"']|[`"']$/g, '');
  let value = m[2];
  if (!value || /^\/\//.test(value) || /^\d{2}\b/.test(value) && /\d$/.test(key)) return null; // a heading, a URL, a time
  if (!key || key.split(/\s+/).length > 6 || /[.!?]$/.test(key)) return null;
  // "Result: product: Laptop": the first label introduces the pair.
  if (/^[\p{L}][\p{L}\p{N} _-]{0,30}:\s/u.test(value)) return lineEntry(value);
  // A sentence with a colon in it is prose, not a field.
  if (value.split(/\s+/).length > 8) return null;
  const unit = key.includes('(') || key.includes('[') ? KEY_UNIT_RE.exec(key) : null;
  if (unit) {
    key = unit[1];
    if (/^[-+]?[\d.,]+$/.test(value.trim())) value = `${value.trim()} ${unit[2]}`;
  }
  return { ...entry(key, value), source: line };
}

function findLines(text: string): { entries: Entry[]; rest: string } | null {
  const entries: Entry[] = [];
  const rest: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const parts = line.split(INLINE_SPLIT_RE);
    const found = parts.map(lineEntry);
    if (found.every((e) => e !== null)) entries.push(...(found as Entry[]));
    else rest.push(line);
  }
  return entries.length > 0 ? { entries, rest: rest.join('\n') } : null;
}

export function parseOutput(output: unknown): ParsedOutput {
  if (typeof output !== 'string') {
    const entries = entriesOfObject(output);
    if (entries) return { format: 'object', entries, prose: proseOfEntries(entries) };
    return { format: 'prose', entries: [], prose: String(output) };
  }
  const json = findJson(output);
  if (json) return { format: 'json', entries: json.entries, prose: json.rest + '\n' + proseOfEntries(json.entries) };
  const table = findTable(output);
  if (table) {
    const more = findLines(table.rest);
    return { format: 'table', entries: [...table.entries, ...(more?.entries ?? [])], prose: more ? more.rest : table.rest };
  }
  const lines = findLines(output);
  if (lines) return { format: 'lines', entries: lines.entries, prose: lines.rest };
  return { format: 'prose', entries: [], prose: output };
}
