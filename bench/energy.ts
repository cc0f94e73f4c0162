// bench:energy — the DynamoLLM claim on the facility twin. Prints one JSON object.
//
//   npm run bench:energy -- --trace FILE [--rate-scale N] [--seed S] [--json] [--oracle] [--out DIR]
//                           [--managed-scaler JSON]      (Cluster Scaler options of the managed run,
//                                                         e.g. '{"staffing":"sqrt","level":"mean"}')
//                           [--make-bursty-trace FILE]   (writes the synthetic bursty trace and exits)
//
// Runs (all on the same replayed, rate-scaled trace and the same twin physics):
//   baseline  SinglePool of design/twin.md: TP8 at 1980 MHz, the smallest static server count
//             with ≥ 99 % SLO attainment, found here by search;
//   managed   Queue Batcher + GPU DVFS + Cluster Scaler (core/energy, the code the nodes run);
//   ablations scaler-only, DVFS-only, batcher-only (the other levers as the baseline has them);
//   oracle    (--oracle) one server count and one clock per 5-minute window, chosen with perfect
//             knowledge of the load: every window simulated at every (clock, servers) candidate,
//             then a knapsack over the windows spends the run's 1 % miss budget where it saves the
//             most energy (not ≥ 99 % in every window); replayed with servers booted a start-up
//             time ahead. Worker processes (--workers N, default 2) share the window simulations.
//   feasibility (--feasibility) static instance groups per pool set (TP, clock, servers) with
//             perfect knowledge of each request's class, parts combined under the run's miss budget:
//             what pools + TP + clocks allow on this twin. Prints its own JSON and exits.
// Energy is IT energy (GPUs + hosts) from the twin's meters; cooling is reported beside it.

import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeBurstyTrace } from '../core/energy/bursty-trace';
import { combine, evaluatePart, subWorkload, type GridPoint } from '../core/energy/feasibility';
import { planSchedule, replaySchedule, windowCandidates, type ScheduleEntry, type WindowPoint } from '../core/energy/oracle';
import { profileFromTwinLaws } from '../core/energy/profile';
import type { SloSpec } from '../core/energy/slo';
import { TwinControlLoop, type LoopOptions } from '../core/energy/twin-loop';
import { Facility } from '../core/twin/facility';
import { tbtSloSeconds } from '../core/twin/laws';
import { twinParams, type TwinParams } from '../core/twin/params';
import { loadAzureTrace, rateScale, type Workload } from '../core/twin/workload';
import { barChart, cdf, lineChart } from './plots/svg';
import { arg, DEFAULT_TRACE, flag } from './cli';


const made = arg('make-bursty-trace');
if (made) {
  const w = writeBurstyTrace(made, { seed: Number(arg('seed', '7')) });
  console.log(JSON.stringify({ wrote: made, requests: w.requests.length, durationS: w.durationS }));
  process.exit(0);
}

const tracePath = arg('trace', DEFAULT_TRACE)!;
const scale = Number(arg('rate-scale', '10'));
const seed = Number(arg('seed', '1'));
const outDir = arg('out');
const withOracle = flag('oracle');
const SLO_TARGET = 99;
const WINDOW_S = 300;

if (!existsSync(tracePath)) {
  console.error(`trace not found: ${tracePath} (pass --trace FILE)`);
  process.exit(2);
}

const started = Date.now();
const workload = rateScale(loadAzureTrace(tracePath), scale, seed);
const durationS = Math.ceil(workload.durationS);
const baseParams = twinParams({ workload: { rateScale: scale } });
const profile = profileFromTwinLaws(baseParams);
const slo: SloSpec = {
  ttftFloorMs: baseParams.slo.ttftFloorS * 1000,
  ttftFactor: baseParams.slo.ttftFactor,
  referencePrefillTokensPerS: baseParams.timing.prefillTokensPerS,
  tbtMs: tbtSloSeconds(baseParams) * 1000,
};

const WORKERS = Math.max(1, Number(arg('workers', '2')));
const MISS_BUDGET_PCT = 100 - SLO_TARGET;

