// The whole facility twin: the cluster (cluster.ts), its heat (thermal.ts) and the BMS points
// of twin.md §5, advanced in virtual time. Controllers use only what a real facility offers:
// telemetry readings, BMS point reads and writes, and scale / DVFS / reshard commands.

import { METRICS, type Reading } from '../telemetry/catalogue';
import { bmsPoints, rackName, type BmsPoint } from './bms';
import { Cluster, CommandError, type Completion, type InstanceLoad, type Router } from './cluster';
import { tbtSloSeconds, ttftSloSeconds, waterRiseK } from './laws';
import type { TwinParams } from './params';
import { BmsWriteError, Cdu, relax, stepGpuThermal, type ControlMode } from './thermal';
import type { Workload } from './workload';

export { BmsWriteError, CommandError, rackName };
export type { BmsPoint, Completion };

/** One thermal step of the facility, for plots and controllers that log time series. */
export interface IntervalSample {
  t: number;
  itKW: number;
  gpuKW: number;
  hostKW: number;
  coolingKW: number;
  pumpKW: number;
  chillerKW: number;
  liquidKW: number;
  poweredServers: number;
  servingServers: number;
  /** Serving instances per effective SM clock (MHz → count). */
  frequencyHistogram: Record<number, number>;
  maxGpuC: number;
  supplyC: number;
  returnC: number;
  flowLpm: number;
  queuedRequests: number;
  runningRequests: number;
  arrivedPerS: number;
  finished: number;
}

export interface FacilitySummary {
  workload: string;
  simulatedS: number;
  requests: { arrived: number; finished: number; unfinished: number; counted: number; sloMet: number; sloAttainmentPct: number };
  ttftS: { p50: number; p99: number };
  tbtS: { p50: number; p99: number };
  /** Arrival to last token of finished requests (s). */
  e2eS: { mean: number; p50: number; p99: number };
  energy: { itKWh: number; gpuKWh: number; hostKWh: number; coolingKWh: number; pumpKWh: number; chillerKWh: number };
  peakGpuC: number;
  peakHbmC: number;
  secondsAbove83C: number;
  throttleEvents: number;
  shutdownEvents: number;
  /** Time-mean of powered servers (booting, serving or draining). */
  meanActiveServers: number;
  /** Time-mean of servers accepting requests. */
  meanServingServers: number;
  /** Instance-seconds spent at each set SM clock (MHz → s), serving instances only. */
  frequencySeconds: Record<number, number>;
}

export interface InstanceInfo extends InstanceLoad {
  effectiveMHz: number;
}

export type BmsValue = number | boolean | string;

export interface TelemetryOptions {
  /** One GPU-layer reading set per GPU (default) or per instance. */
  perGpu?: boolean;
}

const CDU_ID = 'CDU1';

export class Facility {
  private readonly cluster: Cluster;
  private readonly cdu: Cdu;
  private readonly dt: number;
  private now = 0;
  private nextTick: number;
  private gpuJ = 0;
  private hostJ = 0;
  private pumpJ = 0;
  private chillerJ = 0;
  private peakGpuC = -Infinity;
  private peakHbmC = -Infinity;
  private above83S = 0;
  private throttleEvents = 0;
  private shutdownEvents = 0;
  private poweredServerS = 0;
  private servingServerS = 0;
  private readonly freqSeconds: Record<number, number> = {};
  private readonly serverHostW: Float64Array;
  private readonly serverLiquidW: Float64Array;
  private readonly serverAirW: Float64Array;
  private readonly rackAirC: Float64Array;
  private arrivedAtLastTick = 0;
  private arrivedPerS = 0;
  private readonly observers = new Set<(s: IntervalSample) => void>();
  private readonly completionObservers = new Set<(c: Completion) => void>();

  /**
   * @param workload requests in arrival order (replayed and scaled beforehand, see workload.ts).
   * @param seed kept with the run for reproducibility; the physics themselves are deterministic.
   */
  constructor(
    readonly params: TwinParams,
    readonly workload: Workload,
    readonly seed = 1,
  ) {
    this.cluster = new Cluster(params, workload);
    this.cdu = new Cdu(params, 0);
    this.dt = params.thermal.stepS;
    this.nextTick = this.dt;
    const n = this.cluster.servers.length;
    this.serverHostW = new Float64Array(n);
    this.serverLiquidW = new Float64Array(n);
    this.serverAirW = new Float64Array(n);
    this.rackAirC = new Float64Array(this.cluster.racks);
    this.initialiseTemperatures();
  }

