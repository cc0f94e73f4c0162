// GPU DVFS (instance level of DynamoLLM): for each instance, the lowest SM clock whose
// predicted TTFT and TBT stay inside the objective with a margin, from a latency/power profile
// and the instance's load, corrected online by the latencies it actually shows. A clock goes
// up at once when the observed latency eats the slack (or the queue says it is about to);
// it comes down only after the lower clock has looked safe for `holdS`. No telemetry for
// `staleS` puts the instance back at its highest allowed clock: the safe state.

import { EnergyInputError, nonNegative, requireId } from './errors';
import { LatencyCorrection, predict, prefillTokensPerS, type InstanceDemand, type LatencyPowerProfile, type Prediction, type Tp } from './profile';
import { checkSlo, DEFAULT_SLO, ttftSloMs, type SloSpec } from './slo';

export interface InstanceTelemetry {
  instance: string;
  /** Tensor parallelism of the instance (default: the controller's defaultTp). */
  tp?: number;
  /** Busy share of the GPUs (0–1); used when the prompt-token rate is not given. */
  load?: number;
  /** Requests waiting for prefill. */
  queueDepth?: number;
  /** Prompt tokens waiting for prefill. */
  queuedTokens?: number;
  /** Sequences decoding. */
  running?: number;
  /** Prompt tokens arriving per second. */
  prefillTokensPerS?: number;
  requestsPerS?: number;
  meanInputTokens?: number;
  /** Latency seen by a request that just finished (or a recent high percentile). */
  ttftMs?: number;
  tbtMs?: number;
  /** Prompt length of that request, for its TTFT objective. */
  inputTokens?: number;
  /** Clock the instance reports (MHz). */
  frequencyMHz?: number;
}

export type DvfsReason = 'initial' | 'slack-eaten' | 'queue-building' | 'predicted-slack' | 'needs-more' | 'stale-safe' | 'reset' | 'range';

export interface DvfsDecision {
  instance: string;
  frequencyMHz: number;
  previousMHz: number;
  /** TTFT slack of a mean prompt at the new clock (ms); negative = predicted miss. */
  slackMs: number;
  reason: DvfsReason;
  predicted: { ttftMs: number; tbtMs: number; powerW: number };
}

export interface DvfsOptions {
  profile: LatencyPowerProfile;
  slo?: SloSpec;
  minMHz?: number;
  maxMHz?: number;
  /** Share of each objective kept free (0–1). */
  margin?: number;
  /** Seconds a lower clock must look safe before stepping down. */
  holdS?: number;
  /** Seconds without telemetry before an instance goes back to its highest clock. */
  staleS?: number;
  /** Window over which observed latencies count (s). */
  windowS?: number;
  /** Share of recent completions above the slack line that counts as "slack eaten". */
  breachShare?: number;
  /** Reject telemetry of instances not registered with `setInstances`. */
  strictInstances?: boolean;
  defaultTp?: Tp;
  /** Learn latency corrections online from observed latencies. */
  learn?: boolean;
}

interface InstanceState {
  id: string;
  tp: Tp;
  mhz: number;
  lastSeenS: number;
  demand: InstanceDemand;
  /** Observed normalised latencies (observed / objective) with their time. */
  obsT: number[];
  obsTtft: number[];
  obsTbt: number[];
  /** Since when a lower clock has looked safe (s), NaN when not. */
  lowerSinceS: number;
  /** No stepping down before this time (s): after a step up. */
  holdUntilS: number;
  stale: boolean;
}

export class DvfsController {
  readonly clocks: number[];
  readonly minMHz: number;
  readonly maxMHz: number;
  readonly correction = new LatencyCorrection();
  private readonly o: Required<Omit<DvfsOptions, 'profile' | 'slo' | 'minMHz' | 'maxMHz'>>;
  private readonly slo: SloSpec;
  private readonly state = new Map<string, InstanceState>();
  private registered: Set<string> | null = null;

