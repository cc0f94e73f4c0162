// The Coolant Valve core: from a forecast (or a heat load, or an operator override) to the
// setpoints it will write, through the safety chain that holds whatever the inputs are:
//   1. limits: flow 50–500 L/min, supply 18–45 °C and never below the dew-point floor;
//   2. ramp limits per minute from the last setpoints written;
//   3. a manual override wins over everything the valve would choose, until released;
//   4. a stale, missing or not-ready forecast → the safe setpoint (more cooling, never less).
// Steps 3 and 4 choose what to aim for; steps 2 and 1 bound what is written, 1 last so that no
// value outside the limits is ever written (a dew point that jumps up beats the ramp).

import { DEFAULT_LIMITS, DEFAULT_PLANT, type PlantModel, type ValveLimits } from './plant';
import { chooseSetpoints, type SetpointChoice } from './setpoints';

export type ValveMode = 'auto' | 'advisory' | 'manual';

/**
 * The valve's clock (seconds). Ramp limits (per minute) and staleness are judged on it, so a
 * valve driving a twin that runs faster than real time ramps per virtual minute. Wall-clock by
 * default; a caller in virtual time passes its own (e.g. `() => twin.now`).
 */
export type Clock = () => number;

export const wallClock: Clock = () => Date.now() / 1000;

/**
 * A clock that follows the data: the latest timestamp `advance`d to, running on at the wall
 * clock's pace between timestamps and never backwards. For a twin that runs faster than real time
 * it keeps the twin's minutes; when the data stops it still moves, so a forecast goes stale and
 * the safe setpoint is reached at the ramp's pace (never frozen).
 */
export class DataClock {
  private t = Number.NaN;
  private wallAt = Number.NaN;

  constructor(private readonly wall: Clock = wallClock) {}

  /** Moves the clock to `tS` (s) if that is later than now (non-finite times are ignored). */
  advance(tS: unknown): void {
    if (typeof tS !== 'number' || !Number.isFinite(tS)) return;
    const now = this.now();
    if (Number.isFinite(now) && tS <= now) return;
    this.t = tS;
    this.wallAt = this.wall();
  }

  /** Now on this clock (s); NaN before the first `advance`. */
  readonly now: Clock = () => (Number.isFinite(this.t) ? this.t + Math.max(0, this.wall() - this.wallAt) : Number.NaN);
}

export interface ValveConfig {
  limits: ValveLimits;
  plant: PlantModel;
  /** Hottest GPU target (°C). */
  gpuTargetC: number;
  /** Kept between the forecast's upper bound and the target (K). */
  marginK: number;
  /** Fixed loop ΔT (K), or null to optimise it. */
  deltaTK: number | null;
  /** A forecast older than this is stale (s). */
  staleAfterS: number;
  /** Where the valve heads without a usable forecast; it never cools less than it does now. */
  safe: { flowLpm: number; supplyC: number };
  /** Without a forecast interval, this is added to the forecast as its upper bound (K). */
  defaultIntervalK: number;
  /**
   * Seek the least power among the setpoints the ramps can write this step (true), or choose for
   * the aim and let the ramp limit what is written (false). See setpoints.ts `reach`.
   */
  rampAware: boolean;
}

export const DEFAULT_VALVE: ValveConfig = {
  limits: DEFAULT_LIMITS,
  plant: DEFAULT_PLANT,
  gpuTargetC: 83,
  marginK: 2,
  deltaTK: null,
  staleAfterS: 60,
  safe: { flowLpm: 400, supplyC: 25 },
  defaultIntervalK: 3,
  rampAware: true,
};

/** A forecast as the Thermal Predictor sends it (`msg.payload`); only these fields are read. */
export interface ForecastIn {
  target?: unknown;
  t?: unknown;
  ready?: unknown;
  predicted?: unknown;
  interval?: { high?: unknown } | null;
  assumedSupplyC?: unknown;
  assumedCoolantOffsetK?: unknown;
}

export interface ValveInput {
  /** Now (s, the same clock as the forecast's `t`); the valve's clock when absent. */
  tS?: number;
  forecast?: ForecastIn | null;
  /** Liquid heat now (kW) and coming (kW, e.g. from the plan); NaN when unknown. */
  heatKW?: unknown;
  heatComingKW?: unknown;
  /** The loop as measured now (for the forecast's assumptions). */
  flowLpm?: unknown;
  supplyC?: unknown;
  dewPointC?: unknown;
  /** An operator's setpoints (`msg.override`), or `release`. */
  override?: unknown;
}

export interface ValveOutput {
  flowLpm: number;
  supplyTempC: number;
  deltaTC: number | null;
  /** A limit changed the aim. */
  clamped: boolean;
  /** The ramp limit slowed the change. */
  rateLimited: boolean;
  mode: ValveMode;
  /** Why these setpoints: optimised, override, stale, missing, not-ready, infeasible, hold. */
  reason: string;
  /** What the valve aimed for before the ramp and the limits. */
  aim: { flowLpm: number; supplyC: number };
  predictedPowerKW: number | null;
  overrideActive: boolean;
}

