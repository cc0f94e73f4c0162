// A latency/power profile of one kind of inference instance: how fast it prefills and decodes
// and what it draws at each SM clock. The DVFS controller and the scaler predict with it.
// A profile comes from a file (JSON of this shape, e.g. measured on real GPUs), from the twin's
// published laws (design/twin.md §1, `profileFromTwinLaws`), and is corrected online by what
// the instances actually show (`LatencyCorrection`).

import type { TwinParams } from '../twin/params';
import { EnergyInputError } from './errors';
import { ttftSloMs, type SloSpec } from './slo';

export type Tp = 2 | 4 | 8;

export interface LatencyPowerProfile {
  /** Clocks the GPUs accept (MHz), ascending. */
  clocksMHz: number[];
  /** The clock the timings below are measured at (MHz). */
  maxClockMHz: number;
  /** Prefill rate per instance at max clock (tokens/s), by tensor parallelism; scales ∝ clock. */
  prefillTokensPerS: Record<Tp, number>;
  /** Decode step = (baseMs + perSeqMs · batch) · (fixedShare + clockShare · fmax / f) · tpStep[tp]. */
  decode: { baseMs: number; perSeqMs: number; fixedShare: number; clockShare: number; tpStep: Record<Tp, number> };
  /** Per-GPU power = staticW + util · dynamicW · (f / fmax)^exponent; decode util = base + slope · min(1, b / batchRef). */
  power: { staticW: number; dynamicW: number; exponent: number; prefillUtil: number; decodeUtilBase: number; decodeUtilSlope: number; decodeUtilBatchRef: number };
  gpusPerServer: number;
  hostPowerW: number;
  /** Prefill tokens per continuous-batching iteration. */
  prefillChunkTokens: number;
  maxRunning: number;
}

/** The profile the twin's published laws give (design/twin.md §1): what a vendor datasheet would. */
export function profileFromTwinLaws(p: TwinParams): LatencyPowerProfile {
  const t = p.timing;
  return {
    clocksMHz: [...p.cluster.clockSetMHz].sort((a, b) => a - b),
    maxClockMHz: p.cluster.maxClockMHz,
    prefillTokensPerS: { 8: t.prefillTokensPerS * t.tp[8].prefillRate, 4: t.prefillTokensPerS * t.tp[4].prefillRate, 2: t.prefillTokensPerS * t.tp[2].prefillRate },
    decode: {
      baseMs: t.decodeBaseMs,
      perSeqMs: t.decodePerSeqMs,
      fixedShare: t.decodeFixedShare,
      clockShare: t.decodeClockShare,
      tpStep: { 8: t.tp[8].stepTime, 4: t.tp[4].stepTime, 2: t.tp[2].stepTime },
    },
    power: {
      staticW: p.power.staticW,
      dynamicW: p.power.dynamicW,
      exponent: p.power.clockExponent,
      prefillUtil: p.power.prefillUtil,
      decodeUtilBase: p.power.decodeUtilBase,
      decodeUtilSlope: p.power.decodeUtilSlope,
      decodeUtilBatchRef: p.power.decodeUtilBatchRef,
    },
    gpusPerServer: p.cluster.gpusPerServer,
    hostPowerW: p.cluster.hostPowerW,
    prefillChunkTokens: t.prefillChunkTokens,
    maxRunning: t.maxRunning,
  };
}

/** Refuses a profile that would make every prediction meaningless. */
export function checkProfile(prof: LatencyPowerProfile): LatencyPowerProfile {
  const bad = (what: string) => new EnergyInputError('ERR_BAD_CONFIG', `profile: ${what}`);
  if (!Array.isArray(prof?.clocksMHz) || prof.clocksMHz.length === 0 || prof.clocksMHz.some((c) => !(c > 0))) throw bad('clocksMHz must be a non-empty list of positive clocks');
  if (!(prof.maxClockMHz > 0)) throw bad('maxClockMHz must be positive');
  for (const tp of [2, 4, 8] as Tp[]) {
    if (!(prof.prefillTokensPerS?.[tp] > 0)) throw bad(`prefillTokensPerS[${tp}] must be positive`);
    if (!(prof.decode?.tpStep?.[tp] > 0)) throw bad(`decode.tpStep[${tp}] must be positive`);
  }
  if (!(prof.decode.baseMs > 0) || !(prof.decode.perSeqMs >= 0)) throw bad('decode.baseMs must be positive and perSeqMs ≥ 0');
  if (!(prof.power?.dynamicW >= 0) || !(prof.power.staticW >= 0)) throw bad('power watts must be ≥ 0');
  if (!(prof.prefillChunkTokens > 0) || !(prof.maxRunning > 0) || !(prof.gpusPerServer > 0)) throw bad('prefillChunkTokens, maxRunning and gpusPerServer must be positive');
  return prof;
}

export function prefillTokensPerS(prof: LatencyPowerProfile, tp: Tp, mhz: number): number {
  return prof.prefillTokensPerS[tp] * (mhz / prof.maxClockMHz);
}

