// What the twin serves: requests with an arrival time and their true token counts, from a
// replayed Azure LLM inference trace or a synthetic generator (twin.md §2).

import { readFileSync } from 'node:fs';
import { exponential, logNormal, seededRng, type Rng } from './rng';

export interface TwinRequest {
  /** Index in arrival order, 0-based. */
  id: number;
  /** Seconds from the workload's start. */
  arrivalS: number;
  inputTokens: number;
  /** The true output length: the twin uses it, controllers never see it before completion. */
  outputTokens: number;
}

export interface Workload {
  name: string;
  /** Wall-clock instant of t = 0 (ms since the Unix epoch); telemetry timestamps derive from it. */
  startEpochMs: number;
  /** Length of the trace (s); replay and scaling keep it. */
  durationS: number;
  /** Sorted by arrival. */
  requests: TwinRequest[];
}

export class TraceFormatError extends Error {
  constructor(message: string, readonly line: number) {
    super(`${message} (line ${line})`);
    this.name = 'TraceFormatError';
  }
}

const TIMESTAMP = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?/;

/** Milliseconds since the Unix epoch of a trace timestamp such as `2023-11-16 18:15:46.6805900` (read as UTC). */
export function parseTraceTimestamp(text: string): number {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return Number.NaN;
  const whole = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  return whole + fraction;
}

/**
 * Parses a CSV in the Azure LLM inference trace format (`TIMESTAMP,ContextTokens,GeneratedTokens`,
 * columns found by header name in any order, CRLF or LF). Arrival times are seconds from the
 * earliest timestamp.
 */
export function parseAzureTrace(csv: string, name = 'trace'): Workload {
  const lines = csv.split(/\r?\n/);
  const header = lines[0].split(',').map((h) => h.trim().toLowerCase());
  const col = (n: string) => header.indexOf(n.toLowerCase());
  const iTime = col('TIMESTAMP');
  const iIn = col('ContextTokens');
  const iOut = col('GeneratedTokens');
  if (iTime < 0 || iIn < 0 || iOut < 0) {
    throw new TraceFormatError('expected columns TIMESTAMP, ContextTokens, GeneratedTokens', 1);
  }
  const rows: Array<{ ms: number; input: number; output: number }> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const ms = parseTraceTimestamp(cells[iTime] ?? '');
    const input = Number(cells[iIn]);
    const output = Number(cells[iOut]);
    if (!Number.isFinite(ms)) throw new TraceFormatError(`bad timestamp "${cells[iTime]}"`, i + 1);
    if (!Number.isFinite(input) || !Number.isFinite(output) || input < 0 || output < 0) {
      throw new TraceFormatError('token counts must be non-negative numbers', i + 1);
    }
    rows.push({ ms, input: Math.round(input), output: Math.round(output) });
  }
  if (rows.length === 0) throw new TraceFormatError('the trace has no requests', 2);
  rows.sort((a, b) => a.ms - b.ms);
  const start = rows[0].ms;
  const requests = rows.map((r, id) => ({
    id,
    arrivalS: (r.ms - start) / 1000,
    inputTokens: r.input,
    outputTokens: r.output,
  }));
  return { name, startEpochMs: start, durationS: requests[requests.length - 1].arrivalS, requests };
}

/**
 * Multiplies the arrival rate by `n` while keeping the trace's duration and shape (twin.md §2):
 * each request is replayed ⌊n⌋ times and once more with probability n − ⌊n⌋, every copy at its
 * original time plus a seeded uniform jitter in [0, jitterS).
 */
export function rateScale(w: Workload, n: number, seed: number, jitterS = 1): Workload {
  if (!(n >= 0) || !Number.isFinite(n)) throw new RangeError(`rateScale must be a finite number ≥ 0, got ${n}`);
  const rng = seededRng(seed);
  const whole = Math.floor(n);
  const extra = n - whole;
  const out: TwinRequest[] = [];
  for (const r of w.requests) {
    const copies = whole + (extra > 0 && rng() < extra ? 1 : 0);
    for (let c = 0; c < copies; c++) {
      out.push({ id: 0, arrivalS: r.arrivalS + rng() * jitterS, inputTokens: r.inputTokens, outputTokens: r.outputTokens });
    }
  }
  out.sort((a, b) => a.arrivalS - b.arrivalS);
  out.forEach((r, i) => (r.id = i));
  return { name: `${w.name}×${n}`, startEpochMs: w.startEpochMs, durationS: w.durationS, requests: out };
}

