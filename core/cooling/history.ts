// Warm start from InfluxDB: the rows the suite's writer stored (measurement = layer, tags =
// reading tags + metric + unit, field "value"; core/influx/points.ts) back into timed samples of
// readings, oldest first, one sample per `bucketS`, for ThermalPredictor.warmStart.

import { LAYERS, METRICS, type Layer, type Reading } from '../telemetry/catalogue';

/** InfluxQL for the last `hours` of one layer's measurement. */
export function historyQuery(layer: Layer, hours: number, measurementPrefix = ''): string {
  const h = Math.max(0.01, Math.min(24 * 14, Number.isFinite(hours) ? hours : 6));
  return `SELECT * FROM "${(measurementPrefix + layer).replace(/"/g, '\\"')}" WHERE time > now() - ${Math.round(h * 3600)}s`;
}

export const HISTORY_LAYERS: readonly Layer[] = LAYERS;

/** One row as the influx client returns it: time, value, metric, unit and the reading's tags. */
export type HistoryRow = Record<string, unknown> & { time?: unknown; value?: unknown; metric?: unknown };

/** Groups rows of any layers into samples `bucketS` apart; rows without a time, metric or value are skipped. */
export function samplesFromRows(rowsByLayer: Partial<Record<Layer, HistoryRow[]>>, bucketS: number): Array<{ tS: number; readings: Reading[] }> {
  const bucketMs = Math.max(1, bucketS) * 1000;
  const buckets = new Map<number, Map<string, Reading>>();
  for (const layer of Object.keys(rowsByLayer) as Layer[]) {
    for (const row of rowsByLayer[layer] ?? []) {
      const ms = timeMs(row.time);
      const value = typeof row.value === 'number' ? row.value : Number(row.value);
      if (!Number.isFinite(ms) || typeof row.metric !== 'string' || !Number.isFinite(value)) continue;
      const tags: Record<string, string> = {};
      for (const [k, v] of Object.entries(row)) {
        if (k === 'time' || k === 'value' || k === 'metric' || k === 'unit' || v === null || v === undefined || v === '') continue;
        tags[k] = String(v);
      }
      const key = Math.floor(ms / bucketMs) * bucketMs;
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = new Map()));
      const unit = typeof row.unit === 'string' ? row.unit : (METRICS[row.metric]?.unit ?? '');
      // Within a bucket the latest reading of a series wins.
      b.set(row.metric + JSON.stringify(Object.entries(tags).sort()), { layer, metric: row.metric, value, unit, ts: ms, tags });
    }
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([t, m]) => ({ tS: t / 1000, readings: [...m.values()] }));
}

function timeMs(t: unknown): number {
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'number') return t;
  if (typeof t === 'string') return Date.parse(t);
  if (t && typeof (t as { getTime?: unknown }).getTime === 'function') return (t as Date).getTime();
  return Number.NaN;
}
