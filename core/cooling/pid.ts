// A PI(D) loop in velocity form with output limits, the way a BMS runs one: the baseline
// controllers of bench:cooling (flow on the return ΔT, supply on the hottest GPU) use it.
// Velocity form has no integral to wind up: at a limit the output simply stays there.

export interface PidGains {
  /** Proportional gain (output units per error unit). */
  kp: number;
  /** Integral gain (output units per error unit per second). */
  ki: number;
  /** Derivative gain (output units per error unit per second of rate), usually 0. */
  kd: number;
  outMin: number;
  outMax: number;
  /** +1: output rises when the measurement is above the setpoint (cooling flow); −1 the opposite. */
  direction: 1 | -1;
}

export class Pid {
  private prevError: number | null = null;
  private prevPrevError: number | null = null;

  constructor(readonly g: PidGains, public output: number) {}

  /** One update after `dtS` seconds; non-finite measurements leave the output unchanged. */
  update(setpoint: number, measured: number, dtS: number): number {
    if (!Number.isFinite(measured) || !Number.isFinite(setpoint) || !(dtS > 0)) return this.output;
    const e = this.g.direction * (measured - setpoint);
    const e1 = this.prevError ?? e;
    const e2 = this.prevPrevError ?? e1;
    const du = this.g.kp * (e - e1) + this.g.ki * e * dtS + (this.g.kd / dtS) * (e - 2 * e1 + e2);
    this.output = Math.min(this.g.outMax, Math.max(this.g.outMin, this.output + du));
    this.prevPrevError = e1;
    this.prevError = e;
    return this.output;
  }
}
