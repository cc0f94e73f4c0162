// What the Sensor sends: all readings in one msg (payload array + text), or one msg per reading
// for Dashboard 2.0 widgets (a chart series per msg.topic, the number in msg.payload), either of
// them narrowed by a metric filter. The filter shapes the output only: storage keeps every reading.
import type { Reading } from '../../core/telemetry/catalogue';

/** One entry of the metric filter: a metric name, and optionally the tags its readings must have. */
export interface MetricSelector {
  metric: string;
  /** undefined: any tags; {}: readings without tags (cluster totals); {k: v}: these tags with these values. */
  tags?: Record<string, string>;
}

const ENTRY = /^([A-Za-z][A-Za-z0-9_.\-]*)(\{([^{}]*)\})?$/;

/**
 * Parses the dialog's metric filter: names separated by commas, spaces or new lines, each
 * optionally followed by tags in braces: `rack.power, throughput.tokens{}, gpu.temperature{server=S01}`.
 * Empty: every metric. Throws with the entry it cannot read.
 */
export function parseMetricFilter(text: string | undefined): MetricSelector[] {
  const out: MetricSelector[] = [];
  // Split on separators outside braces only, so `{a=1, b=2}` stays one entry.
  const entries = (text ?? '').match(/[^\s,{}]+(\{[^{}]*\})?|\{[^{}]*\}/g) ?? [];
  for (const entry of entries) {
    const m = ENTRY.exec(entry);
    if (!m) throw new Error(`the metric filter entry "${entry}" is not a metric name, optionally with {tag=value, ...}`);
    const sel: MetricSelector = { metric: m[1] };
    if (m[2] !== undefined) {
      sel.tags = {};
      for (const pair of m[3].split(',').map((p) => p.trim()).filter(Boolean)) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new Error(`the metric filter entry "${entry}" has a tag without "=value": "${pair}"`);
        sel.tags[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
      }
    }
    out.push(sel);
  }
  return out;
}

function selects(sel: MetricSelector, r: Reading): boolean {
  if (sel.metric !== r.metric) return false;
  if (!sel.tags) return true;
  const tags = r.tags ?? {};
  const want = Object.keys(sel.tags);
  if (want.length === 0) return Object.keys(tags).length === 0;
  return want.every((k) => tags[k] === sel.tags![k]);
}

/** The readings the filter lets through (all of them when the filter is empty). */
export function filterReadings(readings: Reading[], filter: MetricSelector[]): Reading[] {
  if (filter.length === 0) return readings;
  return readings.filter((r) => filter.some((sel) => selects(sel, r)));
}

/** A reading's series name: its metric, then its tag values in order, e.g. `rack.power · Rack01`. */
export function readingTopic(r: Reading): string {
  const values = Object.values(r.tags ?? {});
  return values.length ? `${r.metric} · ${values.join(' · ')}` : r.metric;
}

/**
 * One msg per reading: topic = series name, payload = the number (rounded to `decimals` when
 * given, for widgets that show the number as it comes), reading = the whole reading, unrounded.
 */
export function perReadingMsgs(readings: Reading[], decimals?: number): Array<{ topic: string; payload: number; reading: Reading }> {
  const round = decimals === undefined ? (v: number) => v : (v: number) => Number(v.toFixed(decimals));
  return readings.map((r) => ({ topic: readingTopic(r), payload: round(r.value), reading: r }));
}

/**
 * Sets `obj[key]` to what `build` returns, built the first time it is read: a Sensor whose output
 * is not wired still hands its msg to Complete and Catch nodes, which rarely read the text, and
 * building it is most of the Sensor's work per reading. Reading, copying (cloneMessage) or
 * serialising the msg builds it; assigning or deleting the property works as on a plain one.
 */
export function defineLazy(obj: Record<string, unknown>, key: string, build: () => unknown): void {
  const settle = (value: unknown) => Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  Object.defineProperty(obj, key, {
    enumerable: true,
    configurable: true,
    get() {
      const value = build();
      settle(value);
      return value;
    },
    set(value: unknown) {
      settle(value);
    },
  });
}
