// The closed-form laws of twin.md, as pure functions of the parameter object. The cluster and
// thermal models call these and nothing else for timing and power, so the unit tests that pin
// these functions pin the whole twin.

import type { TensorParallel, TwinParams } from './params';

/** GPU utilisation of a decode step with `batch` running sequences (0–1). */
export function decodeUtilisation(p: TwinParams, batch: number): number {
  const w = p.power;
  return w.decodeUtilBase + w.decodeUtilSlope * Math.min(1, batch / w.decodeUtilBatchRef);
}

/** Power of one powered GPU (W) at SM clock `mhz` and utilisation `u` (0 = idle, model loaded). */
export function gpuPower(p: TwinParams, mhz: number, u: number): number {
  const w = p.power;
  return w.staticW + u * w.dynamicW * Math.pow(mhz / p.cluster.maxClockMHz, w.clockExponent);
}

/** Prefill throughput of one instance (tokens/s): compute bound, so proportional to the clock. */
export function prefillRate(p: TwinParams, tp: TensorParallel, mhz: number): number {
  return p.timing.prefillTokensPerS * p.timing.tp[tp].prefillRate * (mhz / p.cluster.maxClockMHz);
}

/** Duration of one decode step (s) for `batch` running sequences. */
export function decodeStepSeconds(p: TwinParams, tp: TensorParallel, mhz: number, batch: number): number {
  const t = p.timing;
  const clock = t.decodeFixedShare + t.decodeClockShare * (p.cluster.maxClockMHz / mhz);
  return ((t.decodeBaseMs + t.decodePerSeqMs * batch) * clock * t.tp[tp].stepTime) / 1000;
}

/** TTFT the request would see alone on an idle TP8 instance at max clock (s). */
export function isolatedTtftSeconds(p: TwinParams, inputTokens: number): number {
  return Math.max(1, inputTokens) / prefillRate(p, 8, p.cluster.maxClockMHz);
}

/** The request's TTFT objective (s). */
export function ttftSloSeconds(p: TwinParams, inputTokens: number): number {
  return Math.max(p.slo.ttftFloorS, p.slo.ttftFactor * isolatedTtftSeconds(p, inputTokens));
}

/** The mean-TBT objective (s): factor × single-sequence step at max clock on TP8. */
export function tbtSloSeconds(p: TwinParams): number {
  return p.slo.tbtFactor * decodeStepSeconds(p, 8, p.cluster.maxClockMHz, 1);
}

/** Pump power (kW) at `flowLpm`; the pump never turns slower than its minimum speed. */
export function pumpPowerKW(p: TwinParams, flowLpm: number): number {
  const c = p.cooling;
  return c.pumpRatedKW * Math.pow(pumpSpeed(p, flowLpm), 3);
}

/** Pump speed (0–1) for `flowLpm`. */
export function pumpSpeed(p: TwinParams, flowLpm: number): number {
  const c = p.cooling;
  return Math.max(c.pumpMinSpeed, flowLpm / c.pumpRatedLpm);
}

/** Chiller coefficient of performance at supply temperature `supplyC`. */
export function chillerCop(p: TwinParams, supplyC: number): number {
  const c = p.cooling;
  return c.copBase * (1 + c.copPerK * (supplyC - c.copRefC));
}

/** Temperature rise (K) of water carrying `heatKW` at `flowLpm`. */
export function waterRiseK(p: TwinParams, heatKW: number, flowLpm: number): number {
  return heatKW / (p.cooling.waterKWPerLpmK * Math.max(flowLpm, 1e-9));
}