export function decodeStepMs(prof: LatencyPowerProfile, tp: Tp, mhz: number, batch: number): number {
  const d = prof.decode;
  return (d.baseMs + d.perSeqMs * Math.max(1, batch)) * (d.fixedShare + (d.clockShare * prof.maxClockMHz) / mhz) * d.tpStep[tp];
}

export function gpuPowerW(prof: LatencyPowerProfile, mhz: number, util: number): number {
  const w = prof.power;
  return w.staticW + util * w.dynamicW * Math.pow(mhz / prof.maxClockMHz, w.exponent);
}

export function decodeUtil(prof: LatencyPowerProfile, batch: number): number {
  const w = prof.power;
  return w.decodeUtilBase + w.decodeUtilSlope * Math.min(1, batch / w.decodeUtilBatchRef);
}

/** What an instance is asked to carry, as its recent telemetry shows it. */
export interface InstanceDemand {
  tp: Tp;
  /** Prompt tokens arriving per second. */
  prefillTokensPerS: number;
  /** Requests arriving per second. */
  requestsPerS: number;
  /** Mean prompt length of those requests (tokens). */
  meanInputTokens: number;
  /** Sequences decoding now. */
  running: number;
  /** Prompt tokens waiting for prefill now. */
  queuedTokens: number;
}

export interface Prediction {
  mhz: number;
  /** Expected TTFT of a mean-length prompt (ms); Infinity when the instance cannot keep up. */
  ttftMs: number;
  /** Its TTFT objective (ms). */
  ttftSloMs: number;
  /** Expected mean time between tokens (ms). */
  tbtMs: number;
  /** Share of time spent prefilling (0–1). */
  prefillBusy: number;
  /** Mean power of the whole instance (W). */
  powerW: number;
}

/**
 * Predicts TTFT, TBT and power of an instance at `mhz` from its demand: prefill is an M/G/1
 * queue whose service is the prompt's prefill plus one decode step per chunk; decoding is
 * stretched by the share of time the instance spends prefilling (chunked prefill interleaves).
 */
export function predict(prof: LatencyPowerProfile, slo: SloSpec, d: InstanceDemand, mhz: number): Prediction {
  const rate = prefillTokensPerS(prof, d.tp, mhz);
  const step = decodeStepMs(prof, d.tp, mhz, d.running);
  const n = Math.max(1, d.meanInputTokens);
  const serviceMs = (1000 * n) / rate + Math.ceil(n / prof.prefillChunkTokens) * (d.running > 0 ? step : 0);
  const rho = d.requestsPerS * (serviceMs / 1000);
  const prefillBusy = Math.min(1, d.prefillTokensPerS / rate);
  const backlogMs = (1000 * d.queuedTokens) / rate;
  const ttftMs = rho >= 0.97 ? Infinity : backlogMs + serviceMs + (rho * serviceMs) / (1 - rho);
  const tbtMs = prefillBusy >= 0.97 ? Infinity : step / (1 - prefillBusy);
  const util = prefillBusy * prof.power.prefillUtil + (d.running > 0 ? (1 - prefillBusy) * decodeUtil(prof, d.running) : 0);
  const powerW = d.tp * gpuPowerW(prof, mhz, util);
  return { mhz, ttftMs, ttftSloMs: ttftSloMs(slo, n), tbtMs, prefillBusy, powerW };
}

/**
 * Online correction of a profile: the ratio of observed to predicted latency, kept per key
 * (e.g. "TP8@1400") as an exponentially weighted mean, clamped so one odd sample cannot
 * steer a controller far. A profile from a datasheet thus adapts to the hardware it runs on.
 */
export class LatencyCorrection {
  private readonly ratios = new Map<string, { ttft: number; tbt: number; n: number }>();
  constructor(readonly alpha = 0.1, readonly min = 0.5, readonly max = 4) {}

  observe(key: string, observed: { ttftMs?: number; tbtMs?: number }, predicted: Prediction): void {
    const r = this.ratios.get(key) ?? { ttft: 1, tbt: 1, n: 0 };
    const upd = (old: number, obs: number | undefined, pred: number) => {
      if (obs === undefined || !Number.isFinite(obs) || !(pred > 0) || !Number.isFinite(pred)) return old;
      const x = Math.min(this.max, Math.max(this.min, obs / pred));
      return old + this.alpha * (x - old);
    };
    r.ttft = upd(r.ttft, observed.ttftMs, predicted.ttftMs);
    r.tbt = upd(r.tbt, observed.tbtMs, predicted.tbtMs);
    r.n++;
    this.ratios.set(key, r);
  }

  factors(key: string): { ttft: number; tbt: number; samples: number } {
    const r = this.ratios.get(key);
    return r ? { ttft: r.ttft, tbt: r.tbt, samples: r.n } : { ttft: 1, tbt: 1, samples: 0 };
  }
}
