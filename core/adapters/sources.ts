// The Sensor's real-infrastructure sources, ready for its dialog: each takes the dialog's values
// (strings as the editor stores them), polls on an interval, and reports through the same three
// hooks the Sensor's twin and OPC UA sources use (emit readings, source status, error log).
// The node only has to pick one by `def.source` and call `poll()` on input and `close()` on close.
import type { Reading } from '../telemetry/catalogue';
import { AdapterError } from './errors';
import { NvidiaSmi, parseGpuList } from './nvidia-smi';
import { Poller } from './poller';
import { checkMappings, DCGM_LABEL_TAGS, DCGM_MAPPINGS, PrometheusScraper } from './prometheus';

export type SourceTone = 'ok' | 'warn' | 'error';

export interface SourceSink {
  /** Readings to send as one msg (already normalised: `trusted`). */
  emit(readings: Reading[], topic: string, trusted: boolean): void;
  /** The source's part of the status line. */
  state(tone: SourceTone, text: string): void;
  /** A failure for the log (said once until it changes). */
  error(message: string): void;
}

export interface LiveSource {
  /** Read now (a poll tick from an input msg). */
  poll(): void;
  close(): Promise<void>;
}

export interface NvidiaSmiSourceConfig {
  /** Path to nvidia-smi (empty: found on PATH). */
  smiPath?: string;
  /** GPUs to read, e.g. "0-3" (empty: all). */
  gpus?: string;
  /** Seconds between reads (0: only on input msgs); default 5. */
  intervalS?: number | string;
  /** Limit for one call, s; default 10. */
  timeoutS?: number | string;
  tags?: Record<string, string>;
  /** Environment of the nvidia-smi child (tests put a stand-in on its PATH). */
  env?: NodeJS.ProcessEnv;
}

export interface PrometheusSourceConfig {
  url: string;
  /** Seconds between scrapes (0: only on input msgs); default 15. */
  intervalS?: number | string;
  /** Limit for one scrape, s; default 5. */
  timeoutS?: number | string;
  /** Mapping rows from the dialog (empty or absent: the DCGM defaults). */
  mappings?: unknown[];
  /** Label → tag map, as JSON text or object (empty: the DCGM defaults). */
  labelTags?: string | Record<string, string>;
  tags?: Record<string, string>;
  headers?: Record<string, string>;
}

function seconds(v: number | string | undefined, fallback: number): number {
  if (v === '' || v === undefined || v === null) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new AdapterError('ERR_BAD_CONFIG', `"${v}" is not a number of seconds`);
  return n;
}

function poll(read: () => Promise<Reading[]>, intervalS: number, topic: string, okText: (rs: Reading[]) => string, sink: SourceSink): LiveSource {
  let lastOk = '';
  const poller = new Poller(
    async () => {
      const rs = await read();
      lastOk = okText(rs);
      return rs;
    },
    intervalS * 1000,
    {
      readings: (rs) => {
        sink.emit(rs, topic, true);
        sink.state('ok', lastOk);
      },
      state: (s, err) => {
        if (s === 'error' && err) {
          sink.state('error', `${topic}: ${err instanceof AdapterError ? err.code.replace(/^ERR_/, '').toLowerCase().replace(/_/g, ' ') : 'error'}`);
          sink.error(err.message);
        }
      },
    },
  );
  poller.start();
  return { poll: () => void poller.poll(), close: () => poller.close() };
}

/** Readings of this host's GPUs from nvidia-smi. Throws AdapterError on a bad config. */
export function nvidiaSmiSource(cfg: NvidiaSmiSourceConfig, sink: SourceSink): LiveSource {
  const gpus = parseGpuList(cfg.gpus ?? '');
  const smi = new NvidiaSmi({ binary: cfg.smiPath, timeoutMs: seconds(cfg.timeoutS, 10) * 1000, tags: cfg.tags, env: cfg.env });
  const okText = (rs: Reading[]) => {
    const n = new Set(rs.map((r) => r.tags.gpu)).size;
    const hottest = Math.max(...rs.filter((r) => r.metric === 'gpu.temperature').map((r) => r.value));
    const throttled = rs.some((r) => r.metric === 'gpu.throttle' && r.value > 0);
    return `nvidia-smi · ${n} GPU` + (Number.isFinite(hottest) ? ` · ${hottest} °C max` : '') + (throttled ? ' · thermal throttling' : '');
  };
  return poll(() => smi.readings(gpus.length ? gpus : undefined), seconds(cfg.intervalS, 5), 'nvidia-smi', okText, sink);
}

/** Readings scraped from a Prometheus text endpoint (DCGM exporter). Throws AdapterError on a bad config. */
export function prometheusSource(cfg: PrometheusSourceConfig, sink: SourceSink): LiveSource {
  const rows = (cfg.mappings ?? []).filter((r) => r && typeof r === 'object' && ((r as { name?: string }).name || (r as { metric?: string }).metric));
  const mappings = rows.length ? checkMappings(rows) : DCGM_MAPPINGS;
  let labelTags: Record<string, string> = { ...DCGM_LABEL_TAGS };
  if (typeof cfg.labelTags === 'string' && cfg.labelTags.trim()) {
    try {
      labelTags = JSON.parse(cfg.labelTags);
    } catch {
      throw new AdapterError('ERR_BAD_CONFIG', `label tags must be JSON like {"gpu":"gpu","Hostname":"server"}, got ${cfg.labelTags.slice(0, 80)}`);
    }
  } else if (cfg.labelTags && typeof cfg.labelTags === 'object') labelTags = cfg.labelTags;
  const scraper = new PrometheusScraper({ url: cfg.url, mappings, labelTags, tags: cfg.tags, headers: cfg.headers, timeoutMs: seconds(cfg.timeoutS, 5) * 1000 });
  const host = new URL(scraper.url).host;
  // Only the user's own rows are worth a warning: the DCGM defaults name counters (throttle
  // reasons) that an exporter's counter list may leave out.
  const okText = (rs: Reading[]) => `${host} · ${rs.length} readings` + (rows.length && scraper.lastMissing.length ? ` · missing ${scraper.lastMissing.join(', ')}` : '');
  return poll(() => scraper.scrape(), seconds(cfg.intervalS, 15), 'prometheus', okText, sink);
}
