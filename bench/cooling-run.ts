// One run of the facility twin under one cooling controller, in virtual time: the shared
// engine of bench:cooling and bench:facility. Every controller sees the same workload, the same
// fleet plan and only what a real plant shows: telemetry readings and BMS points; it acts only
// through BMS writes (setpoints and the heartbeat), every `periodS` seconds.

import { Pid } from '../core/cooling/pid';
import { ThermalPredictor, type Forecast, type PredictorOptions } from '../core/cooling/predictor';
import { CoolantValve, type ValveConfig } from '../core/cooling/valve';
import type { Reading } from '../core/telemetry/catalogue';
import { Facility, type FacilitySummary } from '../core/twin/facility';
import type { TwinParams } from '../core/twin/params';
import type { Workload } from '../core/twin/workload';
import { profileFromTwinLaws } from '../core/energy/profile';
import { TwinControlLoop, type LoopOptions } from '../core/energy/twin-loop';

export type ControllerName = 'fixed' | 'reactive' | 'proactive';

/** The baselines' tuning (see docs/cooling.md for how it was chosen). */
export interface BaselineTuning {
  fixedSupplyC: number;
  /** Flow PI on the CDU's return − supply rise. */
  flowRiseTargetK: number;
  flowKp: number;
  flowKi: number;
  /** Supply PI on the hottest GPU (reactive only). */
  gpuTargetC: number;
  supplyKp: number;
  supplyKi: number;
  /** Low-pass on the hottest GPU the supply PI sees (s). */
  gpuFilterS: number;
}

export const BASELINE_TUNING: BaselineTuning = {
  fixedSupplyC: 30,
  flowRiseTargetK: 10,
  flowKp: 2,
  flowKi: 0.04,
  gpuTargetC: 80,
  supplyKp: 0.8,
  supplyKi: 0.8 / 60,
  gpuFilterS: 20,
};

/** The fleet plan every run shares: who decides the server count (and clocks) beside the cooling. */
export interface FleetPlan {
  /** Called every period with the twin; sets the server count. */
  step(twin: Facility, tS: number, readings: Reading[]): void;
  name: string;
  /** A plan that runs its own loop advances the twin itself (e.g. the energy controllers, every second). */
  attach?(twin: Facility): { run(untilS: number): void };
}

export interface RunOptions {
  controller: ControllerName;
  periodS: number;
  tuning: BaselineTuning;
  predictor: Partial<PredictorOptions>;
  valve: Partial<ValveConfig>;
  plan: FleetPlan | null;
  /** Share of server heat that reaches the liquid loop, as the plant engineer knows it (0–1). */
  liquidShare: number;
  /** Samples kept for the plots, every this many seconds. */
  plotEveryS: number;
  /** Telemetry history the predictor starts from (what a site has in InfluxDB), oldest first. */
  history?: HistorySample[];
  /** Extra predictors run beside the proactive one, scored; those marked `control` also feed the valve. */
  sidePredictors?: Array<Partial<PredictorOptions> & { control?: boolean }>;
}

export interface HistorySample {
  tS: number;
  readings: Reading[];
}

export interface SeriesPoint {
  t: number;
  gpuMaxC: number;
  supplyC: number;
  supplySetpointC: number;
  flowLpm: number;
  flowSetpointLpm: number;
  returnC: number;
  coolingKW: number;
  itKW: number;
  servers: number;
  forecastC: number | null;
  forecastHighC: number | null;
}

export interface RunResult {
  controller: ControllerName;
  summary: FacilitySummary;
  coolingKWh: number;
  secondsAbove83C: number;
  throttleEvents: number;
  peakGpuC: number;
  meanSupplyC: number;
  meanFlowLpm: number;
  series: SeriesPoint[];
  /** Forecasts scored against what happened `horizonS` later (proactive only). */
  forecasts: { scored: number; maeC: number | null; persistenceMaeC: number | null } | null;
  sideForecasts: Array<{ target: string; horizonS: number; scored: number; maeC: number | null; persistenceMaeC: number | null }>;
  valveReasons: Record<string, number>;
}

