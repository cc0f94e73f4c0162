// GPU telemetry from a Prometheus text endpoint: NVIDIA's DCGM exporter (`:9400/metrics`), or any
// exporter that speaks the text exposition format 0.0.4. The text is parsed by the
// `parse-prometheus-text-format` library; this module only decides which samples become which
// readings (a mapping table the user can edit) and which labels become tags.
//
// DCGM reports "no value" with sentinel numbers (e.g. 9223372036854775794 for a GPU without an
// HBM sensor); those samples are dropped rather than stored as 9.2e18 °C.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { LAYERS, METRICS, type Layer, type Reading } from '../telemetry/catalogue';
import { AdapterError } from './errors';
import { THERMAL_REASONS_MASK } from './nvidia-smi';

/** One row of the mapping table: which exposed metric becomes which reading. */
export interface PromMapping {
  /** Exposed metric name, e.g. `DCGM_FI_DEV_POWER_USAGE`. */
  name: string;
  /** Our metric name (catalogue or custom), e.g. `gpu.power`. */
  metric: string;
  /** Defaults to the catalogue's unit/layer for `metric`. */
  unit?: string;
  layer?: Layer;
  /** Multiply the value (e.g. 100 for a 0–1 ratio shown in %). */
  scale?: number;
  /** `thermal-reasons`: the value is a clock event reasons bitmask; the reading is 1 when a thermal bit is set. */
  kind?: 'value' | 'thermal-reasons';
}

