// Heat and cooling of twin.md §3: GPU and HBM temperatures with their lags and throttling, and
// one CDU (flow and supply temperature with ramps and lags, transport lag to the return sensor,
// pump and chiller power, the heartbeat fail-safe). Integrated on a coarse fixed step: the
// fastest lag is 15 s, so a 1 s step with exact exponential updates is accurate and cheap.

import { chillerCop, pumpPowerKW, pumpSpeed, waterRiseK } from './laws';
import type { TwinParams } from './params';
import type { Server } from './cluster';

/** Moves `value` toward `target` as a first-order lag with time constant `tauS` over `dtS` (exact). */
export function relax(value: number, target: number, dtS: number, tauS: number): number {
  return target + (value - target) * Math.exp(-dtS / tauS);
}

export interface GpuThermalEvents {
  /** GPUs that entered throttling (clock cap below max) in this step. */
  throttleStarts: number;
  /** GPUs above the shutdown temperature in this step. */
  shutdowns: number;
}

/**
 * One step of a server's GPU and HBM temperatures from their mean power over the step, then
 * the clock caps: above the max operating temperature the cap drops one step every interval,
 * above the slowdown temperature it is the slowdown cap, and below it recovers one step every
 * interval [E]. The instances take the lowest cap of their GPUs.
 */
export function stepGpuThermal(p: TwinParams, s: Server, localCoolantC: number, dtS: number): GpuThermalEvents {
  const th = p.thermal;
  const max = p.cluster.maxClockMHz;
  const events: GpuThermalEvents = { throttleStarts: 0, shutdowns: 0 };
  for (let g = 0; g < s.gpuC.length; g++) {
    const w = s.gpuPowerW[g];
    s.gpuC[g] = relax(s.gpuC[g], localCoolantC + th.gpuKPerW * w, dtS, th.gpuTauS);
    s.hbmC[g] = relax(s.hbmC[g], localCoolantC + th.hbmKPerW * w + th.hbmOffsetK, dtS, th.hbmTauS);
    const t = s.gpuC[g];
    const wasThrottled = s.capMHz[g] < max;
    if (t > th.gpuSlowdownC) {
      s.capMHz[g] = th.slowdownCapMHz;
      s.throttleTimerS[g] = 0;
    } else if (t > th.gpuMaxOperatingC) {
      if (!wasThrottled) {
        s.capMHz[g] = max - th.throttleStepMHz;
        s.throttleTimerS[g] = 0;
      } else {
        s.throttleTimerS[g] += dtS;
        if (s.throttleTimerS[g] >= th.throttleIntervalS) {
          s.throttleTimerS[g] -= th.throttleIntervalS;
          s.capMHz[g] = Math.max(th.slowdownCapMHz, s.capMHz[g] - th.throttleStepMHz);
        }
      }
    } else if (wasThrottled) {
      s.throttleTimerS[g] += dtS;
      if (s.throttleTimerS[g] >= th.throttleIntervalS) {
        s.throttleTimerS[g] -= th.throttleIntervalS;
        s.capMHz[g] = Math.min(max, s.capMHz[g] + th.throttleStepMHz);
      }
    } else {
      s.throttleTimerS[g] = 0;
    }
    if (!wasThrottled && s.capMHz[g] < max) events.throttleStarts++;
    if (t > th.gpuShutdownC) events.shutdowns++;
  }
  for (const inst of s.instances) {
    let cap = max;
    for (let g = inst.firstGpu; g < inst.firstGpu + inst.tp; g++) cap = Math.min(cap, s.capMHz[g]);
    inst.capMHz = cap;
  }
  return events;
}

export type ControlMode = 'Remote' | 'Local' | 'Manual';

/** A BMS write the CDU refuses; `code` is the OPC UA status the gateway answers with. */
export class BmsWriteError extends Error {
  constructor(
    readonly point: string,
    readonly value: unknown,
    readonly code: 'BadOutOfRange' | 'BadNotWritable' | 'BadTypeMismatch' | 'BadNodeIdUnknown',
    detail: string,
  ) {
    super(`${point}: ${detail}`);
    this.name = 'BmsWriteError';
  }
}

export interface CduStep {
  pumpKW: number;
  chillerKW: number;
}

/** The coolant distribution unit: what the BMS reads and writes, and the loop behind it. */
export class Cdu {
  /** Remote setpoint registers, as written over the BMS. */
  flowSetpointLpm: number;
  supplySetpointC: number;
  heartbeat = 0;
  /** Actual loop state. */
  flowLpm: number;
  supplyC: number;
  returnC: number;
  valvePct = 0;
  pumpKW = 0;
  chillerKW = 0;
  lowFlowAlarm = false;
  private lastHeartbeatS: number;
  private writesEnabled = true;
  private manual: { flowLpm: number; supplyC: number } | null = null;
  private readonly returnLine: Float64Array;
  private returnIdx = 0;

