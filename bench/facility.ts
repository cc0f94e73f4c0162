// bench:facility: the whole story on one twin and workload, IT and cooling together.
//   baseline   SinglePool (TP8 at 1980 MHz, the smallest static server count with ≥ 99 % SLO
//              attainment) and the fixed cooling plants run today (30 °C supply, flow PI on 10 K);
//   suite      the energy nodes' cores (Queue Batcher, GPU DVFS, Cluster Scaler; core/energy) and
//              proactive cooling (Thermal Predictor + Coolant Valve; core/cooling).
// Prints one JSON object.
//
//   npm run bench:facility -- [--trace FILE] [--rate-scale N] [--servers N] [--seed N] [--json]

import { existsSync } from 'node:fs';
import { DEFAULT_PREDICTOR } from '../core/cooling/predictor';
import { DEFAULT_VALVE } from '../core/cooling/valve';
import { Facility } from '../core/twin/facility';
import { twinParams } from '../core/twin/params';
import { loadAzureTrace, rateScale, sineRate } from '../core/twin/workload';
import { BASELINE_TUNING, energyPlan, recordHistory, runCooling, type RunResult } from './cooling-run';
import { arg, DEFAULT_TRACE } from './cli';


const trace = arg('trace', DEFAULT_TRACE);
const scale = Number(arg('rate-scale', '10'));
const installed = Number(arg('servers', '16'));
const seed = Number(arg('seed', '1'));
const asJson = process.argv.includes('--json');
if (!existsSync(trace)) {
  console.error(`trace not found: ${trace} (pass --trace FILE)`);
  process.exit(2);
}

const t0 = Date.now();
const workload = rateScale(loadAzureTrace(trace), scale, seed, twinParams().workload.jitterS);

// SinglePool: the smallest static count that keeps ≥ 99 % of requests inside the SLO.
let singlePool = installed;
for (let n = 1; n <= installed; n++) {
  const p = twinParams({ cluster: { servers: installed, initialActiveServers: n } });
  const twin = new Facility(p, workload, seed);
  twin.advance(Math.ceil(workload.durationS));
  if (twin.summary().requests.sloAttainmentPct >= 99) {
    singlePool = n;
    break;
  }
}

const staticParams = twinParams({ cluster: { servers: installed, initialActiveServers: singlePool } });
const suiteParams = twinParams({ cluster: { servers: installed, initialActiveServers: Math.ceil(installed / 2) } });
const periodS = 10;
const common = {
  periodS,
  tuning: BASELINE_TUNING,
  predictor: DEFAULT_PREDICTOR,
  valve: { ...DEFAULT_VALVE, safe: { flowLpm: 150, supplyC: BASELINE_TUNING.fixedSupplyC } },
  liquidShare: suiteParams.thermal.liquidShare,
  plotEveryS: 60,
};
const baseline = runCooling(staticParams, workload, seed, { ...common, controller: 'fixed', plan: null });
const plan = () => energyPlan(suiteParams, installed, false);
const history = recordHistory(suiteParams, sineRate(45, 20, 1800, { durationS: 3600, seed: seed + 1000 }), seed + 1000, plan(), periodS);
const suite = runCooling(suiteParams, workload, seed, {
  ...common,
  controller: 'proactive',
  plan: plan(),
  history,
  sidePredictors: [{ ...DEFAULT_PREDICTOR, horizonS: 120, control: true }],
});

const row = (r: RunResult) => ({
  itKWh: r.summary.energy.itKWh,
  coolingKWh: r.coolingKWh,
  totalKWh: r.summary.energy.itKWh + r.coolingKWh,
  sloAttainmentPct: r.summary.requests.sloAttainmentPct,
  ttftP99S: r.summary.ttftS.p99,
  meanActiveServers: r.summary.meanActiveServers,
  secondsAbove83C: r.secondsAbove83C,
  throttleEvents: r.throttleEvents,
  peakGpuC: r.peakGpuC,
  meanSupplyC: r.meanSupplyC,
});
const b = row(baseline);
const s = row(suite);
const pct = (a: number, base: number) => (100 * (base - a)) / base;
const result = {
  bench: 'facility',
  trace,
  workload: workload.name,
  requests: workload.requests.length,
  rateScale: scale,
  seed,
  baseline: { fleet: `SinglePool: ${singlePool} TP8 servers at 1980 MHz`, cooling: 'fixed: 30 °C supply, flow PI on a 10 K rise', ...b },
  suite: { fleet: plan().name, cooling: 'proactive: Thermal Predictor + Coolant Valve', ...s },
  savingPct: { it: pct(s.itKWh, b.itKWh), cooling: pct(s.coolingKWh, b.coolingKWh), total: pct(s.totalKWh, b.totalKWh) },
  pue: { baseline: b.totalKWh / b.itKWh, suite: s.totalKWh / s.itKWh },
  wallClockS: (Date.now() - t0) / 1000,
};
console.log(asJson ? JSON.stringify(result) : JSON.stringify(result, null, 2));
