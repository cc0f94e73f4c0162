// The review desk: holds the open reviews of one Human Review node, applies the rules in
// decide.ts, keeps every change in the persistence store, and runs the expiry timer. Open
// reviews are indexed by id in memory, so listing and deciding never wait on the store; the
// store is written behind, one review per key, in the order the changes happened.
//
// Deadlines are stored as absolute times (`expiresAt`), so after a restart `load()` schedules
// each review for the time that remained, and a review that expired while the runtime was
// down is settled as soon as the desk is loaded.

import { randomUUID } from 'node:crypto';
import { decide, expire, openReview, type DecisionResult, type Escalated, type Released, type ReviewDraft } from './decide';
import { diff } from './diff';
import { ExpiryQueue } from './expiry-queue';
import type { ReviewPersistence } from './persistence';
import type { DecisionInput, FieldChange, Recheck, Release, ReviewItem, ReviewPolicy } from './types';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface DeskOptions {
  persistence: ReviewPersistence;
  policy: ReviewPolicy;
  /** A review settled or escalated by its timer (decisions return their result instead). */
  onTimeout: (result: Released | Escalated) => void;
  onError?: (err: unknown) => void;
  clock?: Clock;
  recheck?: Recheck;
  newId?: () => string;
  /** Prefix of the store keys, so a desk can share a store with other data. */
  keyPrefix?: string;
}

/** An open review as a reviewer sees it in a list. */
export interface ReviewView {
  id: string;
  createdAt: number;
  expiresAt: number | null;
  status: ReviewItem['status'];
  payload: unknown;
  originalPayload: unknown;
  inputData: unknown;
  verification: ReviewItem['verification'];
  approvals: ReviewItem['approvals'];
  edits: FieldChange[];
  /** Input against output, field by field. */
  diff: FieldChange[];
  history: ReviewItem['history'];
}

export interface ListOptions {
  offset?: number;
  limit?: number;
}

// setTimeout keeps delays in a signed 32-bit integer; longer waits are taken in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

export class ReviewDesk {
  private readonly items = new Map<string, ReviewItem>();
  private readonly deadlines = new ExpiryQueue();
  private readonly clock: Clock;
  private readonly prefix: string;
  private policy: ReviewPolicy;
  private timer: unknown = null;
  private timerAt = Infinity;
  private writes: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: DeskOptions) {
    this.clock = opts.clock ?? systemClock;
    this.prefix = opts.keyPrefix ?? 'review_';
    this.policy = opts.policy;
  }

  get size(): number {
    return this.items.size;
  }

  get currentPolicy(): ReviewPolicy {
    return this.policy;
  }

  /** Reads the open reviews back from the store and schedules their deadlines. */
  async load(): Promise<number> {
    const keys = (await this.opts.persistence.keys()).filter((k) => k.startsWith(this.prefix));
    const loaded: ReviewItem[] = [];
    for (const key of keys) {
      const item = (await this.opts.persistence.get(key)) as ReviewItem | undefined;
      if (item && typeof item === 'object' && typeof item.id === 'string' && (item.status === 'pending' || item.status === 'escalated')) {
        loaded.push(item);
      } else {
        this.write(key, undefined);
      }
    }
    loaded.sort((a, b) => a.createdAt - b.createdAt);
    for (const item of loaded) {
      this.items.set(item.id, item);
      if (item.expiresAt !== null) this.deadlines.push({ at: item.expiresAt, id: item.id });
    }
    this.schedule();
    return loaded.length;
  }

  /** Opens a review for an output; returns the release when it was auto-approved. */
  submit(draft: ReviewDraft): { item: ReviewItem; release?: Release } {
    const id = this.opts.newId ? this.opts.newId() : randomUUID();
    const opened = openReview(draft, this.policy, this.clock.now(), id);
    if (opened.release) return opened;
    this.put(opened.item);
    return opened;
  }

  /** Applies a reviewer's decision. A refusal leaves the review as it was. */
  decide(input: DecisionInput): DecisionResult {
    const item = typeof input?.id === 'string' ? this.items.get(input.id) : undefined;
    if (!item) return { kind: 'refused', code: 'unknown-review', reason: `no open review with id ${String(input?.id)}` };
    const result = decide(item, input, this.policy, this.clock.now(), this.opts.recheck);
    if (result.kind === 'partial') this.put(result.item);
    else if (result.kind === 'released') this.remove(result.release.item.id);
    return result;
  }

  get(id: string): ReviewItem | undefined {
    return this.items.get(id);
  }

  /** Open reviews, oldest first. */
  list(opts: ListOptions = {}): ReviewView[] {
    const offset = Math.max(0, opts.offset ?? 0);
    const limit = Math.max(0, opts.limit ?? Infinity);
    const out: ReviewView[] = [];
    let i = 0;
    for (const item of this.items.values()) {
      if (i++ < offset) continue;
      if (out.length >= limit) break;
      out.push(reviewView(item));
    }
    return out;
  }

  /** A new policy (a redeploy with changed settings) applies to open reviews from now on. */
  setPolicy(policy: ReviewPolicy): void {
    this.policy = policy;
  }

  /** Resolves when every change so far has reached the store. */
  flush(): Promise<void> {
    return this.writes;
  }

  /** Stops the timer and waits for the store; open reviews stay in the store for next time. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.writes;
  }

  private put(item: ReviewItem): void {
    const previous = this.items.get(item.id);
    this.items.set(item.id, item);
    if (item.expiresAt !== null && item.expiresAt !== previous?.expiresAt) {
      this.deadlines.push({ at: item.expiresAt, id: item.id });
      this.schedule();
    }
    this.write(this.prefix + item.id, item);
  }

  private remove(id: string): void {
    this.items.delete(id);
    this.write(this.prefix + id, undefined);
  }

  private write(key: string, value: unknown): void {
    this.writes = this.writes
      .then(() => this.opts.persistence.set(key, value))
      .catch((err) => this.opts.onError?.(err));
  }

  private schedule(): void {
    if (this.closed) return;
    const next = this.deadlines.peek();
    if (!next) return;
    if (this.timer !== null && this.timerAt <= next.at) return;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timerAt = next.at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next.at - this.clock.now()));
    this.timer = this.clock.setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    if (this.closed) return;
    const now = this.clock.now();
    for (let d = this.deadlines.peek(); d && d.at <= now; d = this.deadlines.peek()) {
      this.deadlines.pop();
      const item = this.items.get(d.id);
      // Stale entry: decided meanwhile, or its deadline changed.
      if (!item || item.expiresAt !== d.at) continue;
      const result = expire(item, this.policy, now);
      if (result.kind === 'escalated') this.put(result.item);
      else this.remove(item.id);
      try {
        this.opts.onTimeout(result);
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
    this.schedule();
  }
}

/** A review as the list shows it, with its input/output diff. */
export function reviewView(item: ReviewItem): ReviewView {
  return {
    id: item.id,
    createdAt: item.createdAt,
    expiresAt: item.expiresAt,
    status: item.status,
    payload: item.payload,
    originalPayload: item.originalPayload,
    inputData: item.inputData,
    verification: item.verification,
    approvals: item.approvals,
    edits: item.edits,
    diff: diff(item.inputData, item.payload),
    history: item.history,
  };
}
