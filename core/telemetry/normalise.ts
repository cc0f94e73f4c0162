// Turns whatever a flow hands the Sensor (a number, a reading, an array of either) into
// normalised readings. Bad readings are reported one by one with a reason a person can act on;
// good readings of the same batch are kept.
import { LAYERS, Layer, METRICS, Reading } from './catalogue';
import { canonicalUnit, KNOWN_UNITS } from './units';

export interface NormaliseDefaults {
  /** Metric used for bare numbers. */
  metric?: string;
  layer?: Layer;
  unit?: string;
  tags?: Record<string, string>;
  /** Timestamp (ms) for readings that carry none. */
  now: number;
}

export interface Rejected {
  index: number;
  reason: string;
}

export interface NormaliseResult {
  readings: Reading[];
  rejected: Rejected[];
}

const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_.\-]{0,127}$/;
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_TAGS = 32;
const MAX_TAG_LENGTH = 256;
/** Timestamps outside 1990..2200 are almost always seconds-vs-milliseconds mistakes. */
const TS_MIN = Date.UTC(1990, 0, 1);
const TS_MAX = Date.UTC(2200, 0, 1);

/** A short, printable rendering of an arbitrary value for error messages (never 10 MB). */
export function preview(value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) s = String(value);
  else if (Array.isArray(value)) s = `an array of ${value.length}`;
  else if (Buffer.isBuffer(value)) s = `binary data (${value.length} bytes)`;
  else if (typeof value === 'object') s = 'an object';
  else s = typeof value;
  return s;
}

class ReadingError extends Error {}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Buffer.isBuffer(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function toValue(raw: unknown): number {
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw !== 'number') throw new ReadingError(`value ${preview(raw)} is not a number`);
  if (!Number.isFinite(raw)) throw new ReadingError(`value ${preview(raw)} is not a finite number`);
  return raw;
}

function toTimestamp(raw: unknown, now: number): number {
  if (raw === undefined || raw === null) return now;
  let ms: number;
  if (typeof raw === 'number') ms = raw;
  else if (raw instanceof Date) ms = raw.getTime();
  else if (typeof raw === 'string' && raw.length <= 64) ms = Date.parse(raw);
  else throw new ReadingError(`timestamp ${preview(raw)} is neither epoch milliseconds nor a date`);
  if (!Number.isFinite(ms)) throw new ReadingError(`timestamp ${preview(raw)} is not a valid date`);
  if (ms < TS_MIN || ms > TS_MAX) {
    throw new ReadingError(`timestamp ${preview(raw)} is outside 1990–2200 (seconds instead of milliseconds?)`);
  }
  return Math.round(ms);
}

function toTags(raw: unknown, defaults: Record<string, string> | undefined): Record<string, string> {
  const tags: Record<string, string> = Object.create(null);
  const add = (src: Record<string, unknown>) => {
    for (const key of Object.keys(src)) {
      if (UNSAFE_KEYS.has(key)) throw new ReadingError(`tag name "${key}" is not allowed`);
      const v = src[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new ReadingError(`tag "${key.slice(0, 40)}" must be a string or number, not ${preview(v)}`);
      }
      const s = String(v);
      if (key.length > 64 || s.length > MAX_TAG_LENGTH) throw new ReadingError(`tag "${key.slice(0, 40)}" is too long`);
      tags[key] = s;
    }
  };
  if (defaults) add(defaults);
  if (raw !== undefined && raw !== null) {
    if (!isPlainObject(raw)) throw new ReadingError(`tags must be an object, not ${preview(raw)}`);
    add(raw);
  }
  if (Object.keys(tags).length > MAX_TAGS) throw new ReadingError(`more than ${MAX_TAGS} tags`);
  // A plain object again, so the reading serialises and compares like any other.
  return { ...tags };
}

function normaliseOne(item: unknown, d: NormaliseDefaults): Reading {
  let metric: unknown;
  let rawValue: unknown;
  let rawUnit: unknown;
  let rawLayer: unknown;
  let rawTs: unknown;
  let rawTags: unknown;
  if (typeof item === 'number' || typeof item === 'boolean') {
    if (!d.metric) throw new ReadingError('a bare number needs a metric: set one in the node, or send {metric, value}');
    metric = d.metric;
    rawValue = item;
  } else if (isPlainObject(item)) {
    for (const key of Object.keys(item)) {
      if (UNSAFE_KEYS.has(key)) throw new ReadingError(`property "${key}" is not allowed in a reading`);
    }
    metric = item.metric ?? d.metric;
    rawValue = item.value;
    rawUnit = item.unit;
    rawLayer = item.layer;
    rawTs = item.ts ?? item.timestamp;
    rawTags = item.tags;
    if (metric === undefined) throw new ReadingError('reading has no metric');
    if (!('value' in item)) throw new ReadingError(`reading "${String(metric).slice(0, 40)}" has no value`);
  } else {
    throw new ReadingError(`${preview(item)} is not a reading: send a number or {metric, value, unit?, layer?, ts?, tags?}`);
  }
  if (typeof metric !== 'string' || !METRIC_NAME.test(metric)) {
    throw new ReadingError(`metric ${preview(metric)} is not a valid name (letters, digits, "._-", up to 128)`);
  }
  const value = toValue(rawValue);
  const known = Object.prototype.hasOwnProperty.call(METRICS, metric) ? METRICS[metric] : undefined;

  const unitIn = rawUnit ?? known?.unit ?? d.unit;
  if (unitIn === undefined) throw new ReadingError(`metric "${metric}" is not in the catalogue, so it needs a unit`);
  if (typeof unitIn !== 'string') throw new ReadingError(`unit ${preview(unitIn)} is not a string`);
  const unit = canonicalUnit(unitIn);
  if (!unit) throw new ReadingError(`unit ${preview(unitIn)} is unknown (known: ${KNOWN_UNITS.join(', ')})`);

  const layerIn = rawLayer ?? known?.layer ?? d.layer;
  if (layerIn === undefined) throw new ReadingError(`metric "${metric}" is not in the catalogue, so it needs a layer`);
  if (typeof layerIn !== 'string' || !(LAYERS as readonly string[]).includes(layerIn)) {
    throw new ReadingError(`layer ${preview(layerIn)} is unknown (one of ${LAYERS.join(', ')})`);
  }
  return {
    layer: layerIn as Layer,
    metric,
    value,
    unit,
    ts: toTimestamp(rawTs, d.now),
    tags: toTags(rawTags, d.tags),
  };
}

/** Normalises one input (a reading, a number, or an array of them) into readings. */
export function normaliseReadings(input: unknown, defaults: NormaliseDefaults): NormaliseResult {
  const items = Array.isArray(input) ? input : [input];
  const readings: Reading[] = [];
  const rejected: Rejected[] = [];
  for (let i = 0; i < items.length; i++) {
    try {
      readings.push(normaliseOne(items[i], defaults));
    } catch (err) {
      if (!(err instanceof ReadingError)) throw err;
      rejected.push({ index: i, reason: err.message });
    }
  }
  return { readings, rejected };
}

/** One sentence about rejected readings, naming the first few. */
export function describeRejected(rejected: Rejected[], total: number): string {
  const shown = rejected.slice(0, 3).map((r) => (total > 1 ? `#${r.index}: ${r.reason}` : r.reason));
  const more = rejected.length > shown.length ? `; and ${rejected.length - shown.length} more` : '';
  const head = total > 1 ? `${rejected.length} of ${total} readings rejected: ` : 'reading rejected: ';
  return head + shown.join('; ') + more;
}