  constructor(private readonly profile: LatencyPowerProfile, opts: Omit<DvfsOptions, 'profile'> = {}) {
    this.slo = checkSlo(opts.slo ?? DEFAULT_SLO);
    const all = [...profile.clocksMHz].sort((a, b) => a - b);
    this.minMHz = opts.minMHz ?? all[0];
    this.maxMHz = opts.maxMHz ?? all[all.length - 1];
    if (!(this.minMHz <= this.maxMHz)) throw new EnergyInputError('ERR_CLOCK_RANGE', `clock range ${this.minMHz}–${this.maxMHz} MHz is empty`);
    this.clocks = all.filter((c) => c >= this.minMHz && c <= this.maxMHz);
    if (this.clocks.length === 0) throw new EnergyInputError('ERR_CLOCK_RANGE', `no clock of ${all.join(', ')} MHz lies in ${this.minMHz}–${this.maxMHz} MHz`);
    this.o = {
      margin: opts.margin ?? 0.2,
      holdS: opts.holdS ?? 15,
      staleS: opts.staleS ?? 30,
      windowS: opts.windowS ?? 20,
      breachShare: opts.breachShare ?? 0.05,
      strictInstances: opts.strictInstances ?? false,
      defaultTp: opts.defaultTp ?? 8,
      learn: opts.learn ?? true,
    };
    if (!(this.o.margin >= 0 && this.o.margin < 1)) throw new EnergyInputError('ERR_BAD_CONFIG', `margin must be in [0, 1), got ${this.o.margin}`);
  }

  /** Declares the instances that exist (their TP); others are dropped, and strict mode rejects unknown ones. */
  setInstances(list: ReadonlyArray<{ id: string; tp: number }>): void {
    this.registered = new Set(list.map((i) => i.id));
    for (const id of [...this.state.keys()]) if (!this.registered.has(id)) this.state.delete(id);
    for (const i of list) {
      const s = this.state.get(i.id);
      if (s) s.tp = checkTp(i.tp, i.id);
    }
  }

  /** The clock the controller believes an instance runs at. */
  clockOf(instance: string): number | undefined {
    return this.state.get(instance)?.mhz;
  }

  /**
   * Takes one telemetry sample. Returns a decision when the clock must go up now (slack
   * eaten or queue building); stepping down waits for `decide`.
   */
  observe(t: InstanceTelemetry, nowS: number): DvfsDecision | null {
    const s = this.ingest(t, nowS);
    const up = this.upNow(s, nowS);
    return up;
  }

  /** The periodic decision for every known instance (call every few seconds). */
  decide(nowS: number): DvfsDecision[] {
    const out: DvfsDecision[] = [];
    for (const s of this.state.values()) {
      if (nowS - s.lastSeenS > this.o.staleS) {
        if (!s.stale || s.mhz !== this.maxMHz) out.push(this.apply(s, this.maxMHz, 'stale-safe', nowS));
        s.stale = true;
        continue;
      }
      const up = this.upNow(s, nowS);
      if (up) {
        out.push(up);
        continue;
      }
      const target = this.lowestSafe(s);
      if (target > s.mhz) {
        out.push(this.apply(s, target, 'needs-more', nowS));
        s.holdUntilS = nowS + this.o.holdS;
      } else if (target < s.mhz) {
        if (Number.isNaN(s.lowerSinceS)) s.lowerSinceS = nowS;
        if (nowS - s.lowerSinceS >= this.o.holdS && nowS >= s.holdUntilS) out.push(this.apply(s, target, 'predicted-slack', nowS));
      } else {
        s.lowerSinceS = Number.NaN;
      }
    }
    return out;
  }

  /** Every instance back to its highest allowed clock (node close, controller off). */
  reset(nowS = 0): DvfsDecision[] {
    return [...this.state.values()].map((s) => this.apply(s, this.maxMHz, 'reset', nowS));
  }

  /** What the profile (with its learned correction) predicts for an instance at `mhz`. */
  predictAt(instance: string, mhz: number): Prediction {
    const s = this.state.get(instance);
    if (!s) throw new EnergyInputError('ERR_UNKNOWN_INSTANCE', `no telemetry yet for instance "${instance}"`);
    return this.corrected(s, mhz);
  }

