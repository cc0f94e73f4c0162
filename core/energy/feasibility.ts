// Feasibility search: what saving does the twin allow with static instance groups?
//
// A partition splits the 9 pools into parts; each part gets its own instance group (TP, SM
// clock, server count). Groups share nothing, so each part is simulated alone on its own
// requests (perfect knowledge of the class, true output included) over the grid of TP × clock ×
// server count, and the parts are then combined by a small knapsack: least total energy with the
// misses of all parts together within the run's miss budget (1 % of requests for 99 %). This
// spends the budget over the whole run and across pools, which is exactly what the SLO asks.

import { evaluateStatic, poolOf, type GroupSpec } from './static-config';
import type { TensorParallel } from '../twin/params';
import type { Workload } from '../twin/workload';

export interface GridPoint {
  part: number;
  tp: TensorParallel;
  mhz: number;
  servers: number;
  requests: number;
  misses: number;
  energyKWh: number;
}

/** The requests of some pools, re-indexed from 0 (the twin indexes requests by position). */
export function subWorkload(w: Workload, pools: readonly number[], inEdges?: [number, number], outEdges?: [number, number]): Workload {
  const set = new Set(pools);
  const requests = w.requests.filter((r) => set.has(poolOf(r.inputTokens, r.outputTokens, inEdges, outEdges))).map((r, id) => ({ ...r, id }));
  return { ...w, name: `${w.name}[${pools.join(',')}]`, requests };
}

/** Evaluates one group on a part's requests. */
export function evaluatePart(part: Workload, partIndex: number, g: GroupSpec, opts: { rateScale?: number; seed?: number; untilS?: number } = {}): GridPoint {
  const r = evaluateStatic(part, { groups: [g], poolGroup: new Array(9).fill(0) }, opts);
  const misses = r.poolMisses.reduce((a, b) => a + b, 0) + (part.requests.length - r.poolCounts.reduce((a, b) => a + b, 0));
  return { part: partIndex, tp: g.tp, mhz: g.mhz, servers: g.servers, requests: part.requests.length, misses, energyKWh: r.energyKWh };
}

export interface Choice {
  energyKWh: number;
  misses: number;
  points: GridPoint[];
}

/**
 * Least-energy choice of one grid point per part with total misses ≤ `budget`: a knapsack over
 * misses bucketed to `bucket` requests (exact enough for budgets of thousands).
 */
export function combine(points: readonly GridPoint[], parts: number, budget: number, bucket = 10): Choice | null {
  const B = Math.floor(budget / bucket);
  let best: Array<Choice | null> = new Array(B + 1).fill(null);
  best[0] = { energyKWh: 0, misses: 0, points: [] };
  for (let p = 0; p < parts; p++) {
    const opts = points.filter((x) => x.part === p);
    const next: Array<Choice | null> = new Array(B + 1).fill(null);
    for (let b = 0; b <= B; b++) {
      const cur = best[b];
      if (!cur) continue;
      for (const o of opts) {
        const m = cur.misses + o.misses;
        const nb = Math.ceil(m / bucket);
        if (m > budget || nb > B) continue;
        const e = cur.energyKWh + o.energyKWh;
        if (!next[nb] || next[nb]!.energyKWh > e) next[nb] = { energyKWh: e, misses: m, points: [...cur.points, o] };
      }
    }
    best = next;
  }
  let out: Choice | null = null;
  for (const c of best) if (c && (!out || c.energyKWh < out.energyKWh)) out = c;
  return out;
}
