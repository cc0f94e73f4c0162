// Field-level differences between two JSON documents, for the reviewer's "diff" column and
// for `msg.review.edits`. Paths read like property access (`setpoints.flow`, `steps[2].value`)
// so a person can find the field in either document.

import type { FieldChange } from './types';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

/** Leaves of a JSON document by path; an empty object or array counts as a leaf. */
export function flatten(value: unknown, base = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value) && value.length > 0) {
    value.forEach((v, i) => flatten(v, join(base, i), out));
  } else if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) flatten(v, join(base, k), out);
  } else {
    out.set(base, value);
  }
  return out;
}

function sameLeaf(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // NaN and the JSON shapes of empty containers compare by value.
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What changed from `before` to `after`, in the order the fields appear. */
export function diff(before: unknown, after: unknown): FieldChange[] {
  const a = flatten(before);
  const b = flatten(after);
  const changes: FieldChange[] = [];
  for (const [path, from] of a) {
    if (!b.has(path)) changes.push({ path, kind: 'removed', from });
    else if (!sameLeaf(from, b.get(path))) changes.push({ path, kind: 'changed', from, to: b.get(path) });
  }
  for (const [path, to] of b) {
    if (!a.has(path)) changes.push({ path, kind: 'added', to });
  }
  return changes;
}

/** The value at a path written the way `flatten` writes it. */
export function valueAt(doc: unknown, path: string): unknown {
  if (path === '') return doc;
  let cur: unknown = doc;
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const key = /^\d+$/.test(part) && Array.isArray(cur) ? Number(part) : part;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}
