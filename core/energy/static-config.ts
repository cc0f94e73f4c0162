// A static cluster configuration on the twin: instance groups (TP, server count, SM clock) and a
// map from request pools to groups. The feasibility search and the oracle evaluate these with
// perfect knowledge of each request's class (input and true output length): what the twin allows
// with the same levers the online controllers have (pools, TP, per-instance clocks, servers).

import type { InstanceLoad } from '../twin/cluster';
import { Facility } from '../twin/facility';
import { ttftSloSeconds } from '../twin/laws';
import { twinParams, type TensorParallel } from '../twin/params';
import type { Workload } from '../twin/workload';

export interface GroupSpec {
  tp: TensorParallel;
  servers: number;
  mhz: number;
}

/** Pool → group index; pools are `inputClass * 3 + outputClass` (9 pools, default thresholds). */
export interface StaticConfig {
  groups: GroupSpec[];
  /** 9 entries: group index per pool. */
  poolGroup: number[];
  /** Class thresholds (tokens): input < a / < b / ≥ b, output < c / < d / ≥ d. */
  inputEdges?: [number, number];
  outputEdges?: [number, number];
}

export interface StaticResult {
  energyKWh: number;
  sloAttainmentPct: number;
  /** Misses per pool (requests), and of those the TTFT misses. */
  poolMisses: number[];
  ttftMisses: number[];
  poolCounts: number[];
  meanServers: number;
}

export function poolOf(input: number, output: number, inEdges: [number, number] = [256, 1024], outEdges: [number, number] = [100, 350]): number {
  const i = input < inEdges[0] ? 0 : input < inEdges[1] ? 1 : 2;
  const o = output < outEdges[0] ? 0 : output < outEdges[1] ? 1 : 2;
  return i * 3 + o;
}

/** Runs the whole workload on the static configuration; `rateScale` only labels the params. */
export function evaluateStatic(workload: Workload, cfg: StaticConfig, opts: { rateScale?: number; seed?: number; untilS?: number } = {}): StaticResult {
  const total = cfg.groups.reduce((s, g) => s + g.servers, 0);
  const params = twinParams({ cluster: { servers: total, initialActiveServers: total }, workload: { rateScale: opts.rateScale ?? 10 } });
  const twin = new Facility(params, workload, opts.seed ?? 1);
  const servers = twin.servers();
  const serverGroup = new Map<string, number>();
  let k = 0;
  cfg.groups.forEach((g, gi) => {
    for (let s = 0; s < g.servers; s++) {
      const id = servers[k++].id;
      serverGroup.set(id, gi);
      if (g.tp !== 8) twin.setTensorParallel(id, g.tp);
    }
  });
  for (const i of twin.instances()) {
    const mhz = cfg.groups[serverGroup.get(i.serverId)!].mhz;
    if (mhz !== i.freqMHz) twin.setFrequency(i.id, mhz);
  }
  const reqs = workload.requests;
  const inE = cfg.inputEdges ?? [256, 1024];
  const outE = cfg.outputEdges ?? [100, 350];
  const groupOfInstance = new Map<string, number>();
  for (const i of twin.instances()) groupOfInstance.set(i.id, serverGroup.get(i.serverId)!);
  // Candidates per group, cached by the candidates array identity (the twin caches it).
  let lastCands: readonly InstanceLoad[] | null = null;
  let byGroup: InstanceLoad[][] = [];
  twin.setRouter((req, cands) => {
    if (cands !== lastCands) {
      lastCands = cands;
      byGroup = cfg.groups.map(() => []);
      for (const c of cands) byGroup[groupOfInstance.get(c.id) ?? 0].push(c);
    }
    const r = reqs[req.id];
    const g = cfg.poolGroup[poolOf(r.inputTokens, r.outputTokens, inE, outE)];
    const list = byGroup[g];
    let best: InstanceLoad | undefined;
    let bestLoad = Infinity;
    for (const c of list) {
      const load = c.queuedTokens + 8 * c.runningRequests;
      if (load < bestLoad) {
        bestLoad = load;
        best = c;
      }
    }
    return best;
  });
  const poolMisses = new Array(9).fill(0);
  const poolCounts = new Array(9).fill(0);
  const ttftMisses = new Array(9).fill(0);
  twin.onCompletion((c) => {
    const p = poolOf(c.inputTokens, c.outputTokens, inE, outE);
    poolCounts[p]++;
    if (!c.sloMet) poolMisses[p]++;
    if (c.ttftS > ttftSloSeconds(params, c.inputTokens)) ttftMisses[p]++;
  });
  twin.advance(opts.untilS ?? Math.ceil(workload.durationS));
  const s = twin.summary();
  return {
    energyKWh: s.energy.itKWh,
    sloAttainmentPct: s.requests.sloAttainmentPct,
    poolMisses,
    ttftMisses,
    poolCounts,
    meanServers: s.meanActiveServers,
  };
}
