// Reads a telemetry source on a fixed interval (nvidia-smi query, Prometheus scrape) and hands
// the readings on. Reads never overlap: the next one is planned when the last has finished, so a
// slow source stretches the interval instead of piling up calls. A poll tick while a read runs
// joins that read. The source's health is reported on change only (ok ↔ error, or a new error).
import type { Reading } from '../telemetry/catalogue';
import { AdapterError } from './errors';

export type PollState = 'ok' | 'error';

export interface PollerHooks {
  readings(readings: Reading[]): void;
  /** Called when the health changes; `error` is the failure (state 'error'). */
  state(state: PollState, error?: AdapterError | Error): void;
}

export class Poller {
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private closed = false;
  private lastKey = '';

  /** `intervalMs` 0 or less: read only when `poll()` is called. */
  constructor(
    private readonly read: () => Promise<Reading[]>,
    private readonly intervalMs: number,
    private readonly hooks: PollerHooks,
  ) {}

  /** First read now, then every interval. */
  start(): void {
    void this.poll();
  }

  /** Reads now (or joins the read in flight). Never rejects: failures go to `hooks.state`. */
  poll(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.inFlight) return this.inFlight;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight = this.once().finally(() => {
      this.inFlight = undefined;
      if (!this.closed && this.intervalMs > 0) this.timer = setTimeout(() => void this.poll(), this.intervalMs);
    });
    return this.inFlight;
  }

  private async once(): Promise<void> {
    let readings: Reading[];
    try {
      readings = await this.read();
    } catch (err) {
      if (this.closed) return;
      const e = err instanceof Error ? err : new Error(String(err));
      const key = 'error:' + e.message;
      if (key !== this.lastKey) this.hooks.state('error', e);
      this.lastKey = key;
      return;
    }
    if (this.closed) return;
    if (this.lastKey !== 'ok') this.hooks.state('ok');
    this.lastKey = 'ok';
    if (readings.length) this.hooks.readings(readings);
  }

  /** Stops the interval and waits for a read in flight (its result is dropped). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }
}
