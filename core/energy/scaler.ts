// Cluster Scaler (cluster level of DynamoLLM): how many servers serve the expected load at the
// least energy. The expected load is the recent load projected over a server's start-up time
// (180 s) along its trend, so the cluster scales out before the load arrives; scaling in drains
// servers (they finish their work first), one step at a time, after a cooldown. Capacity comes
// from the latency/power profile; a share of each server's prefill capacity is kept free, and
// that share adapts to the SLO attainment the cluster actually reaches (integral feedback), so
// the same settings hold on traces the scaler was never tuned on. Fed nothing, it holds.

import { EnergyInputError, nonNegative } from './errors';
import { decodeStepMs, decodeUtil, gpuPowerW, prefillTokensPerS, type LatencyPowerProfile } from './profile';
import { checkSlo, DEFAULT_SLO, type SloSpec } from './slo';

export interface ClusterLoad {
  requestsPerSec: number;
  /** Prompt tokens arriving per second (default: requests × meanInputTokens). */
  tokensPerSec?: number;
  /** Output tokens generated per second (default: requests × meanOutputTokens). */
  outputTokensPerSec?: number;
  /** Servers powered now (booting, serving or draining). */
  activeServers: number;
  /** Rolling SLO attainment (%), when known. */
  sloAttainmentPct?: number;
}

export type ScaleReason = 'initial' | 'scale-out' | 'scale-out-forecast' | 'slo-breach' | 'scale-in' | 'hold' | 'cooldown' | 'stale-hold' | 'bounds';

export interface ScaleDecision {
  target: number;
  current: number;
  delta: number;
  reason: ScaleReason;
  /** Servers the expected load needs, before bounds and pacing. */
  needed: number;
  /** Expected prompt tokens/s at now + start-up time. */
  forecastTokensPerS: number;
  /** Share of prefill capacity the scaler plans to use now (0–1). */
  targetBusy: number;
}

export interface ScalerOptions {
  slo?: SloSpec;
  minServers?: number;
  maxServers: number;
  /** Server power-on to serving (s). */
  bootS?: number;
  /** Seconds between scale-in steps, and after a scale-out before any scale-in. */
  cooldownS?: number;
  /** Window for the load trend (s). */
  trendWindowS?: number;
  /** Share of prefill capacity to plan for at first (0–1); adapts within [minBusy, maxBusy]. */
  targetBusy?: number;
  minBusy?: number;
  maxBusy?: number;
  /** SLO attainment to keep (%). */
  sloTargetPct?: number;
  /** Extra servers' worth of headroom on top of the need (share). */
  headroom?: number;
  /** Seconds without load samples before holding the current count. */
  staleS?: number;
  meanInputTokens?: number;
  meanOutputTokens?: number;
  /** Adapt targetBusy from the observed attainment. */
  adapt?: boolean;
  /** Burst length the cluster is sized for (s): the peak of the means over this span. */
  burstS?: number;
  /** Pick the count with the least predicted energy among those that fit (else the fewest). */
  energyAware?: boolean;
  /**
   * How servers follow load. 'linear': load / (capacity × busy share). 'sqrt': square-root
   * staffing, R + β·√R with R = load / (capacity × busy share): a cluster of many servers
   * multiplexes bursts better than a small one, so the spare capacity grows with √R, not R.
   * With 'sqrt' the SLO feedback adapts β (the quality-of-service margin), not the busy share.
   */
  staffing?: 'linear' | 'sqrt';
  /** Initial β of square-root staffing; adapts within [minBeta, maxBeta]. */
  beta?: number;
  minBeta?: number;
  maxBeta?: number;
  /** The load level to size for: 'peak' of the burst means over the trend window, or the 'mean' of the last burstS. */
  level?: 'peak' | 'mean';
  /** Attainment below target by this much (points) adds a server at once (SLO-breach step). */
  breachPts?: number;
  /** The most the trend may add to the level over the start-up time (share of the level). */
  maxTrendRise?: number;
}

interface Sample {
  t: number;
  tokens: number;
  output: number;
  requests: number;
}

export class ClusterScaler {
  private readonly o: Required<Omit<ScalerOptions, 'slo'>>;
  private readonly slo: SloSpec;
  private samples: Sample[] = [];
  private lastSampleS = -Infinity;
  private current: number | null = null;
  private lastOutS = -Infinity;
  private lastInS = -Infinity;
  private lastAdaptS = -Infinity;
  private busy: number;
  private beta = 2;
  private lastSlo: number | undefined;