/** Work items shared out to forked copies of this script (`--worker K/M` + a task JSON). */
type Task = { kind: 'window'; k: number; budget: number; guess: number; maxServers: number } | { kind: 'part'; pools: number[]; part: number; tp: 2 | 4 | 8; mhz: number; budget: number; nMax: number };

function runTask(t: Task): GridPoint[] {
  if (t.kind === 'window') return windowCandidates(workload, t.k, t.budget, { clocksMHz: profile.clocksMHz, maxServers: t.maxServers, rateScale: scale, seed }, t.guess);
  const part = subWorkload(workload, t.pools);
  const tok = part.requests.reduce((a, r) => a + r.inputTokens, 0) / Math.max(1, workload.durationS);
  const perServer = baseParams.timing.prefillTokensPerS * (t.mhz / profile.maxClockMHz);
  let n = Math.max(1, Math.ceil(tok / perServer / 0.6));
  const seen = new Map<number, GridPoint>();
  const ev = (k: number) => {
    if (!seen.has(k)) seen.set(k, evaluatePart(part, t.part, { tp: t.tp, servers: k, mhz: t.mhz }, { rateScale: scale, seed }));
    return seen.get(k)!;
  };
  let p = ev(n);
  while (p.misses <= t.budget && n > 1) p = ev(--n);
  n = Math.max(...seen.keys());
  p = ev(n);
  while (p.misses > 0.002 * part.requests.length && n < t.nMax) p = ev(++n);
  return [...seen.values()];
}

/** Runs tasks in WORKERS forked copies of this script; results in task order. */
function inWorkers(tasks: Task[]): Promise<GridPoint[][]> {
  const out: GridPoint[][] = new Array(tasks.length);
  let next = 0;
  return new Promise((resolveAll, reject) => {
    let live = 0;
    const spawnOne = () => {
      const child = fork(__filename, [...process.argv.slice(2), '--worker'], { execArgv: process.execArgv });
      live++;
      let mine = -1;
      const feed = () => {
        if (next >= tasks.length) return child.send({ stop: true });
        mine = next++;
        child.send({ task: tasks[mine] });
      };
      child.on('message', (m: { points: GridPoint[] } | { ready: true }) => {
        if ('points' in m) out[mine] = m.points;
        feed();
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code !== 0) reject(new Error(`worker exited with ${code}`));
        else if (--live === 0) resolveAll(out);
      });
    };
    for (let k = 0; k < Math.min(WORKERS, tasks.length); k++) spawnOne();
  });
}

if (flag('worker')) {
  process.on('message', (m: { task?: Task; stop?: boolean }) => {
    if (m.stop) process.exit(0);
    if (m.task) process.send!({ points: runTask(m.task) });
  });
  process.send!({ ready: true });
}

interface RunResult {
  energyKWh: number;
  coolingKWh: number;
  sloAttainmentPct: number;
  p50TtftMs: number;
  p99TtftMs: number;
  p50TbtMs: number;
  p99TbtMs: number;
  meanActiveServers: number;
  /** Share of serving instance-time per set clock (MHz → %). */
  clockSharePct: Record<string, number>;
  clockChanges?: number;
  scaleCommands?: number;
  servers?: number;
  wallS: number;
}

interface Recorded {
  result: RunResult;
  t: number[];
  itKW: number[];
  powered: number[];
  ttftMs: Float32Array;
}

function paramsFor(installed: number, active: number): TwinParams {
  return twinParams({ cluster: { servers: installed, initialActiveServers: active }, workload: { rateScale: scale } });
}

function finish(twin: Facility, t0: number, extra: Partial<RunResult> = {}): RunResult {
  const s = twin.summary();
  const total = Object.values(s.frequencySeconds).reduce((a, b) => a + b, 0) || 1;
  const share: Record<string, number> = {};
  for (const [k, v] of Object.entries(s.frequencySeconds)) share[k] = round((100 * v) / total, 2);
  return {
    energyKWh: round(s.energy.itKWh, 3),
    coolingKWh: round(s.energy.coolingKWh, 3),
    sloAttainmentPct: round(s.requests.sloAttainmentPct, 3),
    p50TtftMs: round(s.ttftS.p50 * 1000, 1),
    p99TtftMs: round(s.ttftS.p99 * 1000, 1),
    p50TbtMs: round(s.tbtS.p50 * 1000, 2),
    p99TbtMs: round(s.tbtS.p99 * 1000, 2),
    meanActiveServers: round(s.meanActiveServers, 2),
    clockSharePct: share,
    ...extra,
    wallS: round((Date.now() - t0) / 1000, 2),
  };
}

