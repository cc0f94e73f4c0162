// Turns whatever a flow hands the Sensor (a number, a reading, an array of either) into
// normalised readings. Bad readings are reported one by one with a reason a person can act on;
// good readings of the same batch are kept.
import { LAYERS, Layer, METRICS, Reading } from './catalogue';
import { canonicalUnit, KNOWN_UNITS } from './units';
import { isPlainObject } from '../guards/plain-object';

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

function hasUnsafeKey(o: object): string | undefined {
  for (const k of UNSAFE_KEYS) if (Object.prototype.hasOwnProperty.call(o, k)) return k;
  return undefined;
}

function addTags(tags: Record<string, string>, src: Record<string, unknown>): void {
  const unsafe = hasUnsafeKey(src);
  if (unsafe) throw new ReadingError(`tag name "${unsafe}" is not allowed`);
  for (const key in src) {
    if (!Object.prototype.hasOwnProperty.call(src, key)) continue;
    const v = src[key];
    if (v === undefined || v === null) continue;
    const t = typeof v;
    if (t !== 'string' && t !== 'number' && t !== 'boolean') {
      throw new ReadingError(`tag "${key.slice(0, 40)}" must be a string or number, not ${preview(v)}`);
    }
    const s = t === 'string' ? (v as string) : String(v);
    if (key.length > 64 || s.length > MAX_TAG_LENGTH) throw new ReadingError(`tag "${key.slice(0, 40)}" is too long`);
    tags[key] = s;
  }
}

function toTags(raw: unknown, defaults: Record<string, string> | undefined): Record<string, string> {
  // A plain {} is safe here: every source was checked for __proto__/constructor/prototype first.
  const tags: Record<string, string> = {};
  if (defaults) addTags(tags, defaults);
  if (raw !== undefined && raw !== null) {
    if (!isPlainObject(raw)) throw new ReadingError(`tags must be an object, not ${preview(raw)}`);
    addTags(tags, raw);
  }
  let n = 0;
  for (const _k in tags) n++;
  if (n > MAX_TAGS) throw new ReadingError(`more than ${MAX_TAGS} tags`);
  return tags;
}

/** Metric names seen before, with what the catalogue says of them (a batch repeats a few names). */
const metricCache = new Map<string, { known?: (typeof METRICS)[string] }>();
const unitCache = new Map<string, string | undefined>();

function checkMetric(metric: unknown): (typeof METRICS)[string] | undefined {
  if (typeof metric === 'string') {
    const hit = metricCache.get(metric);
    if (hit) return hit.known;
    if (METRIC_NAME.test(metric)) {
      const known = Object.prototype.hasOwnProperty.call(METRICS, metric) ? METRICS[metric] : undefined;
      if (metricCache.size < 10000) metricCache.set(metric, { known });
      return known;
    }
  }
  throw new ReadingError(`metric ${preview(metric)} is not a valid name (letters, digits, "._-", up to 128)`);
}

function checkUnit(unitIn: string): string | undefined {
  if (unitCache.has(unitIn)) return unitCache.get(unitIn);
  const u = canonicalUnit(unitIn);
  if (unitCache.size < 1000) unitCache.set(unitIn, u);
  return u;
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
    const unsafe = hasUnsafeKey(item);
    if (unsafe) throw new ReadingError(`property "${unsafe}" is not allowed in a reading`);
    metric = item.metric ?? d.metric;
    rawValue = item.value;
    rawUnit = item.unit;
    rawLayer = item.layer;
    rawTs = item.ts ?? item.timestamp;
    rawTags = item.tags;
    if (metric === undefined) throw new ReadingError('reading has no metric');
    if (!('value' in item)) throw new ReadingError(`reading ${typeof metric === 'string' ? `"${metric.slice(0, 40)}"` : `with metric ${preview(metric)}`} has no value`);
  } else {
    throw new ReadingError(`${preview(item)} is not a reading: send a number or {metric, value, unit?, layer?, ts?, tags?}`);
  }
  const known = checkMetric(metric);
  const value = toValue(rawValue);

  const unitIn = rawUnit ?? known?.unit ?? d.unit;
  if (unitIn === undefined) throw new ReadingError(`metric "${metric}" is not in the catalogue, so it needs a unit`);
  if (typeof unitIn !== 'string') throw new ReadingError(`unit ${preview(unitIn)} is not a string`);
  const unit = checkUnit(unitIn);
  if (!unit) throw new ReadingError(`unit ${preview(unitIn)} is unknown (known: ${KNOWN_UNITS.join(', ')})`);

  const layerIn = rawLayer ?? known?.layer ?? d.layer;
  if (layerIn === undefined) throw new ReadingError(`metric "${metric}" is not in the catalogue, so it needs a layer`);
  if (typeof layerIn !== 'string' || !(LAYERS as readonly string[]).includes(layerIn)) {
    throw new ReadingError(`layer ${preview(layerIn)} is unknown (one of ${LAYERS.join(', ')})`);
  }
  return {
    layer: layerIn as Layer,
    metric: metric as string,
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
