// Features for the Thermal Predictor from telemetry readings of all five layers (twin.md §4),
// job schedule first: the queued tokens (per pool), the planned servers and clocks say how much
// heat is coming before any sensor sees it; the reactive layers say where the loop is now.
// Each sample is reduced to named signals; the feature vector adds lags and rates per minute
// of the signals that lead, and derived "heat coming" terms.

import type { Reading } from '../telemetry/catalogue';

type Reduce = 'total' | 'max' | 'mean';

/** A signal: one number per sample, reduced from the readings of one metric. */
interface SignalSpec {
  name: string;
  metric: string;
  reduce: Reduce;
  /** Only readings whose tags include these. */
  where?: Record<string, string>;
}

/**
 * `total` prefers an untagged (cluster-wide) reading and otherwise sums the tagged ones, so the
 * twin (which sends both) and a plant that sends only per-device readings give the same number.
 */
export const SIGNALS: readonly SignalSpec[] = [
  // 1. Job schedule (most proactive)
  { name: 'queueTokens', metric: 'queue.tokens', reduce: 'total' },
  { name: 'queueRequests', metric: 'queue.requests', reduce: 'total' },
  { name: 'plannedServers', metric: 'plan.servers', reduce: 'total' },
  { name: 'plannedClockMHz', metric: 'plan.frequency', reduce: 'mean' },
  { name: 'headroomMinK', metric: 'headroom.thermal', reduce: 'max' },
  // 2. LLM workload
  { name: 'tokensPerS', metric: 'throughput.tokens', reduce: 'total' },
  { name: 'arrivalsPerS', metric: 'throughput.requests', reduce: 'total', where: { direction: 'arrived' } },
  { name: 'servingServers', metric: 'servers.active', reduce: 'total', where: { state: 'serving' } },
  { name: 'gpuUtilPct', metric: 'gpu.utilization', reduce: 'mean' },
  // 3. GPU / HBM
  { name: 'gpuPowerMeanW', metric: 'gpu.power', reduce: 'mean' },
  { name: 'gpuPowerMaxW', metric: 'gpu.power', reduce: 'max' },
  { name: 'gpuMaxC', metric: 'gpu.temperature', reduce: 'max' },
  { name: 'hbmMaxC', metric: 'hbm.temperature', reduce: 'max' },
  // 4. Server internal
  { name: 'junctionMaxC', metric: 'server.junctionMax', reduce: 'max' },
  { name: 'serverDeltaTMaxK', metric: 'server.coolantDeltaT', reduce: 'max' },
  { name: 'itKW', metric: 'server.power', reduce: 'total' },
  // 5. Floor and rack (reactive)
  { name: 'rackInletMaxC', metric: 'rack.inletAir', reduce: 'max' },
  { name: 'supplyC', metric: 'cdu.supplyTemperature', reduce: 'mean' },
  { name: 'returnC', metric: 'cdu.returnTemperature', reduce: 'mean' },
  { name: 'flowLpm', metric: 'cdu.flow', reduce: 'mean' },
];

/** Reduces one sample of readings to the signals above (NaN where a metric is absent). */
export function reduceReadings(readings: readonly Reading[], pools: readonly string[] = []): Record<string, number> {
  const acc = new Map<string, { untagged?: number; sum: number; n: number; max: number }>();
  const poolTokens = new Map<string, number>();
  for (const r of readings) {
    if (!r || typeof r.metric !== 'string' || typeof r.value !== 'number' || !Number.isFinite(r.value)) continue;
    const tags = r.tags ?? {};
    if (r.metric === 'queue.tokens' && tags.pool !== undefined) poolTokens.set(tags.pool, (poolTokens.get(tags.pool) ?? 0) + r.value);
    for (const s of SIGNALS) {
      if (s.metric !== r.metric) continue;
      if (s.where && !Object.entries(s.where).every(([k, v]) => tags[k] === v)) continue;
      let a = acc.get(s.name);
      if (!a) acc.set(s.name, (a = { sum: 0, n: 0, max: -Infinity }));
      const untagged = Object.keys(tags).every((k) => s.where?.[k] !== undefined);
      if (untagged) a.untagged = r.value;
      else {
        a.sum += r.value;
        a.n++;
        a.max = Math.max(a.max, r.value);
      }
    }
  }
  const out: Record<string, number> = {};
  for (const s of SIGNALS) {
    const a = acc.get(s.name);
    if (!a) out[s.name] = Number.NaN;
    else if (s.reduce === 'total') out[s.name] = a.untagged ?? a.sum;
    else if (a.n === 0) out[s.name] = a.untagged ?? Number.NaN;
    else out[s.name] = s.reduce === 'max' ? Math.max(a.max, a.untagged ?? -Infinity) : a.sum / a.n;
  }
  for (const p of pools) out[`queueTokens.${p}`] = poolTokens.get(p) ?? 0;
  return out;
}