  /** Virtual time (s since the workload's start). */
  get timeS(): number {
    return this.now;
  }

  /** Wall-clock instant of the current virtual time (ms since the Unix epoch). */
  get epochMs(): number {
    return this.workload.startEpochMs + this.now * 1000;
  }

  /** Runs the twin forward to `toS` in virtual time. */
  advance(toS: number): void {
    while (this.now < toS) {
      const end = Math.min(this.nextTick, toS);
      this.cluster.runTo(end);
      this.now = end;
      if (end === this.nextTick) {
        this.thermalStep(end);
        this.nextTick += this.dt;
      }
    }
  }

  /** Calls `fn` after every thermal step; returns the function that unsubscribes. */
  onInterval(fn: (s: IntervalSample) => void): () => void {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }

  /**
   * Calls `fn` for every finished request with its true output length, as a serving stack's
   * completion log would (the Queue Batcher learns from it); returns the unsubscribe function.
   */
  onCompletion(fn: (c: Completion) => void): () => void {
    this.completionObservers.add(fn);
    this.cluster.onCompletion = (c) => {
      for (const f of this.completionObservers) f(c);
    };
    return () => {
      this.completionObservers.delete(fn);
      if (this.completionObservers.size === 0) this.cluster.onCompletion = null;
    };
  }

  // ---- commands a real facility offers -------------------------------------------------

  /** Target number of powered servers: boots (180 s) or drains servers. */
  setServerCount(n: number): void {
    this.cluster.setServerCount(n, this.now);
  }

  /** Locks an instance's SM clock to one of the clock set (10 ms pause). */
  setFrequency(instanceId: string, mhz: number): void {
    this.cluster.setFrequency(instanceId, mhz, this.now);
  }

  /** Re-shards a server into TP2/TP4/TP8 instances (100 ms pause). */
  setTensorParallel(serverId: string, tp: number): void {
    this.cluster.setTensorParallel(serverId, tp, this.now);
  }

  /** Routes arrivals (e.g. pools → instance groups, see poolRouter); null restores least-loaded. */
  setRouter(router: Router | null): void {
    this.cluster.setRouter(router);
  }

  writeFlowSetpoint(lpm: number): void {
    this.cdu.writeFlowSetpoint(lpm);
  }

  writeSupplySetpoint(celsius: number): void {
    this.cdu.writeSupplySetpoint(celsius);
  }

  writeHeartbeat(count: number): void {
    this.cdu.writeHeartbeat(count, this.now);
  }

  /** The CDU-side switch that admits (true) or locks out remote BMS writes. */
  setRemoteWritesEnabled(enabled: boolean): void {
    this.cdu.setRemoteWritesEnabled(enabled);
  }

  /** An operator at the CDU panel takes over with these setpoints (ControlMode Manual), or hands back (null). */
  setManualOverride(setpoints: { flowLpm: number; supplyC: number } | null): void {
    this.cdu.setManual(setpoints);
  }

  /** The instances with what a scheduler may know of them. */
  instances(): InstanceInfo[] {
    return this.cluster.instances.map((i) => ({
      id: i.id,
      serverId: i.serverId,
      tp: i.tp,
      freqMHz: i.freqMHz,
      effectiveMHz: i.effectiveMHz,
      queuedRequests: i.queuedRequests,
      queuedTokens: i.queuedTokens,
      runningRequests: i.runningRequests,
    }));
  }

  /** Servers and their power state. */
  servers(): Array<{ id: string; rack: string; state: string; tp: number }> {
    return this.cluster.servers.map((s) => ({ id: s.id, rack: rackName(s.rack), state: s.state, tp: s.tp }));
  }

  // ---- BMS points (twin.md §5) -----------------------------------------------------------

  /** The BMS points with type, access, unit and writable range, for building an address space. */
  bmsPoints(): BmsPoint[] {
    return bmsPoints(this.params, this.rackAirC.length);
  }