export interface ValveState {
  version: 1;
  last: { flowLpm: number; supplyC: number; tS: number } | null;
  override: { flowLpm: number; supplyC: number } | null;
}

export class CoolantValve {
  readonly c: ValveConfig;
  private last: ValveState['last'] = null;
  private override: ValveState['override'] = null;
  private readonly clock: Clock;

  constructor(config: Partial<ValveConfig> = {}, state?: ValveState, clock: Clock = wallClock) {
    this.clock = clock;
    this.c = {
      ...DEFAULT_VALVE,
      ...config,
      limits: { ...DEFAULT_LIMITS, ...(config.limits ?? {}) },
      plant: { ...DEFAULT_PLANT, ...(config.plant ?? {}) },
    };
    if (state?.version === 1) {
      this.last = state.last && isFiniteNum(state.last.flowLpm) && isFiniteNum(state.last.supplyC) ? state.last : null;
      this.override = state.override;
    }
  }

  /** Now on the valve's clock (s); NaN when that clock has not started. */
  now(): number {
    const t = this.clock();
    return typeof t === 'number' ? t : Number.NaN;
  }

  /** The setpoints written last (null before the first). */
  get lastWritten(): ValveState['last'] {
    return this.last;
  }

  toJSON(): ValveState {
    return { version: 1, last: this.last, override: this.override };
  }

  /** Tells the valve what the CDU holds now (e.g. read back at start), so the ramp starts there. */
  seed(flowLpm: number, supplyC: number, tS: number = this.now()): void {
    if (isFiniteNum(flowLpm) && isFiniteNum(supplyC) && isFiniteNum(tS)) this.last = { flowLpm, supplyC, tS };
  }

  /**
   * One decision. `commit` (default true) records the result as written, so the next ramp starts
   * from it; advisory mode passes false.
   */
  step(inp: ValveInput, mode: ValveMode = 'auto', commit = true): ValveOutput {
    const c = this.c;
    const lim = c.limits;
    const clockNow = this.now();
    const now = isFiniteNum(inp.tS) ? inp.tS : Number.isFinite(clockNow) ? clockNow : (this.last?.tS ?? 0);
    this.applyOverride(inp.override);
    const floor = this.supplyFloor(inp.dewPointC);
    const measuredFlow = num(inp.flowLpm);
    const measuredSupply = num(inp.supplyC);
    // The ramp starts from the last setpoints written, or from the loop as measured, or from safe.
    const from = this.last ?? {
      flowLpm: Number.isFinite(measuredFlow) ? measuredFlow : c.safe.flowLpm,
      supplyC: Number.isFinite(measuredSupply) ? measuredSupply : c.safe.supplyC,
      tS: now,
    };
    const fromFlow = clamp(from.flowLpm, lim.flowMinLpm, lim.flowMaxLpm);
    const fromSupply = clamp(from.supplyC, floor, lim.supplyMaxC);

    let aim: { flowLpm: number; supplyC: number };
    let reason: string;
    let choice: SetpointChoice | null = null;
    if (this.override && (mode === 'manual' || mode === 'auto' || mode === 'advisory')) {
      aim = { ...this.override };
      reason = 'override';
    } else if (mode === 'manual') {
      aim = { flowLpm: fromFlow, supplyC: fromSupply };
      reason = 'hold';
    } else {
      const usable = this.usableForecast(inp.forecast, now);
      if (typeof usable === 'string') {
        // More cooling, never less: the safe setpoint, or what is written now if that is colder.
        aim = { flowLpm: Math.max(fromFlow, c.safe.flowLpm), supplyC: Math.min(fromSupply, c.safe.supplyC) };
        reason = usable;
      } else {
        const heatNow = num(inp.heatKW);
        const heatComing = num(inp.heatComingKW);
        if (!Number.isFinite(heatNow) || heatNow < 0) {
          aim = { flowLpm: Math.max(fromFlow, c.safe.flowLpm), supplyC: Math.min(fromSupply, c.safe.supplyC) };
          reason = 'missing-heat';
        } else {
          choice = chooseSetpoints(
            {
              predictedGpuC: usable.upper,
              assumedSupplyC: usable.assumedSupplyC ?? (Number.isFinite(measuredSupply) ? measuredSupply : fromSupply),
              assumedFlowLpm: Number.isFinite(measuredFlow) && measuredFlow > 0 ? measuredFlow : fromFlow,
              heatKW: Number.isFinite(heatComing) && heatComing >= 0 ? heatComing : heatNow,
              heatNowKW: heatNow,
              coolantOffsetK: usable.coolantOffsetK ?? undefined,
            },
            { gpuTargetC: c.gpuTargetC - c.marginK, deltaTK: c.deltaTK, supplyFloorC: floor, reach: c.rampAware && this.last ? this.reach(fromFlow, fromSupply, now) : undefined },
            lim,
            c.plant,
          );
          aim = { flowLpm: choice.flowLpm, supplyC: choice.supplyC };
          reason = choice.infeasible ? 'infeasible' : 'optimised';
          if (!Number.isFinite(aim.flowLpm) || !Number.isFinite(aim.supplyC)) {
            aim = { flowLpm: Math.max(fromFlow, c.safe.flowLpm), supplyC: Math.min(fromSupply, c.safe.supplyC) };
            reason = 'missing';
          }
        }
      }
    }
    if (!Number.isFinite(aim.flowLpm)) aim.flowLpm = Math.max(fromFlow, c.safe.flowLpm);
    if (!Number.isFinite(aim.supplyC)) aim.supplyC = Math.min(fromSupply, c.safe.supplyC);

    // 2. Ramp from the last write, then 1. limits.
    const dtMin = this.last ? Math.max(0, now - this.last.tS) / 60 : 0;
    const first = this.last === null;
    const maxDFlow = first ? Infinity : lim.flowRampLpmPerMin * dtMin;
    const maxDSupply = first ? Infinity : lim.supplyRampCPerMin * dtMin;
    let flow = first ? aim.flowLpm : fromFlow + clamp(aim.flowLpm - fromFlow, -maxDFlow, maxDFlow);
    let supply = first ? aim.supplyC : fromSupply + clamp(aim.supplyC - fromSupply, -maxDSupply, maxDSupply);
    const rateLimited = !first && (Math.abs(flow - aim.flowLpm) > 1e-9 || Math.abs(supply - aim.supplyC) > 1e-9);
    const flowLimited = clamp(flow, lim.flowMinLpm, lim.flowMaxLpm);
    const supplyLimited = clamp(supply, floor, lim.supplyMaxC);
    const clamped = (choice?.atLimit ?? false) || flowLimited !== flow || supplyLimited !== supply || clamp(aim.flowLpm, lim.flowMinLpm, lim.flowMaxLpm) !== aim.flowLpm || clamp(aim.supplyC, floor, lim.supplyMaxC) !== aim.supplyC;
    flow = flowLimited;
    supply = supplyLimited;
    if (commit && mode !== 'advisory') this.last = { flowLpm: flow, supplyC: supply, tS: now };
    const heat = num(inp.heatKW);
    return {
      flowLpm: flow,
      supplyTempC: supply,
      deltaTC: Number.isFinite(heat) && heat >= 0 ? heat / (c.plant.waterKWPerLpmK * flow) : null,
      clamped,
      rateLimited,
      mode,
      reason,
      aim,
      predictedPowerKW: choice ? choice.powerKW : null,
      overrideActive: this.override !== null,
    };
  }

