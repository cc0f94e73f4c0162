// The three energy controllers wired to the facility twin in virtual time, as the Node-RED
// flow wires the nodes: the Queue Batcher routes arrivals and learns from completions, the
// GPU DVFS reads per-instance telemetry every second and decides every `dvfsPeriodS`, the
// Cluster Scaler reads cluster load every `scalerPeriodS`. Each controller sees only what a
// serving stack exposes: arrivals (without output length), per-instance queues and running
// batches, completions with their latencies, and which servers are powered.

import type { Completion, InstanceLoad } from '../twin/cluster';
import type { Facility, IntervalSample } from '../twin/facility';
import { QueueBatcher, type BatcherOptions } from './batcher';
import { DvfsController, type DvfsOptions } from './dvfs';
import type { LatencyPowerProfile, Tp } from './profile';
import { ClusterScaler, type ScalerOptions } from './scaler';
import { DEFAULT_SLO, type SloSpec } from './slo';

export interface LoopOptions {
  profile: LatencyPowerProfile;
  slo?: SloSpec;
  /** Which controllers run; a missing one leaves its lever as the baseline has it. */
  batcher?: BatcherOptions | false;
  dvfs?: Omit<DvfsOptions, 'profile'> | false;
  scaler?: ScalerOptions | false;
  dvfsPeriodS?: number;
  scalerPeriodS?: number;
  /** Seconds between re-plans of pool groups onto instances. */
  planPeriodS?: number;
  /**
   * What SLO attainment the scaler is fed: the last 60 s ('minute', default), or everything
   * since the start ('run'): the 1 % miss budget is spent over the run, not minute by minute.
   */
  sloSpan?: 'minute' | 'run';
}

export interface LoopTrace {
  /** One sample per `traceEveryS`: time, IT kW, powered servers, serving servers. */
  t: number[];
  itKW: number[];
  powered: number[];
  serving: number[];
  /** Commands issued. */
  clockChanges: number;
  scaleCommands: number;
}

const EWMA_S = 10;

/** Runs a Facility under the chosen controllers to `untilS`. */
export class TwinControlLoop {
  readonly batcher: QueueBatcher | null;
  readonly dvfs: DvfsController | null;
  readonly scaler: ClusterScaler | null;
  readonly trace: LoopTrace = { t: [], itKW: [], powered: [], serving: [], clockChanges: 0, scaleCommands: 0 };
  private readonly slo: SloSpec;
  private readonly routed = new Map<string, { tokens: number; requests: number; rateTok: number; rateReq: number; meanIn: number }>();
  private arrivalsTok = 0;
  private arrivalsReq = 0;
  private outputTok = 0;
  private readonly sloWindow: Array<{ t: number; met: boolean }> = [];
  private sloHead = 0;
  private itAcc = 0;
  private itN = 0;
  private runMet = 0;
  private runDone = 0;

  constructor(private readonly twin: Facility, private readonly o: LoopOptions, readonly traceEveryS = 10) {
    this.slo = o.slo ?? DEFAULT_SLO;
    this.batcher = o.batcher === false ? null : new QueueBatcher({ ...(o.batcher ?? {}), profile: o.profile, slo: this.slo });
    this.dvfs = o.dvfs === false || o.dvfs === undefined ? null : new DvfsController(o.profile, { ...o.dvfs, slo: this.slo });
    this.scaler = o.scaler === false || o.scaler === undefined ? null : new ClusterScaler(o.profile, { ...o.scaler, slo: this.slo });
    twin.setRouter((req, cands) => this.route(req.id, req.inputTokens, cands));
    twin.onCompletion((c) => this.completed(c));
    twin.onInterval((s) => this.sample(s));
  }

  run(untilS: number): void {
    const dvfsEvery = this.o.dvfsPeriodS ?? 5;
    const scaleEvery = this.o.scalerPeriodS ?? 5;
    const planEvery = this.o.planPeriodS ?? 30;
    for (let t = Math.floor(this.twin.timeS) + 1; t <= untilS; t++) {
      this.twin.advance(t);
      const serving = this.servingInstances();
      if (this.batcher && (t % planEvery === 0 || t === 1)) this.batcher.plan(serving.map((i) => ({ id: i.id, tp: i.tp })), t * 1000);
      this.decay(1);
      if (this.dvfs) this.runDvfs(t, serving, t % dvfsEvery === 0);
      if (this.scaler && t % scaleEvery === 0) this.runScaler(t, scaleEvery);
    }
  }

  private servingInstances() {
    const on = new Set(this.twin.servers().filter((s) => s.state === 'on').map((s) => s.id));
    return this.twin.instances().filter((i) => on.has(i.serverId));
  }