  /** Every BMS point by node id, as the OPC UA server publishes them. */
  bmsRead(): Record<string, BmsValue> {
    const c = this.cdu;
    const out: Record<string, BmsValue> = {
      [`${CDU_ID}.SupplyTemperature`]: c.supplyC,
      [`${CDU_ID}.ReturnTemperature`]: c.returnC,
      [`${CDU_ID}.Flow`]: c.flowLpm,
      [`${CDU_ID}.FlowSetpoint`]: c.flowSetpointLpm,
      [`${CDU_ID}.SupplyTemperatureSetpoint`]: c.supplySetpointC,
      [`${CDU_ID}.PumpSpeed`]: c.pumpSpeedPct(),
      [`${CDU_ID}.ValvePosition`]: c.valvePct,
      [`${CDU_ID}.Heartbeat`]: c.heartbeat,
      [`${CDU_ID}.RemoteTimeout`]: c.remoteTimeout(this.now),
      [`${CDU_ID}.LowFlowAlarm`]: c.lowFlowAlarm,
      [`${CDU_ID}.ControlMode`]: c.mode(this.now) as ControlMode,
    };
    for (let r = 0; r < this.rackAirC.length; r++) {
      const rack = rackName(r);
      out[`${rack}.InletAirTemperature`] = this.rackAirC[r];
      out[`${rack}.Power`] = this.rackPowerW(r) / 1000;
      out[`${rack}.GpuTemperatureMax`] = this.rackGpuMaxC(r);
    }
    return out;
  }

  /** Writes a BMS point; throws BmsWriteError (code BadOutOfRange, BadNotWritable, …) when refused. */
  bmsWrite(nodeId: string, value: BmsValue): void {
    switch (nodeId) {
      case `${CDU_ID}.FlowSetpoint`:
        return this.cdu.writeFlowSetpoint(value);
      case `${CDU_ID}.SupplyTemperatureSetpoint`:
        return this.cdu.writeSupplySetpoint(value);
      case `${CDU_ID}.Heartbeat`:
        return this.cdu.writeHeartbeat(value, this.now);
      default:
        if (this.bmsPoints().some((pt) => pt.nodeId === nodeId)) throw new BmsWriteError(nodeId, value, 'BadNotWritable', 'read-only point');
        throw new BmsWriteError(nodeId, value, 'BadNodeIdUnknown', 'no such point');
    }
  }

  // ---- telemetry (twin.md §4) -------------------------------------------------------------