export interface FeatureOptions {
  /** Lags (s) of the leading signals; each adds the lagged value's rate per minute. */
  lagsS: number[];
  /** Pools whose queued tokens are separate features (tag `pool`). */
  pools: string[];
  /** Highest SM clock, for the clock factor of the planned heat (MHz). */
  maxClockMHz: number;
  /** Exponent of the dynamic power in the clock (dimensionless). */
  clockExponent: number;
  /**
   * Liquid-side temperatures as their rise above the supply, and no supply level: a model that
   * learns what the load does must not learn which supply the plant happened to run at.
   */
  relativeTemperatures: boolean;
  /**
   * Trailing windows (s): the time-weighted mean of the slow signals over each (TRAILING). A level
   * read now is a noisy snapshot; its mean over minutes is what the next minutes revert to.
   */
  trailingS: number[];
}

export const DEFAULT_FEATURES: FeatureOptions = { lagsS: [60, 180], pools: [], maxClockMHz: 1980, clockExponent: 2.4, relativeTemperatures: false, trailingS: [] };

/** Signals whose trailing means are features (derived ones are added to each sample by `derive`). */
export const TRAILING = ['gpuMaxC', 'serverDeltaTMaxK', 'gpuPowerMaxW', 'tokensPerPlannedServer', 'queuePerPlannedServer', 'plannedDynamicW'];

/** Signals whose recent history leads the heat (their lags and rates are features too). */
const LEADING = ['queueTokens', 'plannedServers', 'tokensPerS', 'arrivalsPerS', 'gpuPowerMeanW'];

/** Signals taken as they are now. */
const LEVELS = [
  'queueTokens', 'queueRequests', 'plannedServers', 'plannedClockMHz', 'tokensPerS', 'arrivalsPerS', 'servingServers',
  'gpuUtilPct', 'gpuPowerMeanW', 'gpuPowerMaxW', 'gpuMaxC', 'hbmMaxC', 'junctionMaxC', 'serverDeltaTMaxK', 'itKW',
  'rackInletMaxC', 'supplyC', 'returnC', 'flowLpm',
];
/** Liquid-side temperatures (°C) that ride on the supply. */
const LIQUID_TEMPERATURES = new Set(['gpuMaxC', 'hbmMaxC', 'junctionMaxC', 'returnC']);

/** Adds the derived load signals to a sample: tokens and queued tokens per planned server, planned dynamic power. */
function derive(s: Record<string, number>, maxClockMHz = DEFAULT_FEATURES.maxClockMHz, clockExponent = DEFAULT_FEATURES.clockExponent): void {
  const planned = Math.max(1, Number.isFinite(s.plannedServers) ? s.plannedServers : s.servingServers);
  const clock = Number.isFinite(s.plannedClockMHz) ? Math.pow(s.plannedClockMHz / maxClockMHz, clockExponent) : 1;
  s.tokensPerPlannedServer = s.tokensPerS / planned;
  s.queuePerPlannedServer = s.queueTokens / planned;
  s.plannedDynamicW = s.tokensPerPlannedServer * clock;
}

interface Snapshot {
  t: number;
  s: Record<string, number>;
}

/**
 * Keeps the recent samples and turns the latest into a feature vector. Missing signals are
 * carried forward from the last sample that had them (a sensor that reports every 10 s should
 * not blank the features in between); a signal never seen stays NaN and the predictor drops it.
 */
export class FeatureBuilder {
  private readonly history: Snapshot[] = [];
  private readonly last: Record<string, number> = {};
  readonly o: FeatureOptions;

  constructor(options: Partial<FeatureOptions> = {}) {
    this.o = { ...DEFAULT_FEATURES, ...options };
  }

  /** Adds a sample taken at `tS` (s); samples older than the latest are ignored. */
  add(readings: readonly Reading[], tS: number): Record<string, number> {
    const s = reduceReadings(readings, this.o.pools);
    for (const [k, v] of Object.entries(s)) {
      if (Number.isFinite(v)) this.last[k] = v;
      else if (k in this.last) s[k] = this.last[k];
    }
    derive(s, this.o.maxClockMHz, this.o.clockExponent);
    const latest = this.history[this.history.length - 1];
    if (latest && tS <= latest.t) return latest.s;
    this.history.push({ t: tS, s });
    const keep = Math.max(...this.o.lagsS, ...this.o.trailingS, 0) + 60;
    while (this.history.length > 2 && this.history[1].t < tS - keep) this.history.shift();
    return s;
  }

