// Renders readings the way an operator reads them: "GPU temperature, GPU 3, rack R2:
// 78.4 °C (target ≤ 83 °C)". Ranges come from the catalogue and can be overridden per metric.
import { LOCATION_TAGS, METRICS, NormalRange, Reading } from './catalogue';

export type RangeOverrides = Record<string, NormalRange>;
export type Condition = 'normal' | 'warning' | 'alarm' | 'unknown';

export function rangeOf(metric: string, overrides?: RangeOverrides): NormalRange | undefined {
  if (overrides && Object.prototype.hasOwnProperty.call(overrides, metric)) return overrides[metric];
  return Object.prototype.hasOwnProperty.call(METRICS, metric) ? METRICS[metric].range : undefined;
}

/** Where a reading stands against its normal range. */
export function conditionOf(value: number, range: NormalRange | undefined): Condition {
  if (!range) return 'unknown';
  if ((range.max !== undefined && value > range.max) || (range.min !== undefined && value < range.min)) return 'alarm';
  if (range.target !== undefined && value > range.target) return 'warning';
  return 'normal';
}

// Building an Intl.NumberFormat costs far more than using one (toLocaleString with options builds
// one per call: it was half the Sensor's time per msg), so one is kept per decimals and grouping.
const formats = new Map<string, Intl.NumberFormat>();

function formatNumber(value: number, decimals: number): string {
  const grouping = Math.abs(value) >= 10000;
  const key = `${decimals}${grouping ? 'g' : ''}`;
  let f = formats.get(key);
  if (!f) formats.set(key, (f = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals, useGrouping: grouping })));
  return f.format(value);
}

function withUnit(value: string, unit: string): string {
  if (unit === 'count' || unit === 'bool') return value;
  if (unit === '%') return value + ' %';
  return `${value} ${unit}`;
}

function describeRange(range: NormalRange, unit: string): string {
  const parts: string[] = [];
  if (range.target !== undefined) parts.push(`target ≤ ${withUnit(String(range.target), unit)}`);
  if (range.min !== undefined && range.max !== undefined) parts.push(`normal ${range.min}–${withUnit(String(range.max), unit)}`);
  else if (range.max !== undefined) parts.push(`max ${withUnit(String(range.max), unit)}`);
  else if (range.min !== undefined) parts.push(`min ${withUnit(String(range.min), unit)}`);
  return parts.join(', ');
}

// Plain words, not emoji: dashboards and terminals without an emoji font show boxes instead.
const FLAG: Record<Condition, string> = { normal: '', unknown: '', warning: ' · above target', alarm: ' · OUT OF RANGE' };

/** One line a person can read without knowing the metric names. */
export function describeReading(r: Reading, overrides?: RangeOverrides): string {
  const info = Object.prototype.hasOwnProperty.call(METRICS, r.metric) ? METRICS[r.metric] : undefined;
  const name = info?.name ?? r.metric;
  const where = LOCATION_TAGS.filter((t) => r.tags[t.key] !== undefined).map((t) => t.label(r.tags[t.key]));
  const decimals = info?.decimals ?? (Number.isInteger(r.value) ? 0 : 2);
  const value = r.unit === 'bool' ? (r.value ? 'yes' : 'no') : withUnit(formatNumber(r.value, decimals), r.unit);
  const range = rangeOf(r.metric, overrides);
  const bounds = range ? describeRange(range, r.unit) : '';
  const subject = [name, ...where].join(', ');
  return `${subject}: ${value}${bounds ? ` (${bounds})` : ''}${FLAG[conditionOf(r.value, range)]}`;
}

/** Lines for a batch; long batches are cut to `maxLines` with a count of the rest. */
export function describeReadings(readings: Reading[], overrides?: RangeOverrides, maxLines = 50): string {
  const lines = readings.slice(0, maxLines).map((r) => describeReading(r, overrides));
  if (readings.length > maxLines) lines.push(`… and ${readings.length - maxLines} more readings`);
  return lines.join('\n');
}