  /** The flows and supplies the ramp limits allow to write at `now`, from the last write. */
  private reach(fromFlow: number, fromSupply: number, now: number): { flowLpm: [number, number]; supplyC: [number, number] } {
    const lim = this.c.limits;
    const dtMin = this.last ? Math.max(0, now - this.last.tS) / 60 : 0;
    const dF = lim.flowRampLpmPerMin * dtMin;
    const dS = lim.supplyRampCPerMin * dtMin;
    return { flowLpm: [fromFlow - dF, fromFlow + dF], supplyC: [fromSupply - dS, fromSupply + dS] };
  }

  /** The supply floor: the CDU's minimum, or the dew point plus its margin when higher (°C). */
  supplyFloor(dewPointC: unknown): number {
    const lim = this.c.limits;
    const dew = num(dewPointC);
    const floor = Number.isFinite(dew) ? Math.max(lim.supplyMinC, dew + lim.dewPointMarginK) : lim.supplyMinC;
    return Math.min(floor, lim.supplyMaxC);
  }

  private applyOverride(o: unknown): void {
    if (o === undefined || o === null) return;
    if (o === false || o === 'release' || (typeof o === 'object' && (o as { release?: unknown }).release === true)) {
      this.override = null;
      return;
    }
    if (typeof o !== 'object') return;
    const r = o as { flowLpm?: unknown; supplyC?: unknown; supplyTempC?: unknown };
    const flow = num(r.flowLpm);
    const supply = num(r.supplyTempC ?? r.supplyC);
    const base = this.override ?? this.last ?? this.c.safe;
    this.override = {
      flowLpm: Number.isFinite(flow) ? flow : base.flowLpm,
      supplyC: Number.isFinite(supply) ? supply : base.supplyC,
    };
  }

  private usableForecast(f: ForecastIn | null | undefined, now: number): { upper: number; assumedSupplyC: number | null; coolantOffsetK: number | null } | string {
    if (!f || typeof f !== 'object') return 'missing';
    if (f.ready === false) return 'not-ready';
    const predicted = num(f.predicted);
    if (!Number.isFinite(predicted)) return 'missing';
    const t = num(f.t);
    if (!Number.isFinite(t) || now - t > this.c.staleAfterS || t - now > this.c.staleAfterS) return 'stale';
    const high = num(f.interval?.high);
    const upper = Number.isFinite(high) && high >= predicted ? high : predicted + this.c.defaultIntervalK;
    const assumed = num(f.assumedSupplyC);
    const offset = num(f.assumedCoolantOffsetK);
    return { upper, assumedSupplyC: Number.isFinite(assumed) ? assumed : null, coolantOffsetK: Number.isFinite(offset) ? offset : null };
  }
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number.NaN;
}

function isFiniteNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