/** A run with some of the controllers (none = the static baseline at `servers`). */
function run(servers: number, installed: number, loop: Omit<LoopOptions, 'profile' | 'slo'> | null, record = false): Recorded {
  const t0 = Date.now();
  const twin = new Facility(paramsFor(installed, servers), workload, seed);
  const ttft: number[] = [];
  if (record) twin.onCompletion((c) => ttft.push(c.ttftS * 1000));
  const rec = { t: [] as number[], itKW: [] as number[], powered: [] as number[] };
  let result: RunResult;
  if (loop) {
    const l = new TwinControlLoop(twin, { ...loop, profile, slo }, 10);
    l.run(durationS);
    result = finish(twin, t0, { clockChanges: l.trace.clockChanges, scaleCommands: l.trace.scaleCommands });
    Object.assign(rec, { t: l.trace.t, itKW: l.trace.itKW, powered: l.trace.powered });
  } else {
    if (record) sampleEvery(twin, 10, rec);
    twin.advance(durationS);
    result = finish(twin, t0, { servers });
  }
  return { result, ...rec, ttftMs: Float32Array.from(ttft) };
}

function sampleEvery(twin: Facility, everyS: number, rec: { t: number[]; itKW: number[]; powered: number[] }): void {
  let acc = 0;
  let n = 0;
  twin.onInterval((s) => {
    acc += s.itKW;
    n++;
    if (Math.round(s.t) % everyS === 0) {
      rec.t.push(s.t);
      rec.itKW.push(acc / n);
      rec.powered.push(s.poweredServers);
      acc = 0;
      n = 0;
    }
  });
}

/** Smallest static TP8 / 1980 MHz server count with ≥ 99 % attainment: gallop from a capacity guess. */
function baselineSearch(): { servers: number; tried: Array<{ servers: number; sloAttainmentPct: number; energyKWh: number }> } {
  const tokens = workload.requests.reduce((s, r) => s + r.inputTokens, 0) / Math.max(1, workload.durationS);
  let n = Math.max(1, Math.ceil(tokens / (profile.prefillTokensPerS[8] * 0.3)));
  const tried: Array<{ servers: number; sloAttainmentPct: number; energyKWh: number }> = [];
  const ok = new Map<number, boolean>();
  const test = (k: number) => {
    if (!ok.has(k)) {
      const r = run(k, k, null).result;
      tried.push({ servers: k, sloAttainmentPct: r.sloAttainmentPct, energyKWh: r.energyKWh });
      ok.set(k, r.sloAttainmentPct >= SLO_TARGET);
    }
    return ok.get(k)!;
  };
  if (test(n)) {
    while (n > 1 && test(n - 1)) n--;
  } else {
    while (!test(n + 1)) {
      n++;
      if (n > 200) throw new Error('no static cluster up to 200 servers meets the SLO');
    }
    n++;
  }
  return { servers: n, tried };
}

/**
 * The oracle: per window one server count and one clock, the run's miss budget spent where it
 * saves the most (see core/energy/oracle.ts), then the schedule replayed on the whole trace. The
 * budget is tightened once if the replay (with its boot-ahead and carried-over queues) misses more.
 */
