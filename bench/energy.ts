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
//   oracle    (--oracle) one server count and one clock per 5-minute window, each chosen by
//             simulating that window with perfect knowledge of its requests (least energy with
//             ≥ 99 % SLO), servers booted a start-up time ahead.
// Energy is IT energy (GPUs + hosts) from the twin's meters; cooling is reported beside it.

import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeBurstyTrace } from '../core/energy/bursty-trace';
import { profileFromTwinLaws } from '../core/energy/profile';
import type { SloSpec } from '../core/energy/slo';
import { TwinControlLoop, type LoopOptions } from '../core/energy/twin-loop';
import { Facility } from '../core/twin/facility';
import { tbtSloSeconds } from '../core/twin/laws';
import { twinParams, type TwinParams } from '../core/twin/params';
import { loadAzureTrace, rateScale, type Workload } from '../core/twin/workload';
import { barChart, cdf, lineChart } from './plots/svg';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const made = arg('make-bursty-trace');
if (made) {
  const w = writeBurstyTrace(made, { seed: Number(arg('seed', '7')) });
  console.log(JSON.stringify({ wrote: made, requests: w.requests.length, durationS: w.durationS }));
  process.exit(0);
}

const DEFAULT_TRACE = resolve(__dirname, '../../shared/data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv');
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

/** One server count and one clock per window, chosen by simulating each window on its own. */
function oracle(baselineServers: number, installed: number): { schedule: Array<{ startS: number; servers: number; mhz: number }>; recorded: Recorded; searchRuns: number } {
  const warm = 60;
  const tail = 60;
  const clocks = [...profile.clocksMHz].sort((a, b) => b - a);
  const schedule: Array<{ startS: number; servers: number; mhz: number }> = [];
  let searchRuns = 0;
  for (let a = 0; a < durationS; a += WINDOW_S) {
    const b = Math.min(durationS, a + WINDOW_S);
    const from = Math.max(0, a - warm);
    const slice: Workload = {
      name: `window@${a}`,
      startEpochMs: workload.startEpochMs,
      durationS: b - from,
      requests: workload.requests.filter((r) => r.arrivalS >= from && r.arrivalS < b).map((r, id) => ({ ...r, id, arrivalS: r.arrivalS - from })),
    };
    const evalWindow = (n: number, mhz: number): { ok: boolean; kWh: number } => {
      searchRuns++;
      const twin = new Facility(paramsFor(n, n), slice, seed);
      for (const i of twin.instances()) twin.setFrequency(i.id, mhz);
      let met = 0;
      let counted = 0;
      twin.onCompletion((c) => {
        if (c.arrivalS + from < a) return;
        counted++;
        if (c.sloMet) met++;
      });
      let j = 0;
      twin.onInterval((s) => {
        if (s.t > a - from && s.t <= b - from) j += s.itKW;
      });
      twin.advance(b - from + tail);
      const inWindow = slice.requests.filter((r) => r.arrivalS + from >= a).length;
      const unfinished = inWindow - counted;
      const pct = inWindow > 0 ? (100 * met) / inWindow : 100;
      void unfinished;
      return { ok: pct >= SLO_TARGET, kWh: j / 3600 };
    };
    let best = { servers: baselineServers, mhz: profile.maxClockMHz, kWh: Infinity };
    let floor = 1;
    for (const mhz of clocks) {
      // Fewest servers at this clock (lower clocks never need fewer than higher ones).
      let n = floor;
      let r = evalWindow(n, mhz);
      while (!r.ok && n < installed) r = evalWindow(++n, mhz);
      if (!r.ok) break;
      floor = n;
      if (r.kWh < best.kWh) best = { servers: n, mhz, kWh: r.kWh };
      else if (r.kWh > best.kWh * 1.05) break;
    }
    schedule.push({ startS: a, servers: best.servers, mhz: best.mhz });
  }
  // The full run under that schedule: boot a start-up time ahead, drain at the window start.
  const t0 = Date.now();
  const first = schedule[0];
  const twin = new Facility(paramsFor(installed, first.servers), workload, seed);
  const rec = { t: [] as number[], itKW: [] as number[], powered: [] as number[] };
  sampleEvery(twin, 10, rec);
  const ttft: number[] = [];
  twin.onCompletion((c) => ttft.push(c.ttftS * 1000));
  const boot = baseParams.cluster.bootS;
  for (let t = 1; t <= durationS; t++) {
    twin.advance(t);
    const k = Math.floor(t / WINDOW_S);
    const now = schedule[Math.min(k, schedule.length - 1)];
    const next = schedule[Math.min(Math.floor((t + boot) / WINDOW_S), schedule.length - 1)];
    const powered = twin.servers().filter((s) => s.state !== 'off' && s.state !== 'draining').length;
    const want = Math.max(now.servers, next.servers);
    if (want !== powered) twin.setServerCount(want);
    for (const i of twin.instances()) if (i.freqMHz !== now.mhz) twin.setFrequency(i.id, now.mhz);
  }
  return { schedule, recorded: { result: finish(twin, t0), ...rec, ttftMs: Float32Array.from(ttft) }, searchRuns };
}

function round(x: number, d: number): number {
  if (!Number.isFinite(x)) return x;
  const m = Math.pow(10, d);
  return Math.round(x * m) / m;
}

// ---- the runs ------------------------------------------------------------------------------

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
const orc = withOracle ? oracle(N, installed) : null;

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