/** DCGM exporter's default counters that have a place in our catalogue. */
export const DCGM_MAPPINGS: readonly PromMapping[] = Object.freeze([
  { name: 'DCGM_FI_DEV_POWER_USAGE', metric: 'gpu.power' },
  { name: 'DCGM_FI_DEV_GPU_TEMP', metric: 'gpu.temperature' },
  { name: 'DCGM_FI_DEV_MEMORY_TEMP', metric: 'hbm.temperature' },
  { name: 'DCGM_FI_DEV_SM_CLOCK', metric: 'gpu.clock' },
  { name: 'DCGM_FI_DEV_GPU_UTIL', metric: 'gpu.utilization' },
  // Same DCGM field (112), renamed in DCGM 3.3.
  { name: 'DCGM_FI_DEV_CLOCKS_EVENT_REASONS', metric: 'gpu.throttle', kind: 'thermal-reasons' },
  { name: 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS', metric: 'gpu.throttle', kind: 'thermal-reasons' },
] as PromMapping[]);

/** Exporter label → our tag. Labels not listed are dropped (they would multiply InfluxDB series). */
export const DCGM_LABEL_TAGS: Readonly<Record<string, string>> = Object.freeze({
  gpu: 'gpu',
  UUID: 'uuid',
  Hostname: 'server',
  modelName: 'model',
  namespace: 'namespace',
  pod: 'pod',
});

export interface MapOptions {
  mappings?: readonly PromMapping[];
  labelTags?: Readonly<Record<string, string>>;
  /** Tags added to every reading (after the label tags, so they win). */
  tags?: Record<string, string>;
  /** Timestamp of samples that carry none (ms since the epoch). */
  now: number;
}

export interface MapResult {
  readings: Reading[];
  /** Mapped metric names that were absent from the text (a typo, or a counter the exporter does not collect). */
  missing: string[];
  /** Samples dropped because their value was a "no value" sentinel or not a number. */
  blanks: number;
}

/**
 * Checks a user's mapping table (from a dialog). Returns the rows in use; throws on a row that
 * cannot work, naming it.
 */
export function checkMappings(rows: unknown): PromMapping[] {
  if (!Array.isArray(rows)) throw new AdapterError('ERR_BAD_CONFIG', 'the metric mapping must be a list of {name, metric} rows');
  const out: PromMapping[] = [];
  rows.forEach((row, i) => {
    const r = row as Partial<PromMapping> | null;
    if (!r || typeof r !== 'object') throw new AdapterError('ERR_BAD_CONFIG', `mapping row ${i + 1} is not an object`);
    const name = String(r.name ?? '').trim();
    const metric = String(r.metric ?? '').trim();
    if (!name && !metric) return; // an empty row left in the editor
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new AdapterError('ERR_BAD_CONFIG', `mapping row ${i + 1}: "${name}" is not a Prometheus metric name`);
    if (!metric) throw new AdapterError('ERR_BAD_CONFIG', `mapping row ${i + 1} (${name}) needs our metric name, e.g. gpu.power`);
    const layer = r.layer ? String(r.layer) : undefined;
    if (layer && !(LAYERS as readonly string[]).includes(layer)) throw new AdapterError('ERR_BAD_CONFIG', `mapping row ${i + 1} (${name}): layer "${layer}" is not one of ${LAYERS.join(', ')}`);
    if (!layer && !METRICS[metric]) throw new AdapterError('ERR_BAD_CONFIG', `mapping row ${i + 1} (${name}): "${metric}" is not in the catalogue, so give it a layer and a unit`);
    const scale = r.scale === undefined || (r.scale as unknown) === '' ? undefined : Number(r.scale);
    if (scale !== undefined && !Number.isFinite(scale)) throw new AdapterError('ERR_BAD_CONFIG', `mapping row ${i + 1} (${name}): scale must be a number`);
    const kind = r.kind === 'thermal-reasons' ? 'thermal-reasons' : 'value';
    out.push({ name, metric, layer: layer as Layer | undefined, unit: r.unit ? String(r.unit) : undefined, scale, kind });
  });
  return out;
}

/** DCGM's "blank" sentinels (int32, int64 and fp64 families), which mean "no value". */
export function isDcgmBlank(v: number): boolean {
  return (v >= 2147483632 && v <= 2147483647) || v >= 9223372036854775e3 || (v >= 140737488355328 && v <= 140737488355331);
}

/**
 * The Go client never puts spaces between labels, but hand-written and some other exporters do
 * (`{gpu="0", UUID="…"}`), which the parser library rejects. Remove whitespace between label pairs
 * (outside quoted values) before parsing.
 */
export function tidyLabelSpacing(text: string): string {
  if (!/\{[^}\n]*,\s/.test(text)) return text;
  return text
    .split('\n')
    .map((line) => {
      const open = line.indexOf('{');
      if (open < 0 || line.startsWith('#')) return line;
      let out = line.slice(0, open + 1);
      let quoted = false;
      let i = open + 1;
      for (; i < line.length; i++) {
        const c = line[i];
        if (quoted) {
          out += c;
          if (c === '\\') out += line[++i] ?? '';
          else if (c === '"') quoted = false;
          continue;
        }
        if (c === '"') quoted = true;
        if (c === '}') break;
        if (c !== ' ' && c !== '\t') out += c;
      }
      return out + line.slice(i);
    })
    .join('\n');
}

/** Parses exposition text and maps it to readings. */
export function mapExposition(text: string, opts: MapOptions): MapResult {
  let families: ReturnType<typeof parsePrometheusTextFormat>;
  try {
    families = parsePrometheusTextFormat(tidyLabelSpacing(text));
  } catch (err) {
    throw new AdapterError('ERR_BAD_OUTPUT', `the endpoint's text is not in the Prometheus exposition format: ${err instanceof Error ? err.message : String(err)}`);
  }
  const mappings = opts.mappings ?? DCGM_MAPPINGS;
  const labelTags = opts.labelTags ?? DCGM_LABEL_TAGS;
  const byName = new Map<string, PromMapping[]>();
  for (const m of mappings) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
  const seen = new Set<string>();
  const readings: Reading[] = [];
  let blanks = 0;
  for (const family of families) {
    const maps = byName.get(family.name);
    if (!maps) continue;
    seen.add(family.name);
    for (const sample of family.metrics) {
      const raw = sample.value === undefined ? NaN : Number(sample.value);
      if (!Number.isFinite(raw) || isDcgmBlank(raw)) {
        blanks++;
        continue;
      }
      const tags: Record<string, string> = {};
      for (const [label, value] of Object.entries(sample.labels ?? {})) {
        const tag = labelTags[label];
        if (tag && value !== '') tags[tag] = value;
      }
      Object.assign(tags, opts.tags);
      const tsRaw = sample.timestamp_ms === undefined ? NaN : Number(sample.timestamp_ms);
      const ts = Number.isFinite(tsRaw) ? tsRaw : opts.now;
      for (const m of maps) {
        const info = METRICS[m.metric];
        const value = m.kind === 'thermal-reasons' ? (Number(BigInt(Math.trunc(raw)) & 0xffffffffn) & THERMAL_REASONS_MASK ? 1 : 0) : raw * (m.scale ?? 1);
        readings.push({ layer: m.layer ?? info?.layer ?? 'gpu', metric: m.metric, value, unit: m.unit ?? info?.unit ?? '', ts, tags: { ...tags } });
      }
    }
  }
  // Old and new spellings of one field: only one of them is ever exposed.
  const missing = [...new Set(mappings.map((m) => m.name))].filter((n) => !seen.has(n) && !(n in ALIASES && seen.has(ALIASES[n])));
  return { readings, missing, blanks };
}

const ALIASES: Record<string, string> = {
  DCGM_FI_DEV_CLOCKS_EVENT_REASONS: 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS',
  DCGM_FI_DEV_CLOCK_THROTTLE_REASONS: 'DCGM_FI_DEV_CLOCKS_EVENT_REASONS',
};

export interface ScrapeOptions extends Omit<MapOptions, 'now'> {
  /** e.g. `http://gpu-node-07:9400/metrics`. */
  url: string;
  /** Limit for one scrape, ms (default 5000). */
  timeoutMs?: number;
  /** Extra request headers (e.g. `Authorization` for an exporter behind a proxy). */
  headers?: Record<string, string>;
  now?: () => number;
}

/** One scrape of one endpoint; create once, call `scrape()` per interval (a Poller does that). */
export class PrometheusScraper {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  /** What the last scrape could not find, for a status line. */
  lastMissing: string[] = [];

  constructor(private readonly opts: ScrapeOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new AdapterError('ERR_BAD_CONFIG', `"${opts.url}" is not a URL; the DCGM exporter's is like http://gpu-node:9400/metrics`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AdapterError('ERR_BAD_CONFIG', `scrape URL must be http or https, got ${u.protocol}`);
    this.url = u.toString();
    this.timeoutMs = opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : 5000;
    this.now = opts.now ?? Date.now;
  }

  async fetchText(): Promise<string> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1', ...(this.opts.headers ?? {}) },
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'follow',
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') {
        throw new AdapterError('ERR_TIMEOUT', `${this.url} did not answer within ${this.timeoutMs} ms`, `GET ${this.url}`);
      }
      const why = e.cause?.code ?? e.cause?.message ?? e.message;
      throw new AdapterError('ERR_UNREACHABLE', `cannot reach ${this.url} (${why}): is the exporter running, and may this host reach its port?`, `GET ${this.url}`);
    }
    const body = await res.text();
    if (res.status === 401 || res.status === 403) {
      throw new AdapterError('ERR_PERMISSION', `${this.url} refused the scrape (HTTP ${res.status}): add the credentials the endpoint expects as a header`, `GET ${this.url}`, res.status);
    }
    if (res.status === 404) throw new AdapterError('ERR_MISSING', `${this.url} does not exist (HTTP 404); the DCGM exporter serves /metrics`, `GET ${this.url}`, 404);
    if (!res.ok) throw new AdapterError('ERR_UNREACHABLE', `${this.url} answered HTTP ${res.status}: ${body.slice(0, 200)}`, `GET ${this.url}`, res.status);
    const type = res.headers.get('content-type') ?? '';
    if (/text\/html|application\/json/i.test(type)) {
      throw new AdapterError('ERR_BAD_OUTPUT', `${this.url} answered ${type.split(';')[0]}, not Prometheus text: is this the metrics path?`, `GET ${this.url}`, res.status);
    }
    return body;
  }

  /** Fetches and maps one scrape. */
  async scrape(): Promise<Reading[]> {
    const text = await this.fetchText();
    const { readings, missing } = mapExposition(text, { ...this.opts, now: this.now() });
    this.lastMissing = missing;
    return readings;
  }
}