  constructor(private readonly profile: LatencyPowerProfile, opts: ScalerOptions) {
    this.slo = checkSlo(opts.slo ?? DEFAULT_SLO);
    this.o = {
      minServers: opts.minServers ?? 1,
      maxServers: opts.maxServers,
      bootS: opts.bootS ?? 180,
      cooldownS: opts.cooldownS ?? 60,
      trendWindowS: opts.trendWindowS ?? 300,
      targetBusy: opts.targetBusy ?? 0.45,
      minBusy: opts.minBusy ?? 0.2,
      maxBusy: opts.maxBusy ?? 0.6,
      sloTargetPct: opts.sloTargetPct ?? 99.5,
      headroom: opts.headroom ?? 0.1,
      staleS: opts.staleS ?? 60,
      meanInputTokens: opts.meanInputTokens ?? 1024,
      meanOutputTokens: opts.meanOutputTokens ?? 200,
      burstS: opts.burstS ?? 60,
      adapt: opts.adapt ?? true,
      energyAware: opts.energyAware ?? false,
      staffing: opts.staffing ?? 'linear',
      beta: opts.beta ?? 2,
      minBeta: opts.minBeta ?? 0.5,
      maxBeta: opts.maxBeta ?? 5,
      level: opts.level ?? 'peak',
      breachPts: opts.breachPts ?? 1,
      maxTrendRise: opts.maxTrendRise ?? 0.5,
    };
    const o = this.o;
    if (!Number.isInteger(o.minServers) || o.minServers < 1) throw new EnergyInputError('ERR_BAD_CONFIG', `minServers must be an integer ≥ 1 (never zero by accident), got ${o.minServers}`);
    if (!Number.isInteger(o.maxServers) || o.maxServers < o.minServers) throw new EnergyInputError('ERR_BAD_CONFIG', `maxServers must be an integer ≥ minServers (${o.minServers}), got ${o.maxServers}`);
    if (!(o.minBusy > 0 && o.minBusy <= o.targetBusy && o.targetBusy <= o.maxBusy && o.maxBusy < 1)) throw new EnergyInputError('ERR_BAD_CONFIG', 'need 0 < minBusy ≤ targetBusy ≤ maxBusy < 1');
    if (!(o.minBeta >= 0 && o.minBeta <= o.beta && o.beta <= o.maxBeta)) throw new EnergyInputError('ERR_BAD_CONFIG', 'need 0 ≤ minBeta ≤ beta ≤ maxBeta');
    this.busy = o.targetBusy;
    this.beta = o.beta;
  }

  /** The square-root staffing margin currently planned for (adapted by the SLO feedback). */
  get qosBeta(): number {
    return this.beta;
  }

  /** Takes one load sample. */
  observe(load: ClusterLoad, nowS: number): void {
    if (load === null || typeof load !== 'object') throw new EnergyInputError('ERR_BAD_LOAD', 'load must be an object {requestsPerSec, tokensPerSec?, activeServers}');
    const req = nonNegative(load.requestsPerSec, 'requestsPerSec', 'ERR_BAD_LOAD');
    const tok = load.tokensPerSec === undefined ? req * this.o.meanInputTokens : nonNegative(load.tokensPerSec, 'tokensPerSec', 'ERR_BAD_LOAD');
    const out = load.outputTokensPerSec === undefined ? req * this.o.meanOutputTokens : nonNegative(load.outputTokensPerSec, 'outputTokensPerSec', 'ERR_BAD_LOAD');
    const active = nonNegative(load.activeServers, 'activeServers', 'ERR_BAD_LOAD');
    if (!Number.isInteger(active)) throw new EnergyInputError('ERR_BAD_LOAD', `activeServers must be a whole number, got ${active}`);
    if (load.sloAttainmentPct !== undefined) {
      const slo = nonNegative(load.sloAttainmentPct, 'sloAttainmentPct', 'ERR_BAD_LOAD');
      if (slo > 100) throw new EnergyInputError('ERR_BAD_LOAD', `sloAttainmentPct is a percentage 0–100, got ${slo}`);
      this.lastSlo = slo;
    }
    this.current = active;
    this.lastSampleS = nowS;
    this.samples.push({ t: nowS, tokens: tok, output: out, requests: req });
    const keep = nowS - this.o.trendWindowS;
    let k = 0;
    while (k < this.samples.length && this.samples[k].t < keep) k++;
    if (k > 0) this.samples.splice(0, k);
  }