  get latest(): Snapshot | undefined {
    return this.history[this.history.length - 1];
  }

  /** Names of the features, in vector order. */
  names(): string[] {
    const n = [...this.levels().map((k) => (this.o.relativeTemperatures && LIQUID_TEMPERATURES.has(k) ? `${k}-supplyC` : k)), ...this.o.pools.map((p) => `queueTokens.${p}`)];
    for (const lag of this.o.lagsS) for (const s of LEADING) n.push(`${s}.rate${lag}s`);
    n.push('tokensPerPlannedServer', 'queuePerPlannedServer', 'plannedDynamicW');
    for (const w of this.o.trailingS) for (const k of TRAILING) n.push(`${this.o.relativeTemperatures && LIQUID_TEMPERATURES.has(k) ? `${k}-supplyC` : k}.mean${w}s`);
    return n;
  }

  /** The feature vector of the latest sample (empty before the first). */
  vector(): number[] {
    const cur = this.latest;
    if (!cur) return [];
    const s = cur.s;
    const rel = this.o.relativeTemperatures;
    const v = this.levels().map((k) => (rel && LIQUID_TEMPERATURES.has(k) ? s[k] - s.supplyC : s[k]));
    for (const p of this.o.pools) v.push(s[`queueTokens.${p}`]);
    for (const lag of this.o.lagsS) {
      const past = this.at(cur.t - lag);
      for (const k of LEADING) v.push(past ? ((s[k] - past.s[k]) * 60) / Math.max(1, cur.t - past.t) : 0);
    }
    v.push(s.tokensPerPlannedServer, s.queuePerPlannedServer, s.plannedDynamicW);
    for (const w of this.o.trailingS) for (const k of TRAILING) v.push(this.trailingMean(k, w));
    return v;
  }

  /**
   * Time-weighted mean of one signal over the last `windowS` seconds (trapezoids between the kept
   * samples, so a gap in the samples counts as the straight line across it, and a window longer
   * than the history kept averages what there is). Liquid-side temperatures are taken relative
   * to the supply when the features are.
   */
  trailingMean(key: string, windowS: number): number {
    const h = this.history;
    const n = h.length;
    if (n === 0) return Number.NaN;
    const rel = this.o.relativeTemperatures && LIQUID_TEMPERATURES.has(key);
    const val = (snap: Snapshot) => (rel ? snap.s[key] - snap.s.supplyC : snap.s[key]);
    const from = h[n - 1].t - windowS;
    let area = 0;
    let span = 0;
    for (let i = n - 1; i > 0; i--) {
      const b = h[i];
      const a = h[i - 1];
      if (b.t <= from) break;
      const vb = val(b);
      let va = val(a);
      let ta = a.t;
      if (ta < from) {
        va = va + ((vb - va) * (from - ta)) / (b.t - ta);
        ta = from;
      }
      if (!Number.isFinite(va) || !Number.isFinite(vb)) continue;
      area += ((va + vb) / 2) * (b.t - ta);
      span += b.t - ta;
    }
    return span > 0 ? area / span : val(h[n - 1]);
  }

  private levels(): string[] {
    return this.o.relativeTemperatures ? LEVELS.filter((k) => k !== 'supplyC') : LEVELS;
  }

  /** The oldest kept sample at or after `t` (the closest available to a lag). */
  private at(t: number): Snapshot | undefined {
    for (const h of this.history) if (h.t >= t) return h === this.latest ? undefined : h;
    return undefined;
  }

  /** The kept samples, for a saved predictor state (lags need the recent past). */
  toJSON(): { history: Snapshot[]; last: Record<string, number> } {
    return { history: this.history, last: this.last };
  }

  restore(state: { history?: Snapshot[]; last?: Record<string, number> } | undefined): void {
    if (!state) return;
    this.history.splice(0, this.history.length, ...(state.history ?? []));
    // Samples saved before the derived signals were kept with them.
    for (const h of this.history) if (!('plannedDynamicW' in h.s)) derive(h.s, this.o.maxClockMHz, this.o.clockExponent);
    Object.assign(this.last, state.last ?? {});
  }

  /** Current value of one signal (NaN if never seen). */
  signal(name: string): number {
    return this.latest?.s[name] ?? Number.NaN;
  }
}
