// The oracle: perfect knowledge of the load, one server count and one SM clock per window, and
// the SLO's 1 % miss budget spent over the whole run (not ≥ 99 % in every window). Each window
// is simulated on its own (with a warm-up before it and a tail after it, so the requests of the
// window finish) for every (clock, servers) candidate; a knapsack over the windows then picks the
// least-energy schedule whose misses fit the budget. The schedule is replayed on the full trace
// with servers booted one start-up time ahead.

import { combine, type GridPoint } from './feasibility';
import { Facility } from '../twin/facility';
import { twinParams, type TwinParams } from '../twin/params';
import type { Workload } from '../twin/workload';

export interface WindowPoint extends GridPoint {
  /** Window index (the knapsack's part). */
  part: number;
}

export interface OracleOptions {
  windowS?: number;
  warmS?: number;
  tailS?: number;
  clocksMHz: readonly number[];
  rateScale?: number;
  seed?: number;
  /** Largest server count tried. */
  maxServers: number;
}

export interface ScheduleEntry {
  startS: number;
  servers: number;
  mhz: number;
}

/** The requests arriving in [fromS, toS), shifted to start at 0 and re-indexed. */
export function sliceWorkload(w: Workload, fromS: number, toS: number): Workload {
  const requests = w.requests.filter((r) => r.arrivalS >= fromS && r.arrivalS < toS).map((r, id) => ({ ...r, id, arrivalS: r.arrivalS - fromS }));
  return { ...w, name: `${w.name}@${fromS}`, durationS: toS - fromS, requests };
}

/** Misses and energy of window `k` at `n` servers and `mhz`. */
export function evaluateWindow(w: Workload, k: number, n: number, mhz: number, o: OracleOptions): WindowPoint {
  const win = o.windowS ?? 300;
  const warm = o.warmS ?? 60;
  const tail = o.tailS ?? 60;
  const a = k * win;
  const b = Math.min(w.durationS, a + win);
  const from = Math.max(0, a - warm);
  const slice = sliceWorkload(w, from, b);
  const twin = new Facility(twinParams({ cluster: { servers: n, initialActiveServers: n }, workload: { rateScale: o.rateScale ?? 10 } }), slice, o.seed ?? 1);
  for (const i of twin.instances()) if (i.freqMHz !== mhz) twin.setFrequency(i.id, mhz);
  let met = 0;
  twin.onCompletion((c) => {
    if (c.arrivalS + from >= a && c.sloMet) met++;
  });
  let j = 0;
  twin.onInterval((s) => {
    if (s.t > a - from && s.t <= b - from) j += s.itKW * (twin.params.thermal.stepS);
  });
  twin.advance(b - from + tail);
  const requests = slice.requests.filter((r) => r.arrivalS + from >= a).length;
  return { part: k, tp: 8, mhz, servers: n, requests, misses: requests - met, energyKWh: j / 3600 };
}

/**
 * The candidates of one window: for each clock, server counts from the fewest with misses within
 * `budget` (the whole run's) up to the first with none. Lower clocks never need fewer servers.
 */
export function windowCandidates(w: Workload, k: number, budget: number, o: OracleOptions, guess = 1): WindowPoint[] {
  const out: WindowPoint[] = [];
  const clocks = [...o.clocksMHz].sort((x, y) => y - x);
  let floor = Math.max(1, guess);
  for (const mhz of clocks) {
    let n = floor;
    let p = evaluateWindow(w, k, n, mhz, o);
    while (p.misses <= budget && n > 1) {
      const q = evaluateWindow(w, k, n - 1, mhz, o);
      if (q.misses > budget) break;
      out.push(q);
      p = q;
      n--;
    }
    out.push(p);
    let first = p.misses <= budget ? n : Infinity;
    while (p.misses > 0.001 * p.requests && n < o.maxServers) {
      p = evaluateWindow(w, k, ++n, mhz, o);
      out.push(p);
      if (p.misses <= budget) first = Math.min(first, n);
    }
    if (first === Infinity) break;
    floor = first;
  }
  return out;
}

/** Least-energy schedule whose total misses fit `budget`. */
export function planSchedule(points: readonly WindowPoint[], windows: number, budget: number, windowS = 300): { schedule: ScheduleEntry[]; energyKWh: number; misses: number } | null {
  const c = combine(points, windows, budget, Math.max(1, Math.floor(budget / 400)));
  if (!c) return null;
  const schedule = c.points.sort((x, y) => x.part - y.part).map((p) => ({ startS: p.part * windowS, servers: p.servers, mhz: p.mhz }));
  return { schedule, energyKWh: c.energyKWh, misses: c.misses };
}

/** Replays a schedule on the full workload: boots a start-up time ahead, drains at window start. */
export function replaySchedule(w: Workload, schedule: readonly ScheduleEntry[], params: (installed: number, active: number) => TwinParams, installed: number, seed = 1, windowS = 300, onTick?: (twin: Facility, t: number) => void): Facility {
  const first = schedule[0];
  const twin = new Facility(params(installed, first.servers), w, seed);
  const boot = twin.params.cluster.bootS;
  const durationS = Math.ceil(w.durationS);
  for (let t = 1; t <= durationS; t++) {
    twin.advance(t);
    const now = schedule[Math.min(Math.floor(t / windowS), schedule.length - 1)];
    const next = schedule[Math.min(Math.floor((t + boot) / windowS), schedule.length - 1)];
    const powered = twin.servers().filter((s) => s.state !== 'off' && s.state !== 'draining').length;
    const want = Math.max(now.servers, next.servers);
    if (want !== powered) twin.setServerCount(want);
    for (const i of twin.instances()) if (i.freqMHz !== now.mhz) twin.setFrequency(i.id, now.mhz);
    onTick?.(twin, t);
  }
  return twin;
}
