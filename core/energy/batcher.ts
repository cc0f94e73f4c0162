// The Queue Batcher (workload level of DynamoLLM): classifies each request into a pool by its
// prompt length and predicted output length, queues it per pool group, and releases a batch
// when it is full or when the oldest request's slack (its TTFT objective minus the expected
// service time, minus the time it has waited) is used up. Pools whose load could not keep an
// instance busy are merged with their neighbours; each pool group is routed to its own
// instance group. It learns output lengths online from completions.

import { EnergyInputError, nonNegative, requireId } from './errors';
import { OutputLengthPredictor, type PredictorStats } from './predictor';
import { allPools, checkThresholds, classify, classOf, DEFAULT_THRESHOLDS, poolClasses, type PoolThresholds } from './pools';
import { decodeStepMs, prefillTokensPerS, type LatencyPowerProfile, type Tp } from './profile';
import { DEFAULT_SLO, ttftSloMs, type SloSpec } from './slo';

export interface BatchRequest {
  id: string | number;
  inputTokens: number;
  maxOutputTokens?: number;
  /** Arrival (ms since the epoch); the batcher's clock when absent. */
  arrivedAt?: number;
}

export interface QueuedRequest {
  id: string;
  inputTokens: number;
  maxOutputTokens?: number;
  arrivedAt: number;
  pool: string;
  predictedOutputTokens: number;
}

export type ReleaseReason = 'size' | 'slack' | 'flush';

export interface Batch {
  /** The pool group released: one pool ("MS") or merged pools ("SS+SM"). */
  pool: string;
  requests: QueuedRequest[];
  size: number;
  oldestWaitMs: number;
  reason: ReleaseReason;
  /** Instance ids the group is routed to (empty until `plan` has seen instances). */
  instances: string[];
}

/** What the router knows of an instance (the twin's InstanceLoad has this shape). */
export interface RoutableInstance {
  readonly id: string;
  readonly tp: number;
  readonly freqMHz: number;
  readonly queuedTokens: number;
  readonly runningRequests: number;
}

export interface PoolStats {
  pool: string;
  group: string;
  queued: number;
  arrivalsPerS: number;
  inputTokensPerS: number;
  meanInputTokens: number;
  meanPredictedOutputTokens: number;
  /** Instance-equivalents of work the pool brings (see `workOf`). */
  work: number;
  instances: string[];
}

export interface BatcherOptions {
  thresholds?: PoolThresholds;
  maxBatchSize?: number;
  slo?: SloSpec;
  /** For the expected service time of a batch; without it service time is taken as 0. */
  profile?: LatencyPowerProfile;
  /** Pools bringing less than this many instance-equivalents of work are merged. */
  mergeBelow?: number;
  /** Window of the per-pool rates (s). */
  statsWindowS?: number;
  /** Per-instance prefill budget for the work estimate (share of an instance's prefill rate). */
  targetPrefillBusy?: number;
  /** Output tokens/s an instance carries comfortably, for the work estimate. */
  decodeTokensPerInstance?: number;
  predictorQuantile?: number;
  predictorPrior?: number;
  /** Share of a request's TTFT objective it may wait in its own group before spilling over (0–1). */
  spillShare?: number;
  /** Route pool groups to their own instances (true) or any instance (false). */
  grouping?: boolean;
}

interface PoolRate {
  arrivals: number;
  tokens: number;
  predicted: number;
}

export class QueueBatcher {
  readonly thresholds: PoolThresholds;
  readonly pools: string[];
  readonly predictor: OutputLengthPredictor;
  private readonly o: Required<Omit<BatcherOptions, 'profile' | 'thresholds' | 'slo'>> & { slo: SloSpec };
  private readonly profile?: LatencyPowerProfile;
  private readonly queues = new Map<string, QueuedRequest[]>();
  private readonly inputById = new Map<string, number>();
  /** Per-pool sums over the current and the previous rate bucket. */
  private cur = new Map<string, PoolRate>();
  private prev = new Map<string, PoolRate>();
  private bucketStartMs = Number.NaN;
  private poolToGroup = new Map<string, string>();
  private groupInstances = new Map<string, Set<string>>();
  private groupList = new Map<string, string[]>();
  private lastNowMs = 0;

