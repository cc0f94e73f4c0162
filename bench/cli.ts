// Command-line plumbing every benchmark shares: `--name value` options, `--flag` switches, and
// the default workload, the Conversation trace shipped in data/ (CC-BY 4.0, see data/README.md).
import { resolve } from 'path';

export const DEFAULT_TRACE = resolve(__dirname, '../data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv');

/** The value after `--name`, or the fallback when the option is absent. */
export function arg(name: string): string | undefined;
export function arg(name: string, fallback: string): string;
export function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** A numeric option. */
export function numArg(name: string, fallback: number): number {
  const v = arg(name);
  return v === undefined ? fallback : Number(v);
}

export const flag = (name: string): boolean => process.argv.includes(`--${name}`);