  /** Readings of all five layers at the current virtual time. */
  telemetry(opts: TelemetryOptions = {}): Reading[] {
    const perGpu = opts.perGpu ?? true;
    const ts = Math.round(this.epochMs);
    const out: Reading[] = [];
    const add = (metric: string, value: number, tags: Record<string, string> = {}) => {
      const m = METRICS[metric];
      out.push({ layer: m.layer, metric, value, unit: m.unit, ts, tags });
    };
    const cl = this.cluster;
    const p = this.params;
    let queued = cl.unroutedRequests;
    let queuedTokens = 0;
    let tokensPerS = 0;
    // 1. Job schedule
    for (const i of cl.instances) {
      const tags = { instance: i.id, server: i.serverId };
      add('queue.requests', i.queuedRequests, tags);
      add('queue.tokens', i.queuedTokens, tags);
      add('plan.frequency', i.freqMHz, tags);
      queued += i.queuedRequests;
      queuedTokens += i.queuedTokens;
      tokensPerS += i.last.tokensPerS;
    }
    add('queue.requests', queued);
    add('queue.tokens', queuedTokens);
    add('plan.servers', cl.targetServers);
    for (const s of cl.servers) {
      add('headroom.thermal', p.thermal.gpuTargetC - Math.max(...s.gpuC), { server: s.id, rack: rackName(s.rack) });
    }
    // 2. LLM workload
    for (const i of cl.instances) {
      if (!i.server.powered) continue;
      const tags = { instance: i.id, server: i.serverId };
      add('gpu.utilization', 100 * i.last.util, tags);
      add('throughput.tokens', i.last.tokensPerS, tags);
      add('throughput.requests', i.last.requestsPerS, { ...tags, direction: 'finished' });
    }
    add('throughput.tokens', tokensPerS);
    add('throughput.requests', this.arrivedPerS, { direction: 'arrived' });
    add('servers.active', cl.servers.filter((s) => s.state === 'on').length, { state: 'serving' });
    add('servers.active', cl.servers.filter((s) => s.powered).length, { state: 'powered' });
    const slo = cl.rollingSlo(this.now);
    if (slo.finished > 0) add('slo.attainment', (100 * slo.met) / slo.finished, { window: '60s' });
    // 3. GPU / HBM
    for (const i of cl.instances) {
      const s = i.server;
      if (!s.powered) continue;
      const throttled = i.capMHz < i.freqMHz;
      const reason = i.capMHz <= p.thermal.slowdownCapMHz ? 'hw_slowdown' : throttled ? 'thermal' : 'none';
      const gpus = perGpu ? Array.from({ length: i.tp }, (_, k) => i.firstGpu + k) : [i.firstGpu];
      for (const g of gpus) {
        const tags: Record<string, string> = perGpu
          ? { gpu: `${s.id}.G${g}`, instance: i.id, server: s.id, rack: rackName(s.rack) }
          : { instance: i.id, server: s.id, rack: rackName(s.rack) };
        const hottest = perGpu ? g : argMax(s.gpuC, i.firstGpu, i.tp);
        add('gpu.power', s.gpuPowerW[g], tags);
        add('gpu.clock', i.effectiveMHz, tags);
        add('gpu.temperature', s.gpuC[hottest], tags);
        add('hbm.temperature', perGpu ? s.hbmC[g] : Math.max(...s.hbmC.subarray(i.firstGpu, i.firstGpu + i.tp)), tags);
        add('gpu.throttle', throttled ? 1 : 0, { ...tags, reason });
      }
    }
    // 4. Server internal
    const flowShare = this.cdu.flowLpm / cl.servers.length;
    for (const s of cl.servers) {
      const tags = { server: s.id, rack: rackName(s.rack) };
      const c = p.cooling;
      add('server.junctionMax', Math.max(...s.gpuC, ...s.hbmC), tags);
      const fan = s.powered ? c.fanMinPct + ((c.fanMaxPct - c.fanMinPct) * Math.min(1, this.serverAirW[s.index] / c.fanFullAirW)) : 0;
      add('server.fan', fan, tags);
      add('server.coolantDeltaT', waterRiseK(p, this.serverLiquidW[s.index] / 1000, flowShare), tags);
      add('server.power', this.serverPowerW(s.index) / 1000, tags);
    }
    // 5. Floor and rack
    for (let r = 0; r < this.rackAirC.length; r++) {
      add('rack.inletAir', this.rackAirC[r], { rack: rackName(r) });
      add('rack.power', this.rackPowerW(r) / 1000, { rack: rackName(r) });
    }
    const cdu = { cdu: CDU_ID };
    add('cdu.supplyTemperature', this.cdu.supplyC, cdu);
    add('cdu.returnTemperature', this.cdu.returnC, cdu);
    add('cdu.flow', this.cdu.flowLpm, cdu);
    add('cdu.pumpPower', this.cdu.pumpKW, cdu);
    // The setpoints in force and the CDU's own alarms, as its BMS reports them.
    add('cdu.flowSetpoint', this.cdu.flowSetpointLpm, cdu);
    add('cdu.supplySetpoint', this.cdu.supplySetpointC, cdu);
    add('cdu.remoteTimeout', this.cdu.remoteTimeout(this.now) ? 1 : 0, cdu);
    add('cdu.lowFlowAlarm', this.cdu.lowFlowAlarm ? 1 : 0, cdu);
    add('cooling.power', this.cdu.pumpKW + this.cdu.chillerKW, cdu);
    return out;
  }

  // ---- results ------------------------------------------------------------------------------

