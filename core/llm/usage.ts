// Token usage and cost. Servers that send no usage (some streams, some proxies) still get a
// number, estimated and marked so, because a cost dashboard with gaps is worse than one with
// labelled estimates.

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** True when any part was estimated from text length rather than reported by the server. */
  estimated?: boolean;
}

export interface Prices {
  /** USD per 1000 prompt tokens. */
  promptPer1k?: number;
  /** USD per 1000 completion tokens. */
  completionPer1k?: number;
}

/** About four characters a token for English text and JSON (the usual rule of thumb for BPE tokenisers). */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.round(text.length / 4));
}

export function addUsage(a: Usage | undefined, b: Usage): Usage {
  if (!a) return { ...b };
  const sum: Usage = {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
  if (a.estimated || b.estimated) sum.estimated = true;
  return sum;
}

/** Cost in USD when a price is set, rounded to a millionth of a dollar; undefined otherwise. */
export function costUsd(usage: Usage, prices: Prices): number | undefined {
  if (prices.promptPer1k === undefined && prices.completionPer1k === undefined) return undefined;
  const cost = (usage.promptTokens / 1000) * (prices.promptPer1k ?? 0) + (usage.completionTokens / 1000) * (prices.completionPer1k ?? 0);
  return Math.round(cost * 1e6) / 1e6;
}