  /** The share of prefill capacity currently planned for (adapted by the SLO feedback). */
  get targetBusy(): number {
    return this.busy;
  }

  /** Decides the server count now; `current` is what the scaler last saw powered. */
  decide(nowS: number): ScaleDecision {
    const current = this.current;
    if (current === null || nowS - this.lastSampleS > this.o.staleS) {
      // Fed nothing (or nothing lately): hold whatever runs; never scale to zero on silence.
      const hold = current ?? this.o.minServers;
      return { target: hold, current: hold, delta: 0, reason: 'stale-hold', needed: hold, forecastTokensPerS: Number.NaN, targetBusy: this.busy };
    }
    this.adapt(nowS);
    const { level, forecast } = this.forecast(nowS);
    const outLevel = this.samples.length ? Math.max(this.mean('output', 60, nowS), 0) : 0;
    const neededNow = this.serversFor(level.tokens, outLevel);
    const neededSoon = this.serversFor(forecast, outLevel);
    const needed = Math.max(neededNow, neededSoon);
    const bounded = Math.min(this.o.maxServers, Math.max(this.o.minServers, needed));
    let target = current;
    let reason: ScaleReason = 'hold';
    if (this.lastSlo !== undefined && this.lastSlo < this.o.sloTargetPct - this.o.breachPts && nowS - this.lastOutS >= 30 && current < this.o.maxServers && bounded <= current) {
      target = current + 1;
      reason = 'slo-breach';
    } else if (bounded > current) {
      target = bounded;
      reason = neededSoon > neededNow ? 'scale-out-forecast' : 'scale-out';
    } else if (bounded < current) {
      const sinceOut = nowS - this.lastOutS;
      const sinceIn = nowS - this.lastInS;
      // Scale in only when the need has stayed lower over the whole cooldown, one server a step.
      const calm = needed < current;
      if (sinceOut >= this.o.cooldownS && sinceIn >= this.o.cooldownS && calm) {
        target = current - 1;
        reason = 'scale-in';
      } else reason = 'cooldown';
    }
    if (target !== needed && target === bounded && (bounded === this.o.minServers || bounded === this.o.maxServers) && reason === 'hold') reason = 'bounds';
    target = Math.min(this.o.maxServers, Math.max(this.o.minServers, target));
    if (target > current) this.lastOutS = nowS;
    if (target < current) this.lastInS = nowS;
    this.current = target;
    return { target, current, delta: target - current, reason, needed, forecastTokensPerS: forecast, targetBusy: this.busy };
  }

  /** Servers for a prompt-token rate and an output-token rate. */
  serversFor(tokensPerS: number, outputTokensPerS: number): number {
    const prof = this.profile;
    const perServer = prefillTokensPerS(prof, 8, prof.maxClockMHz) * (prof.gpusPerServer / 8);
    const prefill = tokensPerS / (perServer * this.busy);
    // Decode: the batch that keeps a TP8 instance's TBT at half the objective, per server.
    let b = 1;
    while (b < prof.maxRunning && decodeStepMs(prof, 8, prof.maxClockMHz, b + 1) <= 0.5 * this.slo.tbtMs) b++;
    const decodePerServer = ((1000 * b) / decodeStepMs(prof, 8, prof.maxClockMHz, b)) * (prof.gpusPerServer / 8);
    const decode = outputTokensPerS / decodePerServer;
    const base = Math.max(prefill, decode);
    const raw = this.o.staffing === 'sqrt' ? (base + this.beta * Math.sqrt(base)) * (1 + this.o.headroom) : base * (1 + this.o.headroom);
    const fewest = Math.max(1, Math.ceil(raw - 1e-9));
    if (!this.o.energyAware) return fewest;
    // More servers at a lower clock can cost less than fewer at full clock: compare.
    let best = fewest;
    let bestW = this.powerW(fewest, tokensPerS, outputTokensPerS);
    for (let n = fewest + 1; n <= Math.min(this.o.maxServers, fewest + 4); n++) {
      const w = this.powerW(n, tokensPerS, outputTokensPerS);
      if (w < bestW * 0.98) {
        best = n;
        bestW = w;
      }
    }
    return best;
  }