  summary(): FacilitySummary {
    const cl = this.cluster;
    const log = cl.log;
    const p = this.params;
    const arrived = cl.counters.arrived;
    const ttft: number[] = [];
    const tbt: number[] = [];
    const e2e: number[] = [];
    let counted = 0;
    let met = 0;
    for (let r = 0; r < arrived; r++) {
      const slo = ttftSloSeconds(p, log.input[r]);
      if (!Number.isNaN(log.finish[r])) {
        counted++;
        if (cl.meetsSlo(r)) met++;
        ttft.push(log.firstToken[r] - log.arrival[r]);
        e2e.push(log.finish[r] - log.arrival[r]);
        if (log.output[r] > 1) tbt.push((log.finish[r] - log.firstToken[r]) / (log.output[r] - 1));
      } else {
        // Unfinished at the end: a miss once its TTFT objective is already broken, else not yet judged.
        const first = log.firstToken[r];
        const late = Number.isNaN(first) ? this.now - log.arrival[r] > slo : first - log.arrival[r] > slo;
        if (late) counted++;
      }
    }
    const kwh = (j: number) => j / 3.6e6;
    const simulated = Math.max(this.now, 1e-9);
    return {
      workload: this.workload.name,
      simulatedS: this.now,
      requests: {
        arrived,
        finished: cl.counters.finished,
        unfinished: arrived - cl.counters.finished,
        counted,
        sloMet: met,
        sloAttainmentPct: counted > 0 ? (100 * met) / counted : 100,
      },
      ttftS: { p50: quantile(ttft, 0.5), p99: quantile(ttft, 0.99) },
      tbtS: { p50: quantile(tbt, 0.5), p99: quantile(tbt, 0.99) },
      e2eS: { mean: e2e.length ? e2e.reduce((a, b) => a + b, 0) / e2e.length : Number.NaN, p50: quantile(e2e, 0.5), p99: quantile(e2e, 0.99) },
      energy: {
        itKWh: kwh(this.gpuJ + this.hostJ),
        gpuKWh: kwh(this.gpuJ),
        hostKWh: kwh(this.hostJ),
        coolingKWh: kwh(this.pumpJ + this.chillerJ),
        pumpKWh: kwh(this.pumpJ),
        chillerKWh: kwh(this.chillerJ),
      },
      peakGpuC: this.peakGpuC,
      peakHbmC: this.peakHbmC,
      secondsAbove83C: this.above83S,
      throttleEvents: this.throttleEvents,
      shutdownEvents: this.shutdownEvents,
      meanActiveServers: this.poweredServerS / simulated,
      meanServingServers: this.servingServerS / simulated,
      frequencySeconds: { ...this.freqSeconds },
    };
  }

  /** The TBT objective every request is judged against (s). */
  get tbtSloS(): number {
    return tbtSloSeconds(this.params);
  }

  // ---- internals -----------------------------------------------------------------------------

  private thermalStep(t: number): void {
    const p = this.params;
    const dt = this.dt;
    const cl = this.cluster;
    let gpuW = 0;
    let hostW = 0;
    let liquidW = 0;
    let powered = 0;
    let serving = 0;
    const hist: Record<number, number> = {};
    let queuedRequests = cl.unroutedRequests;
    let runningRequests = 0;
    for (const s of cl.servers) {
      s.accrueHost(t);
      const host = s.hostJ / dt;
      this.hostJ += s.hostJ;
      s.hostJ = 0;
      for (let g = 0; g < s.gpuPowerW.length; g++) {
        s.gpuPowerW[g] = s.orphanJ[g] / dt;
        s.orphanJ[g] = 0;
      }
      for (const i of s.instances) {
        i.closeBin(t, dt);
        for (let g = i.firstGpu; g < i.firstGpu + i.tp; g++) s.gpuPowerW[g] += i.last.powerW;
        queuedRequests += i.queuedRequests;
        runningRequests += i.runningRequests;
        if (s.state === 'on') {
          const f = i.effectiveMHz;
          hist[f] = (hist[f] ?? 0) + 1;
          this.freqSeconds[i.freqMHz] = (this.freqSeconds[i.freqMHz] ?? 0) + dt;
        }
      }
      let gpus = 0;
      for (let g = 0; g < s.gpuPowerW.length; g++) gpus += s.gpuPowerW[g];
      const total = gpus + host;
      this.serverHostW[s.index] = host;
      this.serverLiquidW[s.index] = p.thermal.liquidShare * total;
      this.serverAirW[s.index] = (1 - p.thermal.liquidShare) * total;
      gpuW += gpus;
      hostW += host;
      liquidW += this.serverLiquidW[s.index];
      if (s.powered) powered++;
      if (s.state === 'on') serving++;
    }
    this.gpuJ += gpuW * dt;
    const cooling = this.cdu.step(t, dt, liquidW / 1000);
    this.pumpJ += cooling.pumpKW * 1000 * dt;
    this.chillerJ += cooling.chillerKW * 1000 * dt;
    const flowShare = this.cdu.flowLpm / cl.servers.length;
    let maxGpu = -Infinity;
    for (const s of cl.servers) {
      const localC = this.cdu.supplyC + waterRiseK(p, this.serverLiquidW[s.index] / 1000, flowShare) / 2;
      const ev = stepGpuThermal(p, s, localC, dt);
      this.throttleEvents += ev.throttleStarts;
      this.shutdownEvents += ev.shutdowns;
      for (let g = 0; g < s.gpuC.length; g++) {
        if (s.gpuC[g] > maxGpu) maxGpu = s.gpuC[g];
        if (s.hbmC[g] > this.peakHbmC) this.peakHbmC = s.hbmC[g];
      }
    }
    if (maxGpu > this.peakGpuC) this.peakGpuC = maxGpu;
    if (maxGpu > p.thermal.gpuTargetC) this.above83S += dt;
    for (let r = 0; r < this.rackAirC.length; r++) {
      this.rackAirC[r] = relax(this.rackAirC[r], this.rackAirTargetC(r), dt, p.cooling.rackAirTauS);
    }
    this.poweredServerS += powered * dt;
    this.servingServerS += serving * dt;
    this.arrivedPerS = (cl.counters.arrived - this.arrivedAtLastTick) / dt;
    this.arrivedAtLastTick = cl.counters.arrived;
    cl.lifecycle(t);
    if (this.observers.size > 0) {
      const sample: IntervalSample = {
        t,
        itKW: (gpuW + hostW) / 1000,
        gpuKW: gpuW / 1000,
        hostKW: hostW / 1000,
        coolingKW: cooling.pumpKW + cooling.chillerKW,
        pumpKW: cooling.pumpKW,
        chillerKW: cooling.chillerKW,
        liquidKW: liquidW / 1000,
        poweredServers: powered,
        servingServers: serving,
        frequencyHistogram: hist,
        maxGpuC: maxGpu,
        supplyC: this.cdu.supplyC,
        returnC: this.cdu.returnC,
        flowLpm: this.cdu.flowLpm,
        queuedRequests,
        runningRequests,
        arrivedPerS: this.arrivedPerS,
        finished: cl.counters.finished,
      };
      for (const fn of this.observers) fn(sample);
    }
  }