  private ingest(t: InstanceTelemetry, nowS: number): InstanceState {
    if (t === null || typeof t !== 'object') throw new EnergyInputError('ERR_BAD_TELEMETRY', 'telemetry must be an object {instance, load, queueDepth, ttftMs?, tbtMs?}');
    const id = requireId(t.instance, 'telemetry');
    if (this.registered && !this.registered.has(id) && this.o.strictInstances) {
      throw new EnergyInputError('ERR_UNKNOWN_INSTANCE', `unknown instance "${id}" (known: ${[...this.registered].slice(0, 8).join(', ')}${this.registered.size > 8 ? ', …' : ''})`);
    }
    const num = (v: unknown, what: string) => (v === undefined || v === null ? undefined : nonNegative(v, `instance ${id}: ${what}`, 'ERR_BAD_TELEMETRY'));
    const load = num(t.load, 'load');
    if (load !== undefined && load > 1.0001) throw new EnergyInputError('ERR_BAD_TELEMETRY', `instance ${id}: load is a share 0–1, got ${load}`);
    const freq = num(t.frequencyMHz, 'frequencyMHz');
    if (freq !== undefined && !this.profile.clocksMHz.includes(freq)) {
      throw new EnergyInputError('ERR_CLOCK_RANGE', `instance ${id}: ${freq} MHz is not one of the clocks ${this.profile.clocksMHz.join(', ')}`);
    }
    let s = this.state.get(id);
    if (!s) {
      const tp = checkTp(t.tp ?? this.o.defaultTp, id);
      s = {
        id,
        tp,
        mhz: freq ?? this.maxMHz,
        lastSeenS: nowS,
        demand: { tp, prefillTokensPerS: 0, requestsPerS: 0, meanInputTokens: 1024, running: 0, queuedTokens: 0 },
        obsT: [],
        obsTtft: [],
        obsTbt: [],
        lowerSinceS: Number.NaN,
        holdUntilS: -Infinity,
        stale: false,
      };
      this.state.set(id, s);
    }
    if (t.tp !== undefined) s.tp = s.demand.tp = checkTp(t.tp, id);
    if (freq !== undefined) s.mhz = freq;
    s.lastSeenS = nowS;
    s.stale = false;
    const d = s.demand;
    const queued = num(t.queuedTokens, 'queuedTokens');
    const depth = num(t.queueDepth, 'queueDepth');
    if (queued !== undefined) d.queuedTokens = queued;
    else if (depth !== undefined) d.queuedTokens = depth * d.meanInputTokens;
    const running = num(t.running, 'running');
    if (running !== undefined) d.running = running;
    const mean = num(t.meanInputTokens, 'meanInputTokens');
    if (mean !== undefined && mean > 0) d.meanInputTokens = mean;
    const tok = num(t.prefillTokensPerS, 'prefillTokensPerS');
    const req = num(t.requestsPerS, 'requestsPerS');
    if (tok !== undefined) {
      d.prefillTokensPerS = tok;
      d.requestsPerS = req ?? tok / d.meanInputTokens;
    } else if (load !== undefined) {
      // Only a busy share: read it as the prefill share at the current clock.
      d.prefillTokensPerS = load * prefillTokensPerS(this.profile, s.tp, s.mhz);
      d.requestsPerS = req ?? d.prefillTokensPerS / d.meanInputTokens;
    } else if (req !== undefined) {
      d.requestsPerS = req;
      d.prefillTokensPerS = req * d.meanInputTokens;
    }
    const ttft = num(t.ttftMs, 'ttftMs');
    const tbt = num(t.tbtMs, 'tbtMs');
    if (ttft !== undefined || tbt !== undefined) {
      const input = num(t.inputTokens, 'inputTokens') ?? d.meanInputTokens;
      s.obsT.push(nowS);
      s.obsTtft.push(ttft === undefined ? 0 : ttft / ttftSloMs(this.slo, input));
      s.obsTbt.push(tbt === undefined ? 0 : tbt / this.slo.tbtMs);
      if (this.o.learn) {
        const pred = predict(this.profile, this.slo, d, s.mhz);
        const observed = { ttftMs: ttft === undefined ? undefined : (ttft / ttftSloMs(this.slo, input)) * pred.ttftSloMs, tbtMs: tbt };
        this.correction.observe(`TP${s.tp}@${s.mhz}`, observed, pred);
        this.correction.observe(`TP${s.tp}`, observed, pred);
      }
    }
    this.trim(s, nowS);
    return s;
  }