async function oracle(baselineServers: number, installed: number): Promise<{ schedule: ScheduleEntry[]; recorded: Recorded; searchRuns: number; plannedKWh: number }> {
  const windows = Math.ceil(durationS / WINDOW_S);
  const total = workload.requests.length;
  const maxServers = Math.max(installed, 2 * baselineServers);
  const tasks: Task[] = [];
  for (let k = 0; k < windows; k++) {
    const tok = workload.requests.filter((r) => r.arrivalS >= k * WINDOW_S && r.arrivalS < (k + 1) * WINDOW_S).reduce((a, r) => a + r.inputTokens, 0) / WINDOW_S;
    tasks.push({ kind: 'window', k, budget: Math.floor((MISS_BUDGET_PCT / 100) * total), guess: Math.max(1, Math.floor(tok / profile.prefillTokensPerS[8] / 0.45)), maxServers });
  }
  const points = (await inWorkers(tasks)).flat() as WindowPoint[];
  let budgetPct = MISS_BUDGET_PCT;
  let best: { schedule: ScheduleEntry[]; recorded: Recorded; plannedKWh: number } | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const plan = planSchedule(points, windows, Math.floor((budgetPct / 100) * total), WINDOW_S);
    if (!plan) break;
    const t0 = Date.now();
    const rec = { t: [] as number[], itKW: [] as number[], powered: [] as number[] };
    const ttft: number[] = [];
    const twin = replaySchedule(workload, plan.schedule, paramsFor, Math.max(installed, ...plan.schedule.map((e) => e.servers)), seed, WINDOW_S, (tw, t) => {
      if (t === 1) {
        sampleEvery(tw, 10, rec);
        tw.onCompletion((c) => ttft.push(c.ttftS * 1000));
      }
    });
    best = { schedule: plan.schedule, plannedKWh: plan.energyKWh, recorded: { result: finish(twin, t0), ...rec, ttftMs: Float32Array.from(ttft) } };
    if (best.recorded.result.sloAttainmentPct >= SLO_TARGET) break;
    budgetPct *= 0.8;
  }
  if (!best) throw new Error('oracle: no schedule fits the miss budget');
  return { ...best, searchRuns: points.length };
}

/** Static instance groups per pool set (perfect knowledge), combined under the run's miss budget. */
async function feasibility(): Promise<unknown> {
  const partitions: number[][][] = JSON.parse(
    arg('partitions', '[[[0,1,2,3,4,5,6,7,8]],[[0,1,2,3,4,5],[6,7,8]],[[0,3,6],[1,2,4,5,7,8]]]')!,
  );
  const tps: Array<2 | 4 | 8> = JSON.parse(arg('tps', '[8,4]')!);
  const clocks: number[] = JSON.parse(arg('clocks', '[1980,1600,1400]')!);
  const budget = Math.floor((MISS_BUDGET_PCT / 100) * workload.requests.length);
  const tasks: Task[] = [];
  const owner: number[] = [];
  partitions.forEach((P, pi) =>
    P.forEach((pools, part) => {
      for (const tp of tps) for (const mhz of clocks) {
        tasks.push({ kind: 'part', pools, part, tp, mhz, budget, nMax: 24 });
        owner.push(pi);
      }
    }),
  );
  const res = await inWorkers(tasks);
  return partitions.map((P, pi) => {
    const pts = res.filter((_, i) => owner[i] === pi).flat();
    const c = combine(pts, P.length, budget);
    return {
      partition: P,
      energyKWh: c ? round(c.energyKWh, 2) : null,
      misses: c?.misses ?? null,
      budget,
      groups: c?.points.map((x) => ({ pools: P[x.part], tp: x.tp, mhz: x.mhz, servers: x.servers, misses: x.misses, kWh: round(x.energyKWh, 2) })) ?? null,
      runs: pts.length,
    };
  });
}

function round(x: number, d: number): number {
  if (!Number.isFinite(x)) return x;
  const m = Math.pow(10, d);
  return Math.round(x * m) / m;
}

