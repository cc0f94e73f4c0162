// A bursty synthetic trace in the Azure LLM inference trace format, for testing that the
// energy controllers generalise to a load they were never tuned on. Its shape differs from the
// Conversation trace on purpose: a low base rate with a slow rise and fall over the hour,
// seeded bursts of 1–3 minutes at three to four times the base, and a code-completion-like
// length mix (more short prompts, longer answers). Written at rateScale 1; the benchmark
// scales it like any trace.

import { writeFileSync } from 'node:fs';
import { logNormal, seededRng } from '../twin/rng';
import { rateWorkload, type Workload } from '../twin/workload';

export interface BurstyTraceOptions {
  seed?: number;
  durationS?: number;
  /** Mean base arrival rate (requests/s at rateScale 1). */
  baseRate?: number;
  /** Burst rate as a multiple of the base. */
  burstFactor?: number;
  /** Mean seconds between burst starts. */
  meanGapS?: number;
}

export function burstyWorkload(o: BurstyTraceOptions = {}): Workload {
  const seed = o.seed ?? 7;
  const duration = o.durationS ?? 3600;
  const base = o.baseRate ?? 3;
  const factor = o.burstFactor ?? 3.5;
  const gap = o.meanGapS ?? 420;
  const rng = seededRng(seed ^ 0x5eed);
  const bursts: Array<[number, number]> = [];
  for (let t = 60 + rng() * gap; t < duration; t += gap * (0.5 + rng())) bursts.push([t, t + 60 + rng() * 120]);
  // A slow swell: 0.6× base at the start and end, 1.4× at mid-hour.
  const swell = (t: number) => 0.6 + 0.8 * Math.sin((Math.PI * t) / duration);
  const rate = (t: number) => base * swell(t) * (bursts.some(([a, b]) => t >= a && t < b) ? factor : 1);
  return rateWorkload('bursty-synthetic', rate, base * 1.4 * factor, {
    durationS: duration,
    seed,
    startEpochMs: Date.UTC(2024, 4, 6, 9, 0, 0),
    lengths: (r) => {
      const short = r() < 0.45;
      return {
        inputTokens: Math.max(4, Math.min(8000, Math.round(short ? logNormal(r, 180, 0.6) : logNormal(r, 1400, 0.7)))),
        outputTokens: Math.max(1, Math.min(1500, Math.round(logNormal(r, short ? 260 : 90, 0.8)))),
      };
    },
  });
}

/** The workload as Azure-format CSV text (`TIMESTAMP,ContextTokens,GeneratedTokens`). */
export function toAzureCsv(w: Workload): string {
  const lines = ['TIMESTAMP,ContextTokens,GeneratedTokens'];
  for (const r of w.requests) {
    const ms = w.startEpochMs + r.arrivalS * 1000;
    const iso = new Date(Math.floor(ms)).toISOString().replace('T', ' ').replace('Z', '');
    const frac = (ms / 1000 - Math.floor(ms / 1000)).toFixed(7).slice(1);
    lines.push(`${iso.slice(0, 19)}${frac},${r.inputTokens},${r.outputTokens}`);
  }
  return lines.join('\n') + '\n';
}

export function writeBurstyTrace(path: string, o: BurstyTraceOptions = {}): Workload {
  const w = burstyWorkload(o);
  writeFileSync(path, toAzureCsv(w));
  return w;
}
