// At most N requests to one provider at a time; the rest wait in arrival order. One limiter
// belongs to one provider config node, so every engine that shares a server shares its limit.

type Waiter = { start: () => void; cancel: (err: unknown) => void };

export interface LimiterState {
  inFlight: number;
  queued: number;
}

export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private readonly listeners = new Set<(s: LimiterState) => void>();
  /** Most requests ever running at once (for status and tests). */
  peak = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max concurrent requests must be a whole number ≥ 1, got ${max}`);
  }

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Calls `listener` whenever the in-flight or queued count changes; returns the unsubscribe. */
  onChange(listener: (s: LimiterState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs `task` once a slot is free. A `signal` aborted while waiting takes it out of the queue. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.running < this.max) {
      this.take();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        this.emit();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.take();
          resolve();
        },
        cancel: reject,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      this.emit();
    });
  }

  private take(): void {
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    this.emit();
  }

  private release(): void {
    this.running--;
    const next = this.waiting.shift();
    if (next) next.start(); // hands the slot over; start() counts it again and emits
    else this.emit();
  }

  private emit(): void {
    const state = { inFlight: this.running, queued: this.waiting.length };
    for (const l of this.listeners) l(state);
  }
}