  private initialiseTemperatures(): void {
    const p = this.params;
    const cl = this.cluster;
    // Start at the idle steady state so a run does not begin with a warm-up transient.
    let liquidW = 0;
    for (const s of cl.servers) {
      const gpuW = s.powered ? p.power.staticW : 0;
      s.gpuPowerW.fill(gpuW);
      const total = s.powered ? gpuW * s.gpuPowerW.length + p.cluster.hostPowerW : 0;
      this.serverLiquidW[s.index] = p.thermal.liquidShare * total;
      this.serverAirW[s.index] = (1 - p.thermal.liquidShare) * total;
      liquidW += this.serverLiquidW[s.index];
    }
    const flowShare = this.cdu.flowLpm / cl.servers.length;
    for (const s of cl.servers) {
      const localC = this.cdu.supplyC + waterRiseK(p, this.serverLiquidW[s.index] / 1000, flowShare) / 2;
      for (let g = 0; g < s.gpuC.length; g++) {
        s.gpuC[g] = localC + p.thermal.gpuKPerW * s.gpuPowerW[g];
        s.hbmC[g] = localC + p.thermal.hbmKPerW * s.gpuPowerW[g] + p.thermal.hbmOffsetK;
      }
    }
    for (let r = 0; r < this.rackAirC.length; r++) this.rackAirC[r] = this.rackAirTargetC(r);
    void liquidW;
  }

  private rackAirTargetC(r: number): number {
    const c = this.params.cooling;
    let air = 0;
    for (const s of this.cluster.servers) if (s.rack === r) air += this.serverAirW[s.index];
    return c.rackAirBaseC + c.rackAirKPerW * air;
  }

  private serverPowerW(index: number): number {
    const s = this.cluster.servers[index];
    let w = this.serverHostW[index];
    for (let g = 0; g < s.gpuPowerW.length; g++) w += s.gpuPowerW[g];
    return w;
  }

  private rackPowerW(r: number): number {
    let w = 0;
    for (const s of this.cluster.servers) if (s.rack === r) w += this.serverPowerW(s.index);
    return w;
  }

  private rackGpuMaxC(r: number): number {
    let t = -Infinity;
    for (const s of this.cluster.servers) if (s.rack === r) t = Math.max(t, ...s.gpuC);
    return t;
  }
}

function argMax(a: Float64Array, from: number, n: number): number {
  let best = from;
  for (let k = from + 1; k < from + n; k++) if (a[k] > a[best]) best = k;
  return best;
}

/** Nearest-rank quantile; NaN for an empty sample. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}
