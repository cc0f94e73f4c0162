// The latency objective every energy controller works against, as an operator states it:
// TTFT ≤ max(floor, factor × the prompt's isolated TTFT on the reference instance) and a mean
// time between tokens ≤ tbtMs (DynamoLLM's "5 × isolated latency", design/twin.md §1).

import { EnergyInputError } from './errors';

export interface SloSpec {
  /** TTFT floor (ms). */
  ttftFloorMs: number;
  /** TTFT objective = factor × isolated TTFT. */
  ttftFactor: number;
  /** Prefill rate of the reference instance that defines "isolated" (tokens/s). */
  referencePrefillTokensPerS: number;
  /** Mean time-between-tokens objective (ms). */
  tbtMs: number;
}

/** The twin.md objective: 250 ms floor, 5 × isolated on TP8 at 1980 MHz, TBT 5 × 15.15 ms. */
export const DEFAULT_SLO: SloSpec = { ttftFloorMs: 250, ttftFactor: 5, referencePrefillTokensPerS: 16000, tbtMs: 75.75 };

export function ttftSloMs(slo: SloSpec, inputTokens: number): number {
  return Math.max(slo.ttftFloorMs, (slo.ttftFactor * 1000 * Math.max(1, inputTokens)) / slo.referencePrefillTokensPerS);
}

export function checkSlo(slo: SloSpec): SloSpec {
  for (const k of ['ttftFloorMs', 'ttftFactor', 'referencePrefillTokensPerS', 'tbtMs'] as const) {
    if (!(slo[k] > 0) || !Number.isFinite(slo[k])) throw new EnergyInputError('ERR_BAD_CONFIG', `SLO ${k} must be a positive number, got ${slo[k]}`);
  }
  return slo;
}
