// One batched, outage-proof writer per InfluxDB config node.
//
// Points are queued and written in batches (size or interval, whichever comes first), one batch
// in flight at a time so that they reach the database in the order they came. When a write
// fails for a reason that can pass (network, 5xx, timeout), the writer keeps the points,
// retries with exponential backoff and flushes in order once the database answers again.
// With a spill file, everything buffered during an outage is on disk, so a restart (or a kill)
// loses nothing; a point written twice is harmless because InfluxDB keeps one point per series
// and timestamp. Past the buffer limit, new points are dropped, counted and reported, never
// silently: the buffered history stays contiguous.
import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import type { IPoint, IWriteOptions } from 'influx';

export interface PointSink {
  writePoints(points: IPoint[], options?: IWriteOptions): Promise<void>;
}

export type WriterState = 'connected' | 'buffering' | 'dropping' | 'closed';

export interface WriterOptions {
  sink: PointSink;
  database: string;
  retentionPolicy?: string;
  precision?: 'n' | 'u' | 'ms' | 's';
  batchSize: number;
  flushIntervalMs: number;
  /** Most points kept while the database is unreachable (memory + spill file). */
  maxBuffered: number;
  /** JSON-lines file that holds the backlog during an outage; survives a restart. */
  spillFile?: string;
  backoff?: { initialMs: number; maxMs: number };
  /** Decides whether a failed write can succeed later (default: network errors and 5xx). */
  isTransient?: (err: unknown) => boolean;
  /** Called when the database rejects a batch for good (bad data, auth): those points are counted as rejected. */
  onRejected?: (err: unknown, count: number) => void;
  /**
   * Batches from memory written at once (default 2): while the database stores one, the next is
   * being encoded and sent. The backlog of an outage (in memory or in the spill file) goes one at a time.
   */
  inFlight?: number;
}

export interface WriterStats {
  state: WriterState;
  buffered: number;
  written: number;
  dropped: number;
  rejected: number;
  retries: number;
  lastError?: string;
}

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ESOCKETTIMEDOUT']);

export function isTransientInfluxError(err: unknown): boolean {
  const e = err as { code?: string; name?: string; res?: { statusCode?: number }; message?: string; constructor?: { name?: string } };
  if (!e) return false;
  if (e.code && TRANSIENT_CODES.has(e.code)) return true;
  if (e.constructor?.name === 'ServiceNotAvailableError') return true;
  const status = e.res?.statusCode;
  if (status !== undefined) return status >= 500 || status === 408 || status === 429;
  return /timed out|socket hang up|No host available/i.test(e.message ?? '');
}