/** Token counts of a synthetic request. */
export type LengthModel = { inputTokens: number; outputTokens: number } | ((rng: Rng) => { inputTokens: number; outputTokens: number });

/** Conversation-like lengths [E]: log-normal around the Azure Conversation trace's medians (1,020 in, 129 out). */
export const conversationLengths: LengthModel = (rng) => ({
  inputTokens: clampInt(logNormal(rng, 1020, 0.7), 2, 8192),
  outputTokens: clampInt(logNormal(rng, 129, 0.9), 1, 1000),
});

export interface SyntheticOptions {
  durationS: number;
  seed: number;
  lengths?: LengthModel;
  startEpochMs?: number;
}

/**
 * Poisson arrivals with a time-varying rate `ratePerS(t)` ≤ `maxRatePerS` (thinning), so every
 * generator below shares one well-understood arrival process.
 */
export function rateWorkload(name: string, ratePerS: (t: number) => number, maxRatePerS: number, o: SyntheticOptions): Workload {
  const rng = seededRng(o.seed);
  const lengths = o.lengths ?? conversationLengths;
  const requests: TwinRequest[] = [];
  if (maxRatePerS > 0) {
    for (let t = exponential(rng, 1 / maxRatePerS); t < o.durationS; t += exponential(rng, 1 / maxRatePerS)) {
      if (rng() * maxRatePerS >= ratePerS(t)) continue;
      const l = typeof lengths === 'function' ? lengths(rng) : lengths;
      requests.push({ id: requests.length, arrivalS: t, inputTokens: l.inputTokens, outputTokens: l.outputTokens });
    }
  }
  return { name, startEpochMs: o.startEpochMs ?? Date.UTC(2024, 0, 1), durationS: o.durationS, requests };
}

export function constantRate(ratePerS: number, o: SyntheticOptions): Workload {
  return rateWorkload(`constant(${ratePerS}/s)`, () => ratePerS, ratePerS, o);
}

export function stepRate(beforePerS: number, afterPerS: number, atS: number, o: SyntheticOptions): Workload {
  return rateWorkload(`step(${beforePerS}→${afterPerS}/s @${atS}s)`, (t) => (t < atS ? beforePerS : afterPerS), Math.max(beforePerS, afterPerS), o);
}

/** Diurnal-like sine: mean + amplitude · sin(2π t / period), never below 0. */
export function sineRate(meanPerS: number, amplitudePerS: number, periodS: number, o: SyntheticOptions): Workload {
  const rate = (t: number) => Math.max(0, meanPerS + amplitudePerS * Math.sin((2 * Math.PI * t) / periodS));
  return rateWorkload(`sine(${meanPerS}±${amplitudePerS}/s, ${periodS}s)`, rate, meanPerS + Math.abs(amplitudePerS), o);
}

/** A base rate with bursts of `burstPerS` lasting `burstS` at the start of every `everyS`. */
export function burstRate(basePerS: number, burstPerS: number, everyS: number, burstS: number, o: SyntheticOptions): Workload {
  const rate = (t: number) => (t % everyS < burstS ? burstPerS : basePerS);
  return rateWorkload(`bursts(${basePerS}/s, ${burstPerS}/s for ${burstS}s every ${everyS}s)`, rate, Math.max(basePerS, burstPerS), o);
}

function clampInt(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(x)));
}

/** Reads and parses a trace file in the Azure LLM inference trace format. */
export function loadAzureTrace(path: string): Workload {
  const name = path.split(/[\\/]/).pop() ?? path;
  return parseAzureTrace(readFileSync(path, 'utf8'), name);
}