  private route(id: number, inputTokens: number, cands: readonly InstanceLoad[]): InstanceLoad | undefined {
    this.arrivalsTok += inputTokens;
    this.arrivalsReq++;
    let pick: InstanceLoad | undefined;
    if (this.batcher) {
      const q = this.batcher.admit({ id, inputTokens }, this.twin.timeS * 1000);
      pick = this.batcher.route(q.pool, cands, inputTokens) as InstanceLoad | undefined;
    } else {
      // Without the batcher: least prefill backlog, as the twin's default router does.
      let best = Infinity;
      for (const c of cands) {
        const load = c.queuedTokens + c.runningRequests;
        if (load < best) {
          best = load;
          pick = c;
        }
      }
    }
    if (pick) {
      const r = this.routed.get(pick.id) ?? { tokens: 0, requests: 0, rateTok: 0, rateReq: 0, meanIn: 1024 };
      r.tokens += inputTokens;
      r.requests++;
      this.routed.set(pick.id, r);
    }
    return pick;
  }

  private completed(c: Completion): void {
    this.outputTok += c.outputTokens;
    this.sloWindow.push({ t: c.finishS, met: c.sloMet });
    this.runDone++;
    if (c.sloMet) this.runMet++;
    if (this.batcher) this.batcher.complete({ id: c.id, outputTokens: c.outputTokens, inputTokens: c.inputTokens });
    if (this.dvfs) {
      const up = this.dvfs.observe({ instance: c.instanceId, ttftMs: c.ttftS * 1000, tbtMs: c.outputTokens > 1 ? c.tbtS * 1000 : undefined, inputTokens: c.inputTokens }, this.twin.timeS);
      if (up) this.applyClock(up.instance, up.frequencyMHz);
    }
  }

  /** Per-instance arrival rates as exponentially weighted means over ~10 s. */
  private decay(dtS: number): void {
    const a = 1 - Math.exp(-dtS / EWMA_S);
    for (const r of this.routed.values()) {
      r.rateTok += a * (r.tokens / dtS - r.rateTok);
      r.rateReq += a * (r.requests / dtS - r.rateReq);
      if (r.requests > 0) r.meanIn += 0.2 * (r.tokens / r.requests - r.meanIn);
      r.tokens = 0;
      r.requests = 0;
    }
  }

  private runDvfs(t: number, serving: ReturnType<Facility['instances']>, periodic: boolean): void {
    const dvfs = this.dvfs!;
    if (periodic) dvfs.setInstances(serving.map((i) => ({ id: i.id, tp: i.tp })));
    for (const i of serving) {
      const r = this.routed.get(i.id);
      const up = dvfs.observe(
        {
          instance: i.id,
          tp: i.tp,
          queuedTokens: i.queuedTokens,
          queueDepth: i.queuedRequests,
          running: i.runningRequests,
          prefillTokensPerS: r?.rateTok ?? 0,
          requestsPerS: r?.rateReq ?? 0,
          meanInputTokens: r?.meanIn ?? 1024,
          frequencyMHz: i.freqMHz,
        },
        t,
      );
      if (up) this.applyClock(up.instance, up.frequencyMHz);
    }
    if (periodic) for (const d of dvfs.decide(t)) this.applyClock(d.instance, d.frequencyMHz);
  }

  private applyClock(instance: string, mhz: number): void {
    const inst = this.twin.instances().find((i) => i.id === instance);
    if (!inst || inst.freqMHz === mhz) return;
    this.twin.setFrequency(instance, mhz);
    this.trace.clockChanges++;
  }

  private runScaler(t: number, spanS: number): void {
    const scaler = this.scaler!;
    const powered = this.twin.servers().filter((s) => s.state !== 'off' && s.state !== 'draining').length;
    while (this.sloHead < this.sloWindow.length && this.sloWindow[this.sloHead].t < t - 60) this.sloHead++;
    if (this.sloHead > 10_000) {
      this.sloWindow.splice(0, this.sloHead);
      this.sloHead = 0;
    }
    const recent = this.sloWindow.length - this.sloHead;
    let met = 0;
    for (let k = this.sloHead; k < this.sloWindow.length; k++) if (this.sloWindow[k].met) met++;
    scaler.observe(
      {
        requestsPerSec: this.arrivalsReq / spanS,
        tokensPerSec: this.arrivalsTok / spanS,
        outputTokensPerSec: this.outputTok / spanS,
        activeServers: powered,
        sloAttainmentPct:
          this.o.sloSpan === 'run' ? (this.runDone >= 200 ? (100 * this.runMet) / this.runDone : undefined) : recent >= 50 ? (100 * met) / recent : undefined,
      },
      t,
    );
    this.arrivalsReq = this.arrivalsTok = this.outputTok = 0;
    const d = scaler.decide(t);
    if (d.target !== powered) {
      this.twin.setServerCount(d.target);
      this.trace.scaleCommands++;
    }
  }

  private sample(s: IntervalSample): void {
    this.itAcc += s.itKW;
    this.itN++;
    if (Math.round(s.t) % this.traceEveryS === 0) {
      this.trace.t.push(s.t);
      this.trace.itKW.push(this.itAcc / this.itN);
      this.trace.powered.push(s.poweredServers);
      this.trace.serving.push(s.servingServers);
      this.itAcc = 0;
      this.itN = 0;
    }
  }
}

export type { Tp };