  /** Predicted power (W) of `n` servers at the lowest clock that keeps the planned busy share. */
  powerW(n: number, tokensPerS: number, outputTokensPerS: number): number {
    const prof = this.profile;
    const gpus = prof.gpusPerServer;
    const clocks = [...prof.clocksMHz].sort((a, b) => a - b);
    const f = clocks.find((c) => tokensPerS / (n * prefillTokensPerS(prof, 8, c) * (gpus / 8)) <= this.busy) ?? prof.maxClockMHz;
    const busy = Math.min(1, tokensPerS / (n * prefillTokensPerS(prof, 8, f) * (gpus / 8)));
    const batch = Math.max(1, (outputTokensPerS / n) * (decodeStepMs(prof, 8, f, 32) / 1000));
    const util = busy * prof.power.prefillUtil + (1 - busy) * (outputTokensPerS > 0 ? decodeUtil(prof, batch) : 0);
    return n * (prof.hostPowerW + gpus * gpuPowerW(prof, f, util));
  }

  private adapt(nowS: number): void {
    if (!this.o.adapt || this.lastSlo === undefined || nowS - this.lastAdaptS < 30) return;
    // Misses while servers are still starting are the start-up lag, not a wrong capacity model.
    if (nowS - this.lastOutS < this.o.bootS + 60) return;
    this.lastAdaptS = nowS;
    const gap = this.lastSlo - this.o.sloTargetPct;
    if (this.o.staffing === 'sqrt') {
      // Below target: a wider margin at once; above: narrow it slowly.
      if (gap < 0) this.beta = Math.min(this.o.maxBeta, this.beta + Math.min(0.5, -gap / 4));
      else this.beta = Math.max(this.o.minBeta, this.beta - 0.02);
      return;
    }
    // Below target: plan for less busy servers; above: creep back towards fuller ones.
    if (gap < 0) this.busy = Math.max(this.o.minBusy, this.busy * (1 + Math.max(-0.1, gap / 50)));
    else this.busy = Math.min(this.o.maxBusy, this.busy * 1.02);
  }

  /**
   * Recent level (last minute) and the level expected one start-up time ahead: a least-squares
   * line through the trend window, extrapolated by bootS. A trend needs two minutes of samples,
   * and it may add at most half the level, so a single burst cannot order a fleet.
   */
  private forecast(nowS: number): { level: { tokens: number }; forecast: number } {
    const level = this.o.level === 'mean' ? this.mean('tokens', this.o.burstS, nowS) : this.peak(nowS);
    const s = this.samples;
    if (s.length < 3 || s[s.length - 1].t - s[0].t < 120) return { level: { tokens: level }, forecast: level };
    let st = 0;
    let sy = 0;
    for (const x of s) {
      st += x.t;
      sy += x.tokens;
    }
    const mt = st / s.length;
    const my = sy / s.length;
    let num = 0;
    let den = 0;
    for (const x of s) {
      num += (x.t - mt) * (x.tokens - my);
      den += (x.t - mt) ** 2;
    }
    const slope = den > 0 ? num / den : 0;
    const fittedNow = my + slope * (nowS - mt);
    const rise = Math.min(this.o.maxTrendRise * fittedNow, Math.max(0, slope) * this.o.bootS);
    return { level: { tokens: level }, forecast: Math.max(level, fittedNow + rise) };
  }

  /**
   * The highest 30-s mean of the trend window: servers take minutes to arrive, so the cluster
   * is sized for the bursts it has just seen, not for their average.
   */
  private peak(nowS: number): number {
    const s = this.samples;
    let best = 0;
    let lo = 0;
    let sum = 0;
    for (let hi = 0; hi < s.length; hi++) {
      sum += s[hi].tokens;
      while (s[lo].t <= s[hi].t - this.o.burstS) sum -= s[lo++].tokens;
      best = Math.max(best, sum / (hi - lo + 1));
    }
    void nowS;
    return best;
  }

  private mean(key: 'tokens' | 'output' | 'requests', spanS: number, nowS: number): number {
    let sum = 0;
    let n = 0;
    for (let i = this.samples.length - 1; i >= 0 && this.samples[i].t > nowS - spanS; i--) {
      sum += this.samples[i][key];
      n++;
    }
    return n > 0 ? sum / n : 0;
  }
}