export function runCooling(params: TwinParams, workload: Workload, seed: number, o: RunOptions): RunResult {
  const twin = new Facility(params, workload, seed);
  const driver = o.plan?.attach?.(twin) ?? { run: (u: number) => twin.advance(u) };
  const c = params.cooling;
  const tune = o.tuning;
  const flowPid = new Pid({ kp: tune.flowKp, ki: tune.flowKi, kd: 0, outMin: c.flowMinLpm, outMax: c.flowMaxLpm, direction: 1 }, (tune as { flowStartLpm?: number }).flowStartLpm ?? 150);
  const supplyPid = new Pid({ kp: tune.supplyKp, ki: tune.supplyKi, kd: 0, outMin: c.supplyMinC, outMax: c.supplyMaxC, direction: -1 }, tune.fixedSupplyC);
  const predictor = o.controller === 'proactive' ? new ThermalPredictor(o.predictor) : null;
  // History is timestamped before the run starts, as last week's data would be.
  const shift = o.history && o.history.length > 0 ? o.history[o.history.length - 1].tS + o.periodS : 0;
  const warm = (p: ThermalPredictor) => p.warmStart((o.history ?? []).map((h) => ({ tS: h.tS - shift, readings: h.readings })));
  if (predictor) warm(predictor);
  const sides = o.controller === 'proactive' ? (o.sidePredictors ?? []).map((opts) => {
    const p = new ThermalPredictor(opts);
    warm(p);
    return { p, control: opts.control === true, last: null as Forecast | null, issued: [] as Array<{ t: number; predicted: number; current: number }>, err: [] as number[], pers: [] as number[] };
  }) : [];
  const valve = o.controller === 'proactive' ? new CoolantValve(o.valve) : null;
  const series: SeriesPoint[] = [];
  const reasons: Record<string, number> = {};
  const issued: Array<{ t: number; predicted: number; current: number }> = [];
  const scoredErr: number[] = [];
  const scoredPers: number[] = [];
  let gpuFiltered = Number.NaN;
  let heartbeat = 0;
  let flowSp = c.localFlowLpm;
  let supplySp = c.localSupplyC;
  let lastForecast: Forecast | null = null;
  let supplySum = 0;
  let flowSum = 0;
  let steps = 0;
  let last = { itKW: 0, coolingKW: 0, servers: 0, maxGpuC: Number.NaN };
  twin.onInterval((s) => {
    last = { itKW: s.itKW, coolingKW: s.coolingKW, servers: s.poweredServers, maxGpuC: s.maxGpuC };
    supplySum += s.supplyC;
    flowSum += s.flowLpm;
    steps++;
    if (Number.isFinite(gpuFiltered)) gpuFiltered += (s.maxGpuC - gpuFiltered) * (1 - Math.exp(-1 / tune.gpuFilterS));
    else gpuFiltered = s.maxGpuC;
  });
  const end = Math.ceil(workload.durationS);
  for (let t = 0; t < end; t += o.periodS) {
    const readings = twin.telemetry({ perGpu: false });
    const bms = twin.bmsRead();
    o.plan?.step(twin, t, readings);
    const supplyNow = bms['CDU1.SupplyTemperature'] as number;
    const returnNow = bms['CDU1.ReturnTemperature'] as number;
    const flowNow = bms['CDU1.Flow'] as number;
    const gpuNow = bms ? maxOf(readings, 'gpu.temperature') : Number.NaN;
    if (o.controller === 'fixed' || o.controller === 'reactive') {
      flowSp = flowPid.update(tune.flowRiseTargetK, returnNow - supplyNow, t === 0 ? o.periodS : o.periodS);
      supplySp = o.controller === 'fixed' ? tune.fixedSupplyC : supplyPid.update(tune.gpuTargetC, gpuFiltered, o.periodS);
    } else if (predictor && valve) {
      const f = predictor.observe(readings, t, valve.lastWritten?.supplyC);
      lastForecast = f;
      // Score every forecast against the hottest GPU horizonS later, with persistence beside it.
      while (issued.length > 0 && issued[0].t + f.horizonS <= t) {
        const i = issued.shift() as { t: number; predicted: number; current: number };
        scoredErr.push(Math.abs(i.predicted - gpuNow));
        scoredPers.push(Math.abs(i.current - gpuNow));
      }
      if (f.ready && f.predicted !== null) issued.push({ t, predicted: f.predicted, current: f.current });
      for (const side of sides) {
        const sf = side.p.observe(readings, t, valve.lastWritten?.supplyC);
        side.last = sf;
        while (side.issued.length > 0 && side.issued[0].t + sf.horizonS <= t) {
          const i = side.issued.shift() as { t: number; predicted: number; current: number };
          side.err.push(Math.abs(i.predicted - sf.current));
          side.pers.push(Math.abs(i.current - sf.current));
        }
        if (sf.ready && sf.predicted !== null) side.issued.push({ t, predicted: sf.predicted, current: sf.current });
      }
      const itKW = sumUntagged(readings, 'server.power');
      // The valve guards against the worst of the forecasts it is wired to (highest upper bound).
      let control: Forecast = f;
      for (const side of sides) {
        const sf = side.last;
        if (side.control && sf?.ready && sf.interval && (!control.ready || !control.interval || sf.interval.high > control.interval.high)) control = sf;
      }
      const out = valve.step({ tS: t, forecast: control, heatKW: itKW * o.liquidShare, flowLpm: flowNow, supplyC: supplyNow }, 'auto');
      reasons[out.reason] = (reasons[out.reason] ?? 0) + 1;
      flowSp = out.flowLpm;
      supplySp = out.supplyTempC;
    }
    twin.bmsWrite('CDU1.FlowSetpoint', round2(flowSp));
    twin.bmsWrite('CDU1.SupplyTemperatureSetpoint', round2(supplySp));
    twin.bmsWrite('CDU1.Heartbeat', ++heartbeat);
    if (t % o.plotEveryS === 0) {
      series.push({
        t,
        gpuMaxC: last.maxGpuC,
        supplyC: supplyNow,
        supplySetpointC: supplySp,
        flowLpm: flowNow,
        flowSetpointLpm: flowSp,
        returnC: returnNow,
        coolingKW: last.coolingKW,
        itKW: last.itKW,
        servers: last.servers,
        forecastC: lastForecast?.predicted ?? null,
        forecastHighC: lastForecast?.interval?.high ?? null,
      });
    }
    driver.run(Math.min(end, t + o.periodS));
  }
  const summary = twin.summary();
  return {
    controller: o.controller,
    summary,
    coolingKWh: summary.energy.coolingKWh,
    secondsAbove83C: summary.secondsAbove83C,
    throttleEvents: summary.throttleEvents,
    peakGpuC: summary.peakGpuC,
    meanSupplyC: supplySum / Math.max(1, steps),
    meanFlowLpm: flowSum / Math.max(1, steps),
    series,
    forecasts: predictor ? { scored: scoredErr.length, maeC: mean(scoredErr), persistenceMaeC: mean(scoredPers) } : null,
    valveReasons: reasons,
    sideForecasts: sides.map((x) => ({ target: x.p.o.target, horizonS: x.p.o.horizonS, scored: x.err.length, maeC: mean(x.err), persistenceMaeC: mean(x.pers) })),
  };
}