  constructor(opts: BatcherOptions = {}) {
    this.thresholds = checkThresholds(opts.thresholds ?? DEFAULT_THRESHOLDS);
    this.pools = allPools(this.thresholds);
    this.profile = opts.profile;
    this.o = {
      maxBatchSize: opts.maxBatchSize ?? 8,
      slo: opts.slo ?? DEFAULT_SLO,
      mergeBelow: opts.mergeBelow ?? 0.5,
      statsWindowS: opts.statsWindowS ?? 60,
      targetPrefillBusy: opts.targetPrefillBusy ?? 0.4,
      decodeTokensPerInstance: opts.decodeTokensPerInstance ?? 2000,
      predictorQuantile: opts.predictorQuantile ?? 0.5,
      predictorPrior: opts.predictorPrior ?? 128,
      grouping: opts.grouping ?? true,
      spillShare: opts.spillShare ?? 0.3,
    };
    if (!Number.isInteger(this.o.maxBatchSize) || this.o.maxBatchSize < 1) {
      throw new EnergyInputError('ERR_BAD_CONFIG', `maxBatchSize must be an integer ≥ 1, got ${this.o.maxBatchSize}`);
    }
    this.predictor = new OutputLengthPredictor({
      inputBounds: this.thresholds.input,
      outputBounds: this.thresholds.output,
      quantile: this.o.predictorQuantile,
      prior: this.o.predictorPrior,
    });
    for (const p of this.pools) {
      this.queues.set(p, []);
      this.poolToGroup.set(p, p);
    }
  }

  /** Pool and predicted output length of a request, without queuing it; records the prediction under `id`. */
  classify(inputTokens: number, maxOutputTokens?: number, id?: string): { pool: string; predictedOutputTokens: number } {
    const predicted = id === undefined ? this.predictor.predict(inputTokens, maxOutputTokens) : this.predictor.predictFor(id, inputTokens, maxOutputTokens);
    return { pool: classify(this.thresholds, inputTokens, predicted), predictedOutputTokens: predicted };
  }

  /** Validates, classifies and queues a request; throws EnergyInputError on bad input. */
  add(req: BatchRequest, nowMs: number): QueuedRequest {
    const q = this.admit(req, nowMs);
    this.queues.get(q.pool)!.push(q);
    return q;
  }

  /** Validates and classifies a request for immediate routing (no queuing), counting it in the pool rates. */
  admit(req: BatchRequest, nowMs: number): QueuedRequest {
    if (req === null || typeof req !== 'object') throw new EnergyInputError('ERR_MISSING_ID', 'a request must be an object {id, inputTokens, maxOutputTokens?}');
    const id = requireId(req.id, 'request');
    const input = nonNegative(req.inputTokens, `request ${id}: inputTokens`, 'ERR_BAD_TOKENS');
    let max: number | undefined;
    if (req.maxOutputTokens !== undefined && req.maxOutputTokens !== null) {
      max = nonNegative(req.maxOutputTokens, `request ${id}: maxOutputTokens`, 'ERR_BAD_TOKENS');
    }
    const arrivedAt = req.arrivedAt === undefined || req.arrivedAt === null ? nowMs : nonNegative(req.arrivedAt, `request ${id}: arrivedAt`, 'ERR_BAD_TOKENS');
    this.lastNowMs = nowMs;
    const { pool, predictedOutputTokens } = this.classify(input, max, id);
    this.inputById.set(id, input);
    if (this.inputById.size > 200_000) this.inputById.delete(this.inputById.keys().next().value as string);
    this.count(pool, input, predictedOutputTokens, nowMs);
    return { id, inputTokens: input, maxOutputTokens: max, arrivedAt, pool, predictedOutputTokens };
  }