/** A FIFO of points that does not shift arrays (a million points must stay cheap). */
class PointQueue {
  private items: IPoint[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(points: IPoint[]): void {
    for (let i = 0; i < points.length; i++) this.items.push(points[i]);
  }
  peek(n: number): IPoint[] {
    return this.items.slice(this.head, this.head + n);
  }
  drop(n: number): void {
    this.head += n;
    if (this.head > 65536 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
  takeAll(): IPoint[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }
}

/** The backlog on disk: appended at the end, read from the front in batches. */
class SpillFile {
  private readOffset = 0;
  count = 0;
  constructor(readonly file: string) {}

  /** Loads what an earlier run left behind; returns the number of points in it. */
  open(): number {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    if (!fs.existsSync(this.file)) return 0;
    const text = fs.readFileSync(this.file, 'utf8');
    let n = 0;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
    this.count = n;
    return n;
  }

  append(points: IPoint[]): void {
    if (points.length === 0) return;
    let out = '';
    for (const p of points) out += JSON.stringify(p) + '\n';
    fs.appendFileSync(this.file, out);
    this.count += points.length;
  }

  /** Reads up to n points from the front without consuming them; returns them and their byte length. */
  async peek(n: number): Promise<{ points: IPoint[]; bytes: number }> {
    const fh = await fs.promises.open(this.file, 'r');
    try {
      const points: IPoint[] = [];
      let bytes = 0;
      let carry = '';
      const chunk = Buffer.alloc(1 << 20);
      let pos = this.readOffset;
      while (points.length < n) {
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        const text = carry + chunk.toString('utf8', 0, bytesRead);
        let start = 0;
        let nl: number;
        while (points.length < n && (nl = text.indexOf('\n', start)) >= 0) {
          const line = text.slice(start, nl);
          bytes += Buffer.byteLength(line) + 1;
          start = nl + 1;
          if (line) points.push(reviveDates(JSON.parse(line)));
        }
        carry = text.slice(start);
      }
      return { points, bytes };
    } finally {
      await fh.close();
    }
  }

  consume(points: number, bytes: number): void {
    this.readOffset += bytes;
    this.count -= points;
    if (this.count <= 0) this.clear();
  }

  clear(): void {
    this.count = 0;
    this.readOffset = 0;
    try {
      fs.rmSync(this.file, { force: true });
    } catch {
      /* already gone */
    }
  }
}

function reviveDates(p: IPoint): IPoint {
  if (typeof p.timestamp === 'string' && /^\d{4}-\d\d-\d\dT/.test(p.timestamp)) p.timestamp = new Date(p.timestamp);
  return p;
}

export class BufferedInfluxWriter extends EventEmitter {
  private readonly queue = new PointQueue();
  private readonly spill?: SpillFile;
  private spilling = false;
  private flushing = false;
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private retryDelay: number;
  private closed = false;
  private stats: WriterStats = { state: 'connected', buffered: 0, written: 0, dropped: 0, rejected: 0, retries: 0 };
  private readonly writeOptions: IWriteOptions;
  private readonly isTransient: (err: unknown) => boolean;

  constructor(private readonly opts: WriterOptions) {
    super();
    if (!(opts.batchSize >= 1)) throw new Error('batch size must be at least 1');
    if (!(opts.maxBuffered >= opts.batchSize)) throw new Error('buffer limit must be at least the batch size');
    this.retryDelay = opts.backoff?.initialMs ?? 500;
    this.isTransient = opts.isTransient ?? isTransientInfluxError;
    this.writeOptions = { database: opts.database, precision: opts.precision ?? 'ms' };
    if (opts.retentionPolicy) this.writeOptions.retentionPolicy = opts.retentionPolicy;
    if (opts.spillFile) {
      this.spill = new SpillFile(opts.spillFile);
      if (this.spill.open() > 0) {
        // A backlog from an earlier run goes out before anything new.
        this.spilling = true;
        this.setState('buffering');
        setImmediate(() => void this.flush());
      }
    }
    this.timer = setInterval(() => void this.flush(), opts.flushIntervalMs);
    this.timer.unref?.();
  }

  get buffered(): number {
    return this.queue.length + (this.spill?.count ?? 0);
  }

  getStats(): WriterStats {
    return { ...this.stats, buffered: this.buffered };
  }

  /** Queues points; never throws for an outage. Returns how many were accepted. */
  write(points: IPoint[]): number {
    if (this.closed) throw new Error('the InfluxDB writer is closed');
    const room = this.opts.maxBuffered - this.buffered;
    let accepted = points;
    if (points.length > room) {
      accepted = points.slice(0, Math.max(0, room));
      this.stats.dropped += points.length - accepted.length;
      this.setState('dropping');
    }
    if (this.spilling && this.spill) this.spill.append(accepted);
    else this.queue.push(accepted);
    // A full batch starts its request now, not after the msgs already queued in this turn: the
    // database stores it while the flow goes on (flush() runs synchronously up to the request).
    if (this.queue.length >= this.opts.batchSize && !this.flushing && !this.retryTimer) void this.flush();
    return accepted.length;
  }

  /** Writes out what is queued, batch after batch, until empty or the database fails. */
  async flush(): Promise<void> {
    if (this.flushing || this.retryTimer || this.closed) return;
    this.flushing = true;
    try {
      while (!this.closed) {
        if (this.queue.length > 0) {
          // After an outage the backlog goes one batch at a time, in order, as the help promises.
          const window = this.stats.state === 'connected' ? Math.max(1, Math.floor(this.opts.inFlight ?? 2)) : 1;
          if (!(await this.writeWindow(window))) return;
        } else if (this.spill && this.spill.count > 0) {
          if (!(await this.writeSpilled(this.spill))) return;
        } else break;
        this.retryDelay = this.opts.backoff?.initialMs ?? 500;
        if (this.spilling && this.spill && this.spill.count === 0 && this.queue.length === 0) this.spilling = false;
        if (this.stats.state !== 'connected' && this.buffered < this.opts.batchSize) this.setState('connected');
      }
    } finally {
      this.flushing = false;
    }
  }

  /** The oldest batch of the outage backlog, one at a time so it lands in order. Returns false to stop. */
  private async writeSpilled(spill: SpillFile): Promise<boolean> {
    const { points, bytes } = await spill.peek(this.opts.batchSize);
    if (points.length === 0) return false;
    if (!this.settle(await Promise.allSettled([this.send(points)]), [points])) return false;
    spill.consume(points.length, bytes);
    return true;
  }

  /**
   * Writes up to `window` batches from the head of the queue at once. Nothing is dropped from the
   * queue until all have answered: on a transient failure the whole window stays queued (the outage
   * path takes it, in order) and the batches that did arrive are written again, which InfluxDB
   * takes as the same points (same series and time, same values). Returns false to stop.
   */
  private async writeWindow(window: number): Promise<boolean> {
    const size = this.opts.batchSize;
    const points = this.queue.peek(Math.min(this.queue.length, size * window));
    const batches: IPoint[][] = [];
    for (let i = 0; i < points.length; i += size) batches.push(points.slice(i, i + size));
    if (!this.settle(await Promise.allSettled(batches.map((b) => this.send(b))), batches)) return false;
    this.queue.drop(points.length);
    return true;
  }

  /** One write; a sink that throws at once fails the promise like one that rejects. */
  private async send(batch: IPoint[]): Promise<void> {
    return this.opts.sink.writePoints(batch, this.writeOptions);
  }

  /**
   * Counts what the database answered for each batch: an outage (transient) stops the flush and
   * keeps every batch; a batch refused for good (bad data, rights) is counted and passed over.
   */
  private settle(results: PromiseSettledResult<void>[], batches: IPoint[][]): boolean {
    const transient = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && this.isTransient(r.reason));
    if (transient) {
      this.onOutage(transient.reason);
      return false;
    }
    if (this.closed) return false;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        this.stats.written += batches[i].length;
        return;
      }
      this.stats.rejected += batches[i].length;
      this.stats.lastError = errorText(r.reason);
      this.opts.onRejected?.(r.reason, batches[i].length);
    });
    return true;
  }

  private onOutage(err: unknown): void {
    this.stats.lastError = errorText(err);
    this.stats.retries++;
    if (this.spill && !this.spilling) {
      // From now on the backlog lives on disk, in order: first what was queued, then what comes.
      this.spill.append(this.queue.takeAll());
      this.spilling = true;
    }
    if (this.stats.state !== 'dropping') this.setState('buffering');
    else this.emit('state', this.getStats());
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.opts.backoff?.maxMs ?? 30000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, delay);
  }

  private setState(state: WriterState): void {
    if (this.stats.state === state) return;
    this.stats.state = state;
    this.emit('state', this.getStats());
  }

  /**
   * Flushes what it can before `deadline` (ms since epoch), then stops. Whatever is left goes
   * to the spill file when there is one; otherwise it is reported as lost.
   */
  async close(deadline = Date.now() + 10000): Promise<{ flushed: number; spilled: number; lost: number }> {
    if (this.closed) return { flushed: 0, spilled: 0, lost: 0 };
    clearInterval(this.timer);
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    const before = this.stats.written;
    while (this.flushing && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (!this.spilling) {
      // One last attempt within the time left; a failure leaves the points in the queue.
      const attempt = this.flushOnce();
      // Clear the deadline timer once the attempt has won: a redeploy must not leave it behind.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([attempt, new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
    }
    this.closed = true;
    const left = this.queue.takeAll();
    let spilled = 0;
    let lost = 0;
    if (this.spill) {
      this.spill.append(left);
      spilled = this.spill.count;
    } else lost = left.length;
    this.setState('closed');
    return { flushed: this.stats.written - before, spilled, lost };
  }

  private async flushOnce(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.peek(this.opts.batchSize);
      try {
        await this.opts.sink.writePoints(batch, this.writeOptions);
      } catch {
        return;
      }
      if (this.closed) return;
      this.queue.drop(batch.length);
      this.stats.written += batch.length;
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
