// Request pools of DynamoLLM: a request's pool is its input-length class and its (predicted)
// output-length class. With the default thresholds (input < 256 / < 1024 / ≥ 1024, output
// < 100 / < 350 / ≥ 350) there are nine pools, named input letter then output letter:
// "SS" short in, short out … "LL" long in, long out.

import { EnergyInputError } from './errors';

export const CLASS_LETTERS = ['S', 'M', 'L', 'X', 'Y', 'Z'] as const;

export interface PoolThresholds {
  /** Ascending upper bounds (exclusive) of the input classes (tokens); n bounds make n + 1 classes. */
  input: number[];
  /** Ascending upper bounds (exclusive) of the output classes (tokens). */
  output: number[];
}

export const DEFAULT_THRESHOLDS: PoolThresholds = { input: [256, 1024], output: [100, 350] };

export function checkThresholds(t: PoolThresholds): PoolThresholds {
  for (const key of ['input', 'output'] as const) {
    const list = t?.[key];
    if (!Array.isArray(list) || list.length === 0 || list.length > CLASS_LETTERS.length - 1) {
      throw new EnergyInputError('ERR_BAD_CONFIG', `${key} thresholds must be a list of 1–${CLASS_LETTERS.length - 1} token counts`);
    }
    list.forEach((v, i) => {
      if (!Number.isFinite(v) || v <= 0 || (i > 0 && v <= list[i - 1])) {
        throw new EnergyInputError('ERR_BAD_CONFIG', `${key} thresholds must be positive and ascending, got ${list.join(', ')}`);
      }
    });
  }
  return t;
}

/** Index of the class `tokens` falls in: the first bound it is below, else the last class. */
export function classOf(tokens: number, bounds: readonly number[]): number {
  for (let i = 0; i < bounds.length; i++) if (tokens < bounds[i]) return i;
  return bounds.length;
}

export function poolName(inputClass: number, outputClass: number): string {
  return CLASS_LETTERS[inputClass] + CLASS_LETTERS[outputClass];
}

/** Every pool name for the thresholds, input-major (SS, SM, SL, MS, …). */
export function allPools(t: PoolThresholds): string[] {
  const out: string[] = [];
  for (let i = 0; i <= t.input.length; i++) for (let o = 0; o <= t.output.length; o++) out.push(poolName(i, o));
  return out;
}

export function classify(t: PoolThresholds, inputTokens: number, outputTokens: number): string {
  return poolName(classOf(inputTokens, t.input), classOf(outputTokens, t.output));
}

/** The classes of a pool name. */
export function poolClasses(pool: string): { input: number; output: number } {
  return { input: CLASS_LETTERS.indexOf(pool[0] as never), output: CLASS_LETTERS.indexOf(pool[1] as never) };
}