  /** Learns from a finished request: `{id, outputTokens, inputTokens?}`. */
  complete(c: { id: string | number; outputTokens: number; inputTokens?: number }): void {
    if (c === null || typeof c !== 'object') throw new EnergyInputError('ERR_MISSING_ID', 'a completion must be an object {id, outputTokens}');
    const id = requireId(c.id, 'completion');
    const out = nonNegative(c.outputTokens, `completion ${id}: outputTokens`, 'ERR_BAD_TOKENS');
    const input = c.inputTokens ?? this.inputById.get(id);
    if (input === undefined) throw new EnergyInputError('ERR_MISSING_ID', `completion ${id}: unknown request and no inputTokens given`);
    nonNegative(input, `completion ${id}: inputTokens`, 'ERR_BAD_TOKENS');
    this.inputById.delete(id);
    this.predictor.learn(id, input, out);
  }

  /** Releases full batches, and batches whose oldest request has no slack left. */
  poll(nowMs: number): Batch[] {
    this.lastNowMs = nowMs;
    const out: Batch[] = [];
    for (const [group, members] of this.groupMembers()) {
      let reqs = members.flatMap((p) => this.queues.get(p)!);
      if (reqs.length === 0) continue;
      if (members.length > 1) reqs.sort((a, b) => a.arrivedAt - b.arrivedAt);
      const released: QueuedRequest[][] = [];
      let reason: ReleaseReason = 'size';
      while (reqs.length >= this.o.maxBatchSize) {
        released.push(reqs.slice(0, this.o.maxBatchSize));
        reqs = reqs.slice(this.o.maxBatchSize);
      }
      if (reqs.length > 0 && this.slackMs(reqs, nowMs) <= 0) {
        released.push(reqs);
        reqs = [];
        reason = 'slack';
      }
      if (released.length === 0) continue;
      const gone = new Set(released.flat().map((r) => r.id));
      for (const p of members) this.queues.set(p, this.queues.get(p)!.filter((r) => !gone.has(r.id)));
      released.forEach((batch, k) => out.push(this.batch(group, batch, nowMs, k === released.length - 1 ? reason : 'size')));
    }
    return out;
  }

  /** Releases everything queued (on close or a flush command). */
  flush(nowMs: number): Batch[] {
    const out: Batch[] = [];
    for (const [group, members] of this.groupMembers()) {
      const reqs = members.flatMap((p) => this.queues.get(p)!).sort((a, b) => a.arrivedAt - b.arrivedAt);
      for (const p of members) this.queues.set(p, []);
      for (let i = 0; i < reqs.length; i += this.o.maxBatchSize) out.push(this.batch(group, reqs.slice(i, i + this.o.maxBatchSize), nowMs, 'flush'));
    }
    return out;
  }

  /** Time (ms) the oldest of `reqs` can still wait: its TTFT objective − expected service − waited. */
  slackMs(reqs: readonly QueuedRequest[], nowMs: number): number {
    let oldest = reqs[0];
    let tokens = 0;
    for (const r of reqs) {
      tokens += r.inputTokens;
      if (r.arrivedAt < oldest.arrivedAt) oldest = r;
    }
    return ttftSloMs(this.o.slo, oldest.inputTokens) - this.serviceMs(tokens) - (nowMs - oldest.arrivedAt);
  }

  /** Expected time to serve a batch of `tokens` prompt tokens on an idle TP8 instance at max clock (ms). */
  serviceMs(tokens: number): number {
    const prof = this.profile;
    if (!prof) return 0;
    return (1000 * tokens) / prefillTokensPerS(prof, 8, prof.maxClockMHz) + decodeStepMs(prof, 8, prof.maxClockMHz, 1);
  }

