// An hour of an Azure LLM trace on the facility twin in virtual time: how fast the twin runs
// and what the static baseline cluster does. Prints one JSON object.
//
//   npx tsx bench/twin-hour.ts [--trace FILE] [--rate-scale N] [--servers N] [--seed N] [--tp 2|4|8]
//                              [--no-calibration] [--json]
// Also runs the two calibration anchors of twin.md §1 (see core/twin/calibration.ts).

import { existsSync } from 'node:fs';
import { ANCHORS, runAnchor } from '../core/twin/calibration';
import { Facility } from '../core/twin/facility';
import { twinParams, type TensorParallel } from '../core/twin/params';
import { loadAzureTrace, rateScale } from '../core/twin/workload';
import { arg, DEFAULT_TRACE } from './cli';


const trace = arg('trace', DEFAULT_TRACE);
const scale = Number(arg('rate-scale', '10'));
const servers = Number(arg('servers', '12'));
const seed = Number(arg('seed', '1'));
const tp = Number(arg('tp', '8')) as TensorParallel;
const asJson = process.argv.includes('--json');

if (!existsSync(trace)) {
  console.error(`trace not found: ${trace} (pass --trace FILE)`);
  process.exit(2);
}

const params = twinParams({
  cluster: { servers, initialActiveServers: servers, initialTensorParallel: tp },
  workload: { rateScale: scale },
});

const t0 = process.hrtime.bigint();
const base = loadAzureTrace(trace);
const workload = rateScale(base, scale, seed, params.workload.jitterS);
const t1 = process.hrtime.bigint();
const twin = new Facility(params, workload, seed);
let peakItKW = 0;
let peakCoolingKW = 0;
twin.onInterval((s) => {
  peakItKW = Math.max(peakItKW, s.itKW);
  peakCoolingKW = Math.max(peakCoolingKW, s.coolingKW);
});
twin.advance(Math.ceil(workload.durationS));
const t2 = process.hrtime.bigint();
const summary = twin.summary();
const calibration = process.argv.includes('--no-calibration') ? undefined : ANCHORS.map((a) => runAnchor(a));

const result = {
  bench: 'twin-hour',
  trace,
  rateScale: scale,
  servers,
  tensorParallel: tp,
  seed,
  wallClockS: { load: Number(t1 - t0) / 1e9, simulate: Number(t2 - t1) / 1e9, total: Number(t2 - t0) / 1e9 },
  simulatedPerWallClock: summary.simulatedS / (Number(t2 - t1) / 1e9),
  requests: summary.requests.arrived,
  sloAttainmentPct: summary.requests.sloAttainmentPct,
  itKWh: summary.energy.itKWh,
  coolingKWh: summary.energy.coolingKWh,
  peakGpuC: summary.peakGpuC,
  peakItKW,
  peakCoolingKW,
  summary,
  calibration,
  params,
};

if (asJson) console.log(JSON.stringify(result));
else console.log(JSON.stringify(result, null, 2));
