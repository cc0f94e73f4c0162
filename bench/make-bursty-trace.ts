// Writes a bursty workload in the Azure LLM inference trace format (TIMESTAMP,ContextTokens,
// GeneratedTokens), for checking bench:cooling on a trace it was not tuned on. Poisson arrivals
// at a base rate with bursts of 2–2.5× lasting 1–5 minutes at random gaps of 2–10 minutes;
// conversation-like token counts (core/twin/workload.ts). Deterministic for a seed.
//
//   npx tsx bench/make-bursty-trace.ts OUT.csv [--seed N] [--base REQ_PER_S] [--duration S]

import { writeFileSync } from 'node:fs';
import { seededRng } from '../core/twin/rng';
import { rateWorkload } from '../core/twin/workload';
import { arg } from './cli';


const out = process.argv[2];
if (!out || out.startsWith('--')) {
  console.error('usage: make-bursty-trace.ts OUT.csv [--seed N] [--base REQ_PER_S] [--duration S]');
  process.exit(2);
}
const seed = Number(arg('seed', '7'));
const base = Number(arg('base', '4.5'));
const durationS = Number(arg('duration', '3600'));

// Burst windows first, from their own stream, so the arrivals do not shift them.
const rng = seededRng(seed * 7919 + 1);
const bursts: Array<{ from: number; to: number; factor: number }> = [];
for (let t = 120 + rng() * 480; t < durationS; ) {
  const len = 60 + rng() * 240;
  bursts.push({ from: t, to: t + len, factor: 2 + rng() * 0.5 });
  t += len + 120 + rng() * 480;
}
const rate = (t: number) => base * (bursts.find((b) => t >= b.from && t < b.to)?.factor ?? 1);
const w = rateWorkload('bursty', rate, base * 2.5, { durationS, seed, startEpochMs: Date.UTC(2024, 2, 4, 9, 0, 0) });

const pad = (n: number, k = 2) => String(n).padStart(k, '0');
const lines = ['TIMESTAMP,ContextTokens,GeneratedTokens'];
for (const r of w.requests) {
  const ms = w.startEpochMs + r.arrivalS * 1000;
  const d = new Date(Math.floor(ms));
  const frac = String(Math.round((ms % 1000) * 10000)).padStart(7, '0');
  lines.push(`${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${frac},${r.inputTokens},${r.outputTokens}`);
}
writeFileSync(out, lines.join('\n') + '\n');
console.log(JSON.stringify({ file: out, requests: w.requests.length, bursts: bursts.length, seed, baseReqPerS: base, durationS }));