function maxOf(readings: Reading[], metric: string): number {
  let m = -Infinity;
  for (const r of readings) if (r.metric === metric && r.value > m) m = r.value;
  return m;
}

function sumUntagged(readings: Reading[], metric: string): number {
  let s = 0;
  for (const r of readings) if (r.metric === metric) s += r.value;
  return s;
}

function mean(a: number[]): number | null {
  return a.length === 0 ? null : a.reduce((x, y) => x + y, 0) / a.length;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * The fleet plan of the cooling benchmark when no Cluster Scaler is wired: servers for the
 * recent arrival rate with 15 % headroom, up at once (a server takes 180 s to boot), down only
 * after the need has stayed lower for 5 minutes. Its `plan.servers` is the schedule layer's
 * signal of heat that is coming.
 */
export function simpleScaler(perServerReqPerS: number, minServers: number, maxServers: number): FleetPlan {
  let ewma = Number.NaN;
  let target = -1;
  let lowSince = 0;
  let lastT = 0;
  return {
    name: `arrivals/${perServerReqPerS} req/s per server +15 %, up at once, down after 300 s`,
    step(twin, tS, readings) {
      const r = readings.find((x) => x.metric === 'throughput.requests' && x.tags.direction === 'arrived');
      const dt = Math.max(1, tS - lastT);
      lastT = tS;
      if (r) ewma = Number.isFinite(ewma) ? ewma + (r.value - ewma) * (1 - Math.exp(-dt / 60)) : r.value;
      if (target < 0) target = twin.servers().filter((s) => s.state !== 'off').length;
      if (!Number.isFinite(ewma)) return;
      const need = Math.min(maxServers, Math.max(minServers, Math.ceil((ewma * 1.15) / perServerReqPerS)));
      if (need > target) {
        target = need;
        lowSince = tS;
        twin.setServerCount(target);
      } else if (need < target) {
        if (tS - lowSince >= 300) {
          target = need;
          lowSince = tS;
          twin.setServerCount(target);
        }
      } else lowSince = tS;
    },
  };
}

/**
 * Telemetry history as a site would have it in InfluxDB before the proactive controller is
 * switched on: the plant running its fixed practice (30 °C supply, flow PI on a 10 K rise) under
 * another workload. The predictor's warm start reads it; the benchmark's own trace never enters it.
 */
export function recordHistory(params: TwinParams, workload: Workload, seed: number, plan: FleetPlan, periodS: number, tuning = BASELINE_TUNING): HistorySample[] {
  const twin = new Facility(params, workload, seed);
  const driver = plan.attach?.(twin) ?? { run: (u: number) => twin.advance(u) };
  const c = params.cooling;
  const flowPid = new Pid({ kp: tuning.flowKp, ki: tuning.flowKi, kd: 0, outMin: c.flowMinLpm, outMax: c.flowMaxLpm, direction: 1 }, 150);
  const out: HistorySample[] = [];
  let heartbeat = 0;
  for (let t = 0; t < workload.durationS; t += periodS) {
    const readings = twin.telemetry({ perGpu: false });
    plan.step(twin, t, readings);
    out.push({ tS: t, readings });
    const bms = twin.bmsRead();
    const flow = flowPid.update(tuning.flowRiseTargetK, (bms['CDU1.ReturnTemperature'] as number) - (bms['CDU1.SupplyTemperature'] as number), periodS);
    twin.bmsWrite('CDU1.FlowSetpoint', round2(flow));
    twin.bmsWrite('CDU1.SupplyTemperatureSetpoint', tuning.fixedSupplyC);
    twin.bmsWrite('CDU1.Heartbeat', ++heartbeat);
    driver.run(t + periodS);
  }
  return out;
}

/**
 * The fleet plan from the suite's energy controllers (core/energy): the Cluster Scaler alone
 * (`scalerOnly`), or with the Queue Batcher and GPU DVFS. The scaler projects the load over a
 * server's 180 s start-up, so its `plan.servers` moves before the heat does.
 */
export function energyPlan(params: TwinParams, maxServers: number, scalerOnly: boolean): FleetPlan {
  const opts: LoopOptions = {
    profile: profileFromTwinLaws(params),
    scaler: { maxServers, minServers: 1 },
    batcher: scalerOnly ? false : {},
    dvfs: scalerOnly ? false : {},
  };
  return {
    name: scalerOnly ? 'Cluster Scaler (core/energy)' : 'Cluster Scaler + Queue Batcher + GPU DVFS (core/energy)',
    step() {},
    attach(twin) {
      const loop = new TwinControlLoop(twin, opts);
      return { run: (u: number) => loop.run(u) };
    },
  };
}