  constructor(private readonly p: TwinParams, t0 = 0) {
    const c = p.cooling;
    this.flowSetpointLpm = c.localFlowLpm;
    this.supplySetpointC = c.localSupplyC;
    this.flowLpm = c.localFlowLpm;
    this.supplyC = c.localSupplyC;
    this.returnC = c.localSupplyC;
    // The CDU's heartbeat watchdog starts when the CDU does.
    this.lastHeartbeatS = t0;
    this.returnLine = new Float64Array(Math.max(1, Math.round(c.returnLagS / p.thermal.stepS))).fill(c.localSupplyC);
  }

  writeFlowSetpoint(lpm: unknown): void {
    const c = this.p.cooling;
    this.flowSetpointLpm = this.checkWrite('CDU1.FlowSetpoint', lpm, c.flowMinLpm, c.flowMaxLpm);
  }

  writeSupplySetpoint(celsius: unknown): void {
    const c = this.p.cooling;
    this.supplySetpointC = this.checkWrite('CDU1.SupplyTemperatureSetpoint', celsius, c.supplyMinC, c.supplyMaxC);
  }

  /** The controller's keep-alive: any finite count refreshes the watchdog. */
  writeHeartbeat(count: unknown, t: number): void {
    this.heartbeat = this.checkWrite('CDU1.Heartbeat', count, -Infinity, Infinity);
    this.lastHeartbeatS = t;
  }

  /** The plant-side switch that locks out (false) or admits remote writes. */
  setRemoteWritesEnabled(enabled: boolean): void {
    this.writesEnabled = enabled;
  }

  /** An operator at the CDU panel takes over (values) or hands back (null). */
  setManual(setpoints: { flowLpm: number; supplyC: number } | null): void {
    this.manual = setpoints;
  }

  remoteTimeout(t: number): boolean {
    return !this.writesEnabled || t - this.lastHeartbeatS > this.p.cooling.heartbeatTimeoutS;
  }

  mode(t: number): ControlMode {
    if (this.manual) return 'Manual';
    return this.remoteTimeout(t) ? 'Local' : 'Remote';
  }

  /** The setpoints the CDU actually follows at `t`. */
  activeSetpoints(t: number): { flowLpm: number; supplyC: number } {
    const c = this.p.cooling;
    switch (this.mode(t)) {
      case 'Manual':
        return this.manual as { flowLpm: number; supplyC: number };
      case 'Local':
        return { flowLpm: c.localFlowLpm, supplyC: c.localSupplyC };
      default:
        return { flowLpm: this.flowSetpointLpm, supplyC: this.supplySetpointC };
    }
  }

  pumpSpeedPct(): number {
    return 100 * pumpSpeed(this.p, this.flowLpm);
  }

  /** Advances the loop by `dtS` with `liquidKW` of heat entering it. */
  step(t: number, dtS: number, liquidKW: number): CduStep {
    const c = this.p.cooling;
    const sp = this.activeSetpoints(t);
    const maxChange = (c.flowRampLpmPerMin * dtS) / 60;
    this.flowLpm += Math.max(-maxChange, Math.min(maxChange, sp.flowLpm - this.flowLpm));
    this.supplyC = relax(this.supplyC, sp.supplyC, dtS, c.supplyTauS);
    const outletC = this.supplyC + waterRiseK(this.p, liquidKW, this.flowLpm);
    // Ring buffer: the slot about to be overwritten holds the outlet temperature of one lag ago.
    this.returnC = this.returnLine[this.returnIdx];
    this.returnLine[this.returnIdx] = outletC;
    this.returnIdx = (this.returnIdx + 1) % this.returnLine.length;
    this.pumpKW = pumpPowerKW(this.p, this.flowLpm);
    this.chillerKW = liquidKW / chillerCop(this.p, this.supplyC);
    const span = this.returnC - c.chilledWaterC;
    this.valvePct = span > 0 ? 100 * Math.min(1, Math.max(0, (this.returnC - sp.supplyC) / span)) : 0;
    this.lowFlowAlarm = this.flowLpm < c.lowFlowAlarmLpm || this.returnC - this.supplyC > c.lowFlowAlarmDeltaTK;
    return { pumpKW: this.pumpKW, chillerKW: this.chillerKW };
  }

  private checkWrite(point: string, value: unknown, min: number, max: number): number {
    if (!this.writesEnabled) throw new BmsWriteError(point, value, 'BadNotWritable', 'remote writes are disabled at the CDU');
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new BmsWriteError(point, value, 'BadTypeMismatch', `expected a finite number, got ${String(value)}`);
    }
    if (value < min || value > max) throw new BmsWriteError(point, value, 'BadOutOfRange', `${value} is outside ${min}–${max}`);
    return value;
  }
}