  get queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /**
   * Merges pools too small to keep an instance busy and splits `instances` among the pool
   * groups in proportion to their work; short-prompt groups get the smallest-TP instances.
   * Returns group → instance ids.
   */
  plan(instances: ReadonlyArray<{ id: string; tp: number }>, nowMs = this.lastNowMs): Record<string, string[]> {
    const work = new Map(this.pools.map((p) => [p, this.workOf(p, nowMs)] as const));
    const inputs = this.thresholds.input.length + 1;
    const outputs = this.thresholds.output.length + 1;
    // Groups start as single pools, input-major; merging joins neighbours in that order.
    let groups: string[][] = this.o.grouping ? this.pools.map((p) => [p]) : [this.pools.slice()];
    const groupWork = (g: string[]) => g.reduce((s, p) => s + (work.get(p) ?? 0), 0);
    const mergeSmallest = (limit: number): boolean => {
      if (groups.length <= 1) return false;
      let k = -1;
      let least = Infinity;
      groups.forEach((g, i) => {
        const w = groupWork(g);
        if (w < limit && w < least) {
          least = w;
          k = i;
        }
      });
      if (k < 0) return false;
      // Prefer a neighbour of the same input class (the next output class), else the adjacent group.
      const inputOf = (g: string[]) => poolClasses(g[0]).input;
      const sameInput = (j: number) => j >= 0 && j < groups.length && inputOf(groups[j]) === inputOf(groups[k]);
      const j = sameInput(k + 1) ? k + 1 : sameInput(k - 1) ? k - 1 : k + 1 < groups.length ? k + 1 : k - 1;
      const [a, b] = k < j ? [k, j] : [j, k];
      groups.splice(a, 2, [...groups[a], ...groups[b]]);
      return true;
    };
    while (mergeSmallest(this.o.mergeBelow));
    while (groups.length > Math.max(1, instances.length) && mergeSmallest(Infinity));
    void inputs;
    void outputs;
    // Largest-remainder split of the instances, at least one per group.
    const total = groups.reduce((s, g) => s + groupWork(g), 0);
    const n = instances.length;
    const shares = groups.map((g) => (total > 0 ? (groupWork(g) / total) * n : n / groups.length));
    const counts = shares.map((s) => Math.max(1, Math.floor(s)));
    while (counts.reduce((a, b) => a + b, 0) > n) {
      const i = counts.reduce((best, c, j) => (c > 1 && shares[j] - c < shares[best] - counts[best] ? j : best), counts.findIndex((c) => c > 1));
      if (i < 0) break;
      counts[i]--;
    }
    while (counts.reduce((a, b) => a + b, 0) < n) {
      let i = 0;
      for (let j = 1; j < counts.length; j++) if (shares[j] - counts[j] > shares[i] - counts[i]) i = j;
      counts[i]++;
    }
    const sorted = [...instances].sort((a, b) => a.tp - b.tp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.poolToGroup = new Map();
    this.groupInstances = new Map();
    this.groupList = new Map();
    const out: Record<string, string[]> = {};
    let at = 0;
    groups.forEach((g, i) => {
      const name = g.join('+');
      const ids = n > 0 ? sorted.slice(at, at + counts[i]).map((x) => x.id) : [];
      at += counts[i];
      for (const p of g) this.poolToGroup.set(p, name);
      this.groupInstances.set(name, new Set(ids));
      this.groupList.set(name, ids);
      out[name] = ids;
    });
    return out;
  }

  /** The group a pool is merged into. */
  groupOf(pool: string): string {
    return this.poolToGroup.get(pool) ?? pool;
  }

  /**
   * Picks the instance for a request: the least-waiting instance of its pool group (wait =
   * queued prompt tokens at the instance's prefill rate). When even that one would spend more
   * than `spillShare` of the request's TTFT objective waiting, the request spills over to the
   * least-waiting instance anywhere: pools keep long prompts away from short ones without
   * giving up the statistical multiplexing of one big cluster.
   */
  route(pool: string, candidates: readonly RoutableInstance[], inputTokens = 0): RoutableInstance | undefined {
    const members = this.groupInstances.get(this.groupOf(pool));
    let best: RoutableInstance | undefined;
    let bestWait = Infinity;
    let any: RoutableInstance | undefined;
    let anyWait = Infinity;
    for (const c of candidates) {
      const rate = this.profile ? prefillTokensPerS(this.profile, c.tp as Tp, c.freqMHz) : c.freqMHz * c.tp;
      const wait = (1000 * c.queuedTokens) / rate + c.runningRequests * 1e-6;
      if (wait < anyWait) {
        any = c;
        anyWait = wait;
      }
      if (members && members.has(c.id) && wait < bestWait) {
        best = c;
        bestWait = wait;
      }
    }
    if (!best) return any;
    return bestWait <= this.o.spillShare * ttftSloMs(this.o.slo, inputTokens) ? best : any;
  }

  stats(nowMs: number): { pools: PoolStats[]; predictor: PredictorStats; queued: number } {
    const pools = this.pools.map((p) => {
      const r = this.rate(p, nowMs);
      const group = this.groupOf(p);
      return {
        pool: p,
        group,
        queued: this.queues.get(p)!.length,
        arrivalsPerS: r.arrivals,
        inputTokensPerS: r.tokens,
        meanInputTokens: r.arrivals > 0 ? r.tokens / r.arrivals : 0,
        meanPredictedOutputTokens: r.arrivals > 0 ? r.predicted / r.arrivals : 0,
        work: this.workOf(p, nowMs),
        instances: this.groupList.get(group) ?? [],
      };
    });
    return { pools, predictor: this.predictor.stats(), queued: this.queued };
  }

  /** Instance-equivalents of work of a pool: prefill at the target busy share plus decode. */
  workOf(pool: string, nowMs: number): number {
    const r = this.rate(pool, nowMs);
    const prefill = this.profile ? prefillTokensPerS(this.profile, 8, this.profile.maxClockMHz) : 16000;
    return r.tokens / (prefill * this.o.targetPrefillBusy) + r.predicted / this.o.decodeTokensPerInstance;
  }

  /** Input class of a prompt length (for callers that group by prompt only). */
  inputClass(inputTokens: number): number {
    return classOf(inputTokens, this.thresholds.input);
  }

  private batch(group: string, reqs: QueuedRequest[], nowMs: number, reason: ReleaseReason): Batch {
    const oldest = reqs.reduce((m, r) => Math.min(m, r.arrivedAt), Infinity);
    return { pool: group, requests: reqs, size: reqs.length, oldestWaitMs: Math.max(0, nowMs - oldest), reason, instances: this.groupList.get(group) ?? [] };
  }

  private groupMembers(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const p of this.pools) {
      const g = this.groupOf(p);
      if (!m.has(g)) m.set(g, []);
      m.get(g)!.push(p);
    }
    return m;
  }