// ---- the runs ------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (flag('feasibility')) {
    const baseN = Number(arg('baseline-servers', '0')) || baselineSearch().servers;
    const baseKWh = run(baseN, baseN, null).result.energyKWh;
    const parts = (await feasibility()) as Array<{ energyKWh: number | null }>;
    console.log(JSON.stringify({ bench: 'energy-feasibility', trace: tracePath, rateScale: scale, seed, baselineKWh: baseKWh, partitions: parts.map((p) => ({ ...p, savingPct: p.energyKWh === null ? null : round((100 * (baseKWh - p.energyKWh)) / baseKWh, 2) })), wallClockS: round((Date.now() - started) / 1000, 1) }));
    return;
  }

  const search = baselineSearch();
  const N = search.servers;
  const installed = Math.max(N + 4, Math.ceil(N * 1.5));
  const baseline = run(N, N, null, true);
  let scalerOverrides: Record<string, unknown> = {};
  try {
    scalerOverrides = JSON.parse(arg('managed-scaler', '{}')!);
  } catch (err) {
    console.error(`--managed-scaler must be a JSON object of Cluster Scaler options: ${(err as Error).message}`);
    process.exit(2);
  }
  const managedCfg = {
    batcher: { grouping: false },
    dvfs: {},
    scaler: { maxServers: installed, minServers: 1, ...scalerOverrides },
  };
  const managed = run(N, installed, managedCfg, true);
  const ablations = {
    scalerOnly: run(N, installed, { batcher: false, scaler: managedCfg.scaler }).result,
    dvfsOnly: run(N, N, { batcher: false, dvfs: {} }).result,
    batcherOnly: run(N, N, { batcher: { grouping: true } }).result,
  };
  const orc = withOracle ? await oracle(N, installed) : null;

  const saving = (e: number) => round((100 * (baseline.result.energyKWh - e)) / baseline.result.energyKWh, 2);
  const result = {
    bench: 'energy',
    trace: tracePath,
    rateScale: scale,
    seed,
    requests: workload.requests.length,
    durationS,
    baseline: { ...baseline.result, servers: N, search: search.tried },
    managed: managed.result,
    savingPct: saving(managed.result.energyKWh),
    ablations: Object.fromEntries(Object.entries(ablations).map(([k, v]) => [k, { ...v, savingPct: saving(v.energyKWh) }])),
    oracle: orc
      ? {
          ...orc.recorded.result,
          savingPct: saving(orc.recorded.result.energyKWh),
          windowS: WINDOW_S,
          schedule: orc.schedule,
          plannedKWh: round(orc.plannedKWh, 3),
          searchRuns: orc.searchRuns,
          managedShareOfOracleSavingPct: round((100 * saving(managed.result.energyKWh)) / Math.max(1e-9, saving(orc.recorded.result.energyKWh)), 1),
        }
      : undefined,
    plots: undefined as string[] | undefined,
    wallClockS: 0,
    params: { twin: baseParams, slo, installedServers: installed, managed: managedCfg, sloTargetPct: SLO_TARGET },
  };

  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    const runs: Array<[string, Recorded]> = [['baseline', baseline], ['managed', managed]];
    if (orc) runs.push(['oracle', orc.recorded]);
    const files: Record<string, string> = {
      'energy-power.svg': lineChart(runs.map(([n, r]) => ({ name: `${n} (${r.result.energyKWh.toFixed(1)} kWh)`, x: r.t.map((t) => t / 60), y: r.itKW })), {
        title: 'Cluster IT power',
        xLabel: 'time (min)',
        yLabel: 'kW (10 s mean)',
      }),
      'energy-servers.svg': lineChart(runs.map(([n, r]) => ({ name: n, x: r.t.map((t) => t / 60), y: r.powered })), {
        title: 'Powered servers',
        xLabel: 'time (min)',
        yLabel: 'servers',
        step: true,
      }),
      'energy-clocks.svg': barChart(
        profile.clocksMHz.map(String),
        runs.map(([n, r]) => ({ name: n, values: profile.clocksMHz.map((c) => r.result.clockSharePct[String(c)] ?? 0) })),
        { title: 'SM clock: share of serving instance-time', xLabel: 'MHz', yLabel: '%' },
      ),
      'energy-latency-cdf.svg': lineChart(
        runs.map(([n, r]) => ({ name: n, ...cdf(r.ttftMs) })),
        { title: 'TTFT distribution', xLabel: 'TTFT (ms)', yLabel: 'share of requests ≤ x', yMin: 0, yMax: 1, xMax: 1500 },
      ),
    };
    for (const [name, svg] of Object.entries(files)) writeFileSync(join(outDir, name), svg);
    result.plots = Object.keys(files).map((f) => join(outDir, f));
  }
  result.wallClockS = round((Date.now() - started) / 1000, 1);

  if (flag('json')) console.log(JSON.stringify(result));
  else console.log(JSON.stringify(result, null, 2));
}

if (!flag('worker')) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