  private trim(s: InstanceState, nowS: number): void {
    let k = 0;
    while (k < s.obsT.length && s.obsT[k] < nowS - this.o.windowS) k++;
    if (k > 0) {
      s.obsT.splice(0, k);
      s.obsTtft.splice(0, k);
      s.obsTbt.splice(0, k);
    }
  }

  /** A step up that cannot wait: recent latencies over the slack line, or a queue that will be. */
  private upNow(s: InstanceState, nowS: number): DvfsDecision | null {
    if (s.mhz >= this.maxMHz) return null;
    this.trim(s, nowS);
    const line = 1 - this.o.margin / 2;
    let breaches = 0;
    for (let i = 0; i < s.obsT.length; i++) if (s.obsTtft[i] > line || s.obsTbt[i] > line) breaches++;
    if (breaches >= 2 && breaches >= this.o.breachShare * s.obsT.length) {
      s.holdUntilS = nowS + this.o.holdS;
      // The observations were made at the current clock: clear them so one burst is not counted twice.
      s.obsT.length = s.obsTtft.length = s.obsTbt.length = 0;
      return this.apply(s, this.maxMHz, 'slack-eaten', nowS);
    }
    const now = this.corrected(s, s.mhz);
    const backlogMs = (1000 * s.demand.queuedTokens) / prefillTokensPerS(this.profile, s.tp, s.mhz);
    if (backlogMs > (1 - this.o.margin) * now.ttftSloMs) {
      s.holdUntilS = nowS + this.o.holdS;
      const target = this.clocks.find((c) => c > s.mhz && (1000 * s.demand.queuedTokens) / prefillTokensPerS(this.profile, s.tp, c) <= (1 - this.o.margin) * now.ttftSloMs) ?? this.maxMHz;
      return this.apply(s, target, 'queue-building', nowS);
    }
    return null;
  }

  private lowestSafe(s: InstanceState): number {
    const m = 1 - this.o.margin;
    for (const c of this.clocks) {
      const p = this.corrected(s, c);
      if (p.ttftMs <= m * p.ttftSloMs && p.tbtMs <= m * this.slo.tbtMs) return c;
    }
    return this.maxMHz;
  }

  private corrected(s: InstanceState, mhz: number): Prediction {
    const p = predict(this.profile, this.slo, s.demand, mhz);
    if (!this.o.learn) return p;
    // A clock seldom visited borrows the correction learned over all clocks of its TP.
    const own = this.correction.factors(`TP${s.tp}@${mhz}`);
    const f = own.samples >= 30 ? own : this.correction.factors(`TP${s.tp}`);
    return { ...p, ttftMs: p.ttftMs * Math.max(1, f.ttft), tbtMs: p.tbtMs * Math.max(1, f.tbt) };
  }

  private apply(s: InstanceState, mhz: number, reason: DvfsReason, nowS: number): DvfsDecision {
    const prev = s.mhz;
    s.mhz = mhz;
    s.lowerSinceS = Number.NaN;
    void nowS;
    const p = this.corrected(s, mhz);
    return {
      instance: s.id,
      frequencyMHz: mhz,
      previousMHz: prev,
      slackMs: p.ttftSloMs - p.ttftMs,
      reason,
      predicted: { ttftMs: p.ttftMs, tbtMs: p.tbtMs, powerW: p.powerW },
    };
  }
}

function checkTp(tp: unknown, id: string): Tp {
  if (tp === 2 || tp === 4 || tp === 8) return tp;
  throw new EnergyInputError('ERR_BAD_TELEMETRY', `instance ${id}: tensor parallelism must be 2, 4 or 8, got ${String(tp)}`);
}