  /** Rates over a sliding window made of two half-window buckets. */
  private count(pool: string, tokens: number, predicted: number, nowMs: number): void {
    this.roll(nowMs);
    const r = this.cur.get(pool) ?? { arrivals: 0, tokens: 0, predicted: 0 };
    r.arrivals++;
    r.tokens += tokens;
    r.predicted += predicted;
    this.cur.set(pool, r);
  }

  private roll(nowMs: number): void {
    const half = (this.o.statsWindowS * 1000) / 2;
    if (Number.isNaN(this.bucketStartMs)) this.bucketStartMs = nowMs;
    while (nowMs - this.bucketStartMs >= half) {
      this.prev = this.cur;
      this.cur = new Map();
      this.bucketStartMs += half;
      if (nowMs - this.bucketStartMs >= 2 * half) {
        this.prev = new Map();
        this.bucketStartMs = nowMs;
      }
    }
  }

  private rate(pool: string, nowMs: number): PoolRate {
    this.roll(nowMs);
    const half = (this.o.statsWindowS * 1000) / 2;
    const a = this.cur.get(pool) ?? { arrivals: 0, tokens: 0, predicted: 0 };
    const b = this.prev.get(pool) ?? { arrivals: 0, tokens: 0, predicted: 0 };
    // The previous bucket counts in full, the current one for the time it has run.
    const spanS = Math.max(1, (half + Math.max(0, nowMs - this.bucketStartMs)) / 1000);
    const hasPrev = this.prev.size > 0;
    const s = hasPrev ? spanS : Math.max(1, (nowMs - this.bucketStartMs) / 1000);
    return { arrivals: (a.arrivals + b.arrivals) / s, tokens: (a.tokens + b.tokens) / s, predicted: (a.predicted + b.predicted) / s };
  }
}
