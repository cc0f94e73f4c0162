// The GPU DVFS actuator for one instance: its GPUs' SM clock, applied with nvidia-smi.
//
// The controller may decide faster than nvidia-smi answers (a call takes 0.1–2 s on a real
// host). Only the newest decision matters, so decisions made while a call runs replace one
// another and just the last is applied; a clock equal to the one in force costs no call.
// On close (node removed or redeployed) the clocks go back to the driver with `-rgc`, unless
// nothing was ever locked, or locking was refused before it changed anything.
import { AdapterError } from './errors';
import type { GpuSample, NvidiaSmi } from './nvidia-smi';

export interface ClockActuatorOptions {
  /** Give the clocks back to the driver on close (default true). */
  resetOnClose?: boolean;
}

export class GpuClockActuator {
  private applied?: number;
  private wanted?: number;
  private running?: Promise<number>;
  /** A lock may be in force on the GPUs: reset them on close. */
  private touched = false;
  private closed = false;

  constructor(
    private readonly smi: NvidiaSmi,
    readonly gpus: number[],
    private readonly opts: ClockActuatorOptions = {},
  ) {
    if (!gpus.length) throw new AdapterError('ERR_BAD_CONFIG', 'the nvidia-smi actuator needs the GPU indices of the instance (e.g. 0,1,2,3)');
  }

  /** The clock last applied by this actuator (MHz); undefined before the first or after a reset. */
  get lockedMHz(): number | undefined {
    return this.applied;
  }

  /**
   * Locks the GPUs at `mhz`. Resolves with the clock in force once the newest request is
   * applied (which may be a later call's value); rejects with an AdapterError.
   */
  set(mhz: number): Promise<number> {
    if (this.closed) return Promise.reject(new AdapterError('ERR_BAD_CONFIG', 'the clock actuator is closed'));
    if (!this.running && mhz === this.applied) return Promise.resolve(mhz);
    this.wanted = mhz;
    if (!this.running) this.running = this.drain();
    return this.running;
  }

  private async drain(): Promise<number> {
    try {
      while (this.wanted !== undefined && this.wanted !== this.applied) {
        const mhz = this.wanted;
        try {
          await this.smi.lockClocks(this.gpus, mhz);
        } catch (err) {
          this.wanted = undefined;
          // A refusal changes nothing; a timeout or other failure may have left a lock behind.
          const unchanged = err instanceof AdapterError && ['ERR_PERMISSION', 'ERR_NOT_FOUND', 'ERR_UNSUPPORTED', 'ERR_BAD_CONFIG', 'ERR_MISSING'].includes(err.code);
          if (!unchanged) this.touched = true;
          throw err;
        }
        this.touched = true;
        this.applied = mhz;
      }
      this.wanted = undefined;
      return this.applied as number;
    } finally {
      this.running = undefined;
    }
  }

  /** Gives the clocks back to the driver now (after any call in flight). */
  async reset(): Promise<void> {
    this.wanted = undefined;
    await this.running?.catch(() => undefined);
    await this.smi.resetClocks(this.gpus);
    this.touched = false;
    this.applied = undefined;
  }

  /** The GPUs' current samples (clock, power, temperatures): what the lock achieved. */
  observe(): Promise<GpuSample[]> {
    return this.smi.query(this.gpus);
  }

  /** Stops taking requests; resets the clocks if this actuator may have locked them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wanted = undefined;
    await this.running?.catch(() => undefined);
    if (this.touched && this.opts.resetOnClose !== false) await this.reset();
  }
}
