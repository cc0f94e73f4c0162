// The inference cluster of twin.md §1: servers of 8 GPUs split into TP8/TP4/TP2 instances, each
// instance a vLLM-like continuous batcher with chunked prefill, timed and powered by laws.ts.
//
// Speed comes from two choices. Requests live in typed arrays (RequestLog), never as objects
// per token. And a decode step never touches the running sequences: each instance counts its
// steps, and a sequence is stored in a min-heap under the step at which it will finish, so an
// iteration costs O(1) plus O(log n) per request that starts or ends.

import { decodeStepSeconds, decodeUtilisation, gpuPower, prefillRate, tbtSloSeconds, ttftSloSeconds } from './laws';
import type { TensorParallel, TwinParams } from './params';
import type { Workload } from './workload';

export type ServerState = 'off' | 'booting' | 'on' | 'draining';

/** A command the cluster refuses; `code` is the OPC UA status a gateway should answer with. */
export class CommandError extends Error {
  constructor(message: string, readonly code: 'BadOutOfRange' | 'BadNodeIdUnknown' | 'BadInvalidState' | 'BadNotWritable') {
    super(message);
    this.name = 'CommandError';
  }
}

/** What a controller may know of a request before it finishes: not its output length. */
export interface VisibleRequest {
  id: number;
  arrivalS: number;
  inputTokens: number;
}

/** What a router may know of an instance. */
export interface InstanceLoad {
  readonly id: string;
  readonly serverId: string;
  readonly tp: TensorParallel;
  readonly freqMHz: number;
  readonly queuedRequests: number;
  readonly queuedTokens: number;
  readonly runningRequests: number;
}

/** Picks the instance for a request among those accepting work; undefined = least loaded. */
export type Router = (req: VisibleRequest, candidates: readonly InstanceLoad[]) => InstanceLoad | string | undefined;

/** Per-request state and outcomes in typed arrays: a 200k-request hour stays cache-friendly. */
export class RequestLog {
  readonly count: number;
  readonly arrival: Float64Array;
  readonly input: Int32Array;
  readonly output: Int32Array;
  /** Seconds; NaN until the first token. */
  readonly firstToken: Float64Array;
  /** Seconds; NaN until the last token. */
  readonly finish: Float64Array;
  /** Tokens still to prefill before the (next) first token: the input, or input + generated after a preemption. */
  readonly need: Int32Array;
  readonly prefillDone: Int32Array;
  /** Decode steps still owed after a preemption; 0 for a fresh request. */
  readonly resumeSteps: Int32Array;

  constructor(w: Workload) {
    const n = w.requests.length;
    this.count = n;
    this.arrival = new Float64Array(n);
    this.input = new Int32Array(n);
    this.output = new Int32Array(n);
    this.firstToken = new Float64Array(n).fill(Number.NaN);
    this.finish = new Float64Array(n).fill(Number.NaN);
    this.need = new Int32Array(n);
    this.prefillDone = new Int32Array(n);
    this.resumeSteps = new Int32Array(n);
    w.requests.forEach((r, i) => {
      this.arrival[i] = r.arrivalS;
      this.input[i] = r.inputTokens;
      this.output[i] = Math.max(1, r.outputTokens);
      this.need[i] = Math.max(1, r.inputTokens);
    });
  }
}

/** Binary min-heap of (key, value) integer pairs. */
class StepHeap {
  private keys: number[] = [];
  private vals: number[] = [];
  get size(): number {
    return this.keys.length;
  }
  minKey(): number {
    return this.keys.length ? this.keys[0] : Infinity;
  }
  push(key: number, val: number): void {
    const k = this.keys;
    const v = this.vals;
    let i = k.length;
    k.push(key);
    v.push(val);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (k[parent] <= key) break;
      k[i] = k[parent];
      v[i] = v[parent];
      i = parent;
    }
    k[i] = key;
    v[i] = val;
  }
  pop(): number {
    const k = this.keys;
    const v = this.vals;
    const top = v[0];
    const lastK = k.pop() as number;
    const lastV = v.pop() as number;
    const n = k.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && k[c + 1] < k[c]) c++;
        if (k[c] >= lastK) break;
        k[i] = k[c];
        v[i] = v[c];
        i = c;
      }
      k[i] = lastK;
      v[i] = lastV;
    }
    return top;
  }
  drain(): Array<[number, number]> {
    const out = this.keys.map((key, i) => [key, this.vals[i]] as [number, number]);
    this.keys = [];
    this.vals = [];
    return out;
  }
}

/** Callbacks from instances into their cluster. */
interface InstanceHost {
  readonly p: TwinParams;
  readonly log: RequestLog;
  finished(r: number, t: number, instanceId: string): void;
}

export class Instance implements InstanceLoad {
  freqMHz: number;
  /** Lowest thermal clock cap among the instance's GPUs (MHz); set by the thermal model. */
  capMHz: number;
  queuedTokens = 0;
  /** Per-GPU energy (J), busy time (s), tokens and completions since the last bin close. */
  binJ = 0;
  binBusyS = 0;
  binTokens = 0;
  binFinished = 0;
  /** Values of the last closed bin: per-GPU mean power (W), busy share (0–1), tokens/s, requests/s. */
  last = { powerW: 0, util: 0, tokensPerS: 0, requestsPerS: 0 };

  private queue: number[] = [];
  private qHead = 0;
  private running = new StepHeap();
  private step = 0;
  private busy = false;
  private pausing = false;
  private pendingPauseS = 0;
  private pendingFreq: number | null = null;
  private iterStart = 0;
  private prefillEnd = 0;
  private iterEnd = 0;
  private pPrefill = 0;
  private pDecode = 0;
  private batch = 0;
  private chunkReqs: number[] = [];
  private chunkTake: number[] = [];
  /** Requests dequeued into the iteration in flight, and its prefill tokens. */
  private inflight = 0;
  private iterTokens = 0;
  private acc = 0;

  constructor(
    readonly id: string,
    readonly server: Server,
    readonly firstGpu: number,
    readonly tp: TensorParallel,
    freqMHz: number,
    private readonly host: InstanceHost,
    now: number,
  ) {
    this.freqMHz = freqMHz;
    this.capMHz = host.p.cluster.maxClockMHz;
    this.acc = now;
  }

  get serverId(): string {
    return this.server.id;
  }
  /** Requests waiting for or in prefill. */
  get queuedRequests(): number {
    return this.queue.length - this.qHead + this.inflight;
  }
  get runningRequests(): number {
    return this.running.size;
  }
  /** Requests this instance still owes tokens to. */
  get outstanding(): number {
    return this.queuedRequests + this.running.size;
  }
  /** Routing load: the prefill backlog in tokens, plus the running batch as a tie-breaker. */
  get load(): number {
    return this.queuedTokens + this.running.size;
  }
  get idle(): boolean {
    return !this.busy && this.outstanding === 0;
  }
  get effectiveMHz(): number {
    return Math.min(this.freqMHz, this.capMHz);
  }

  /** Integrates this instance's GPU energy up to `t`. */
  accrue(t: number): void {
    let a = this.acc;
    if (t <= a) return;
    let e = 0;
    if (this.busy) {
      const s1 = Math.min(t, this.prefillEnd);
      if (s1 > a) {
        e += this.pPrefill * (s1 - a);
        if (!this.pausing) this.binBusyS += s1 - a;
        a = s1;
      }
      const s2 = Math.min(t, this.iterEnd);
      if (s2 > a) {
        e += this.pDecode * (s2 - a);
        if (!this.pausing) this.binBusyS += s2 - a;
        a = s2;
      }
    }
    if (t > a) e += this.server.state === 'off' ? 0 : this.host.p.power.staticW * (t - a);
    this.binJ += e;
    this.acc = t;
  }

  enqueue(r: number, t: number): void {
    this.queue.push(r);
    this.queuedTokens += this.host.log.need[r] - this.host.log.prefillDone[r];
    if (!this.busy) this.startIteration(t);
  }

  /** Runs iterations that end at or before `t`. */
  runUntil(t: number): void {
    while (this.busy && this.iterEnd <= t) {
      const end = this.iterEnd;
      this.completeIteration();
      this.startIteration(end);
    }
  }

  /** Changes the SM clock after a DVFS pause; takes effect at the next iteration boundary. */
  setFrequency(mhz: number, t: number): void {
    if (mhz === (this.pendingFreq ?? this.freqMHz)) return;
    this.pendingFreq = mhz;
    this.pendingPauseS = Math.max(this.pendingPauseS, this.host.p.timing.dvfsPauseS);
    if (!this.busy) this.startIteration(t);
  }

  /** Pauses the instance for `s` seconds before its next iteration (reshard). */
  pause(s: number, t: number): void {
    this.pendingPauseS = Math.max(this.pendingPauseS, s);
    if (!this.busy) this.startIteration(t);
  }

  /**
   * Stops the instance at `t` (reshard): the iteration in flight is abandoned and its prefill
   * chunk rolled back. Returns queued requests (in order) and running ones with their steps owed.
   */
  evict(t: number): { queued: number[]; running: Array<{ r: number; steps: number }> } {
    this.accrue(t);
    const log = this.host.log;
    if (this.busy && !this.pausing) {
      // The chunk's completed requests were dequeued in order just before qHead; a partial one
      // is still at qHead.
      for (let i = this.chunkReqs.length - 1; i >= 0; i--) {
        const r = this.chunkReqs[i];
        log.prefillDone[r] -= this.chunkTake[i];
        if (this.qHead < this.queue.length && this.queue[this.qHead] === r) continue;
        this.qHead--;
      }
    }
    this.busy = false;
    this.inflight = 0;
    this.iterTokens = 0;
    const queued = this.queue.slice(this.qHead);
    const running = this.running.drain().map(([key, r]) => ({ r, steps: key - this.step }));
    this.queue = [];
    this.qHead = 0;
    this.queuedTokens = 0;
    this.chunkReqs = [];
    this.chunkTake = [];
    return { queued, running };
  }

  /** Adopts a running sequence that owes `steps` more decode steps; false when full. */
  adoptRunning(r: number, steps: number): boolean {
    if (this.running.size >= this.host.p.timing.maxRunning) return false;
    this.running.push(this.step + steps, r);
    return true;
  }

  /** Closes the accounting bin of `dtS` seconds ending at `t`. */
  closeBin(t: number, dtS: number): void {
    this.accrue(t);
    this.last = {
      powerW: this.binJ / dtS,
      util: this.binBusyS / dtS,
      tokensPerS: this.binTokens / dtS,
      requestsPerS: this.binFinished / dtS,
    };
    this.binJ = 0;
    this.binBusyS = 0;
    this.binTokens = 0;
    this.binFinished = 0;
  }

  private startIteration(t: number): void {
    this.accrue(t);
    const p = this.host.p;
    const staticW = p.power.staticW;
    if (this.pendingPauseS > 0) {
      if (this.pendingFreq !== null) this.freqMHz = this.pendingFreq;
      this.pendingFreq = null;
      this.busy = true;
      this.pausing = true;
      this.iterStart = t;
      this.prefillEnd = t;
      this.iterEnd = t + this.pendingPauseS;
      this.pPrefill = staticW;
      this.pDecode = staticW;
      this.pendingPauseS = 0;
      return;
    }
    this.pausing = false;
    const log = this.host.log;
    if (this.qHead > 4096 && this.qHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.qHead);
      this.qHead = 0;
    }
    const budget = p.timing.prefillChunkTokens;
    let slots = p.timing.maxRunning - this.running.size;
    let tokens = 0;
    this.chunkReqs.length = 0;
    this.chunkTake.length = 0;
    let i = this.qHead;
    while (i < this.queue.length && tokens < budget) {
      const r = this.queue[i];
      const done = log.prefillDone[r];
      if (done === 0 && slots <= 0) break;
      slots--;
      const need = log.need[r] - done;
      const take = Math.min(need, budget - tokens);
      tokens += take;
      log.prefillDone[r] = done + take;
      this.chunkReqs.push(r);
      this.chunkTake.push(take);
      if (take < need) break;
      i++;
    }
    this.inflight = i - this.qHead;
    this.iterTokens = tokens;
    this.qHead = i;
    const b = this.running.size;
    if (tokens === 0 && b === 0) {
      this.busy = false;
      return;
    }
    const f = this.effectiveMHz;
    const prefillS = tokens > 0 ? tokens / prefillRate(p, this.tp, f) : 0;
    const decodeS = b > 0 ? decodeStepSeconds(p, this.tp, f, b) : 0;
    this.busy = true;
    this.batch = b;
    this.iterStart = t;
    this.prefillEnd = t + prefillS;
    this.iterEnd = this.prefillEnd + decodeS;
    this.pPrefill = tokens > 0 ? gpuPower(p, f, p.power.prefillUtil) : staticW;
    this.pDecode = b > 0 ? gpuPower(p, f, decodeUtilisation(p, b)) : staticW;
  }

  private completeIteration(): void {
    const t = this.iterEnd;
    this.accrue(t);
    this.busy = false;
    if (this.pausing) {
      this.pausing = false;
      return;
    }
    this.queuedTokens -= this.iterTokens;
    this.iterTokens = 0;
    this.inflight = 0;
    const log = this.host.log;
    if (this.batch > 0) {
      this.step++;
      this.binTokens += this.batch;
      while (this.running.minKey() <= this.step) this.finish(this.running.pop(), t);
    }
    for (let i = 0; i < this.chunkReqs.length; i++) {
      const r = this.chunkReqs[i];
      if (log.prefillDone[r] < log.need[r]) continue;
      let steps = log.resumeSteps[r];
      if (steps === 0) {
        log.firstToken[r] = t;
        this.binTokens++;
        steps = log.output[r] - 1;
      }
      log.resumeSteps[r] = 0;
      if (steps <= 0) this.finish(r, t);
      else this.running.push(this.step + steps, r);
    }
    this.chunkReqs.length = 0;
    this.chunkTake.length = 0;
  }

  private finish(r: number, t: number): void {
    this.binFinished++;
    this.host.finished(r, t, this.id);
  }
}

export class Server {
  state: ServerState = 'off';
  readyAt = 0;
  tp: TensorParallel;
  instances: Instance[] = [];
  /** Per-GPU thermal state, owned by thermal.ts; here because GPUs outlive instances. */
  readonly gpuC: Float64Array;
  readonly hbmC: Float64Array;
  readonly capMHz: Float64Array;
  readonly throttleTimerS: Float64Array;
  /** Per-GPU mean power over the last closed bin (W). */
  readonly gpuPowerW: Float64Array;
  /** Energy of instances removed by a reshard during the open bin, per GPU (J). */
  readonly orphanJ: Float64Array;
  hostJ = 0;
  private hostAcc = 0;

  constructor(
    readonly index: number,
    readonly id: string,
    readonly rack: number,
    tp: TensorParallel,
    private readonly p: TwinParams,
  ) {
    this.tp = tp;
    const n = p.cluster.gpusPerServer;
    this.gpuC = new Float64Array(n);
    this.hbmC = new Float64Array(n);
    this.capMHz = new Float64Array(n).fill(p.cluster.maxClockMHz);
    this.throttleTimerS = new Float64Array(n);
    this.gpuPowerW = new Float64Array(n);
    this.orphanJ = new Float64Array(n);
  }

  get powered(): boolean {
    return this.state !== 'off';
  }

  /** Host energy (J) since the last call, integrated to `t`. */
  accrueHost(t: number): void {
    if (t <= this.hostAcc) return;
    if (this.powered) this.hostJ += this.p.cluster.hostPowerW * (t - this.hostAcc);
    this.hostAcc = t;
  }

  setState(state: ServerState, t: number): void {
    this.accrueHost(t);
    for (const inst of this.instances) inst.accrue(t);
    this.state = state;
  }

  get idle(): boolean {
    return this.instances.every((i) => i.idle);
  }
}

/** A finished request, as a real serving stack reports it: now the output length is known. */
export interface Completion {
  id: number;
  instanceId: string;
  arrivalS: number;
  finishS: number;
  inputTokens: number;
  outputTokens: number;
  ttftS: number;
  /** Mean time between tokens (s); 0 for a one-token answer. */
  tbtS: number;
  sloMet: boolean;
}

export interface ClusterCounters {
  arrived: number;
  finished: number;
  sloMet: number;
}

/** All servers, the routing of arrivals, and the per-request outcome bookkeeping. */
export class Cluster implements InstanceHost {
  readonly log: RequestLog;
  readonly servers: Server[];
  instances: Instance[] = [];
  readonly counters: ClusterCounters = { arrived: 0, finished: 0, sloMet: 0 };
  /** The last server count commanded. */
  targetServers: number;
  /** Completions and SLO hits per whole second, for the rolling attainment telemetry. */
  private readonly windowS = 60;
  private readonly winSecond: Float64Array;
  private readonly winFinished: Int32Array;
  private readonly winMet: Int32Array;
  private readonly tbtSlo: number;
  private readonly instanceById = new Map<string, Instance>();
  private next = 0;
  private pending: number[] = [];
  private pendingHead = 0;
  private router: Router | null = null;
  /** Called for every finished request, if set. */
  onCompletion: ((c: Completion) => void) | null = null;
  private rr = 0;
  private now = 0;

  constructor(readonly p: TwinParams, workload: Workload) {
    this.log = new RequestLog(workload);
    const c = p.cluster;
    this.servers = [];
    for (let i = 0; i < c.servers; i++) {
      const id = `S${String(i + 1).padStart(2, '0')}`;
      const server = new Server(i, id, Math.floor(i / c.serversPerRack), c.initialTensorParallel, p);
      this.servers.push(server);
      this.buildInstances(server, 0);
      if (i < c.initialActiveServers) server.setState('on', 0);
    }
    this.targetServers = Math.min(c.initialActiveServers, c.servers);
    this.tbtSlo = tbtSloSeconds(p);
    this.winSecond = new Float64Array(this.windowS).fill(-1);
    this.winFinished = new Int32Array(this.windowS);
    this.winMet = new Int32Array(this.windowS);
    this.rebuildIndex();
  }

  get racks(): number {
    return Math.ceil(this.servers.length / this.p.cluster.serversPerRack);
  }

  instance(id: string): Instance {
    const inst = this.instanceById.get(id);
    if (!inst) throw new CommandError(`no instance "${id}"`, 'BadNodeIdUnknown');
    return inst;
  }

  server(id: string): Server {
    const s = this.servers.find((x) => x.id === id);
    if (!s) throw new CommandError(`no server "${id}"`, 'BadNodeIdUnknown');
    return s;
  }

  setRouter(router: Router | null): void {
    this.router = router;
  }

  /** Requests waiting for any serving instance (none accepting work). */
  get unroutedRequests(): number {
    return this.pending.length - this.pendingHead;
  }

  /** Routes arrivals up to `t` and runs every instance to `t`. */
  runTo(t: number): void {
    const log = this.log;
    const insts = this.instances;
    while (this.next < log.count && log.arrival[this.next] <= t) {
      const r = this.next++;
      const ta = log.arrival[r];
      for (let i = 0; i < insts.length; i++) insts[i].runUntil(ta);
      this.counters.arrived++;
      this.route(r, ta);
    }
    for (let i = 0; i < insts.length; i++) insts[i].runUntil(t);
    this.now = t;
  }

  /** Boots, drains and retires servers at a whole-step boundary. */
  lifecycle(t: number): void {
    for (const s of this.servers) {
      if (s.state === 'booting' && s.readyAt <= t) s.setState('on', t);
      else if (s.state === 'draining' && s.idle) s.setState('off', t);
    }
    this.flushPending(t);
  }

  /** Target number of powered servers: boots the lowest-numbered off ones, drains the highest. */
  setServerCount(n: number, t: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.servers.length) {
      throw new CommandError(`server count must be an integer 0–${this.servers.length}, got ${n}`, 'BadOutOfRange');
    }
    this.targetServers = n;
    let powered = this.servers.filter((s) => s.state !== 'off' && s.state !== 'draining').length;
    for (const s of this.servers) {
      if (powered >= n) break;
      if (s.state === 'draining') {
        s.setState('on', t);
        powered++;
      }
    }
    for (const s of this.servers) {
      if (powered >= n) break;
      if (s.state === 'off') {
        s.setState('booting', t);
        s.readyAt = t + this.p.cluster.bootS;
        powered++;
      }
    }
    // Retire booting servers first (they serve nothing yet), then drain from the top.
    const order = [...this.servers].reverse();
    for (const s of order) {
      if (powered <= n) break;
      if (s.state === 'booting') {
        s.setState('off', t);
        powered--;
      }
    }
    for (const s of order) {
      if (powered <= n) break;
      if (s.state === 'on') {
        s.setState(s.idle ? 'off' : 'draining', t);
        powered--;
      }
    }
    this.flushPending(t);
  }

  setFrequency(instanceId: string, mhz: number, t: number): void {
    if (!this.p.cluster.clockSetMHz.includes(mhz)) {
      throw new CommandError(`${mhz} MHz is not in the clock set ${this.p.cluster.clockSetMHz.join(', ')}`, 'BadOutOfRange');
    }
    const inst = this.instance(instanceId);
    inst.runUntil(t);
    inst.setFrequency(mhz, t);
  }

  /**
   * Re-shards a server into instances of `tp` GPUs. Work in flight moves to the new instances
   * (the iteration in progress is redone); sequences that no longer fit are preempted and
   * recomputed, as vLLM does; all new instances pause for the reshard cost.
   */
  setTensorParallel(serverId: string, tp: number, t: number): void {
    if (tp !== 2 && tp !== 4 && tp !== 8) throw new CommandError(`tensor parallelism must be 2, 4 or 8, got ${tp}`, 'BadOutOfRange');
    const s = this.server(serverId);
    if (s.tp === tp) return;
    const queued: number[] = [];
    const running: Array<{ r: number; steps: number }> = [];
    for (const inst of s.instances) {
      inst.runUntil(t);
      const out = inst.evict(t);
      queued.push(...out.queued);
      running.push(...out.running);
      for (let g = 0; g < inst.tp; g++) s.orphanJ[inst.firstGpu + g] += inst.binJ;
    }
    const freq = Math.max(...s.instances.map((i) => i.freqMHz));
    s.tp = tp;
    this.buildInstances(s, t, freq);
    this.rebuildIndex();
    const fresh = s.instances;
    const log = this.log;
    const preempted: number[] = [];
    running.sort((a, b) => a.steps - b.steps);
    running.forEach((x, k) => {
      if (!fresh[k % fresh.length].adoptRunning(x.r, x.steps)) {
        const generated = log.output[x.r] - x.steps;
        log.need[x.r] = Math.max(1, log.input[x.r]) + generated;
        log.prefillDone[x.r] = 0;
        log.resumeSteps[x.r] = x.steps;
        preempted.push(x.r);
      }
    });
    for (const inst of fresh) inst.pause(this.p.timing.reshardPauseS, t);
    [...preempted, ...queued].forEach((r, k) => fresh[k % fresh.length].enqueue(r, t));
  }

  /** Attainment and counts over the requests finished in the last 60 s. */
  rollingSlo(t: number): { finished: number; met: number } {
    let finished = 0;
    let met = 0;
    const now = Math.floor(t);
    for (let i = 0; i < this.windowS; i++) {
      if (this.winSecond[i] > now - this.windowS) {
        finished += this.winFinished[i];
        met += this.winMet[i];
      }
    }
    return { finished, met };
  }

  finished(r: number, t: number, instanceId: string): void {
    const log = this.log;
    log.finish[r] = t;
    const ok = this.meetsSlo(r);
    if (this.onCompletion) {
      const out = log.output[r];
      this.onCompletion({
        id: r,
        instanceId,
        arrivalS: log.arrival[r],
        finishS: t,
        inputTokens: log.input[r],
        outputTokens: out,
        ttftS: log.firstToken[r] - log.arrival[r],
        tbtS: out > 1 ? (t - log.firstToken[r]) / (out - 1) : 0,
        sloMet: ok,
      });
    }
    this.counters.finished++;
    if (ok) this.counters.sloMet++;
    const sec = Math.floor(t);
    const slot = sec % this.windowS;
    if (this.winSecond[slot] !== sec) {
      this.winSecond[slot] = sec;
      this.winFinished[slot] = 0;
      this.winMet[slot] = 0;
    }
    this.winFinished[slot]++;
    if (ok) this.winMet[slot]++;
  }

  /** Both objectives of twin.md §1 for a finished request. */
  meetsSlo(r: number): boolean {
    const log = this.log;
    const ttft = log.firstToken[r] - log.arrival[r];
    if (!(ttft <= ttftSloSeconds(this.p, log.input[r]))) return false;
    const out = log.output[r];
    if (out <= 1) return true;
    return (log.finish[r] - log.firstToken[r]) / (out - 1) <= this.tbtSlo;
  }

  private route(r: number, t: number): void {
    const cands = this.accepting();
    if (cands.length === 0) {
      this.pending.push(r);
      return;
    }
    let chosen: Instance | undefined;
    if (this.router) {
      const log = this.log;
      const pick = this.router({ id: r, arrivalS: log.arrival[r], inputTokens: log.input[r] }, cands);
      if (typeof pick === 'string') chosen = cands.find((c) => c.id === pick);
      else if (pick) chosen = cands.find((c) => c === pick);
    }
    (chosen ?? this.leastLoaded(cands)).enqueue(r, t);
  }

  /** Fewest outstanding requests; ties rotate so an idle cluster spreads its heat. */
  private leastLoaded(cands: Instance[]): Instance {
    const n = cands.length;
    const start = this.rr++ % n;
    let best = cands[start];
    let bestLoad = best.load;
    for (let k = 1; k < n && bestLoad > 0; k++) {
      const c = cands[(start + k) % n];
      const load = c.load;
      if (load < bestLoad) {
        best = c;
        bestLoad = load;
      }
    }
    return best;
  }

  private acceptingCache: Instance[] = [];
  private acceptingStamp = -1;
  private stateStamp = 0;

  private accepting(): Instance[] {
    if (this.acceptingStamp !== this.stateStamp) {
      this.acceptingCache = this.instances.filter((i) => i.server.state === 'on');
      this.acceptingStamp = this.stateStamp;
    }
    return this.acceptingCache;
  }

  /** Called whenever a server's state or instances change. */
  invalidate(): void {
    this.stateStamp++;
  }

  private flushPending(t: number): void {
    this.invalidate();
    while (this.pendingHead < this.pending.length && this.accepting().length > 0) {
      this.route(this.pending[this.pendingHead++], t);
    }
    if (this.pendingHead === this.pending.length) {
      this.pending = [];
      this.pendingHead = 0;
    }
  }

  private buildInstances(s: Server, t: number, freq = this.p.cluster.maxClockMHz): void {
    const n = this.p.cluster.gpusPerServer / s.tp;
    s.instances = [];
    for (let k = 0; k < n; k++) {
      s.instances.push(new Instance(`${s.id}.I${k}`, s, k * s.tp, s.tp, freq, this, t));
    }
  }

  private rebuildIndex(): void {
    this.instances = this.servers.flatMap((s) => s.instances);
    this.instanceById.clear();
    for (const i of this.instances) this.instanceById.set(i.id, i);
    this.invalidate();
  }
}

/**
 * A router that sends each request to the instance group of its pool (the Queue Batcher's
 * hook): `classify` names the pool from what is visible, `groups` maps pools to instance ids.
 * Least loaded within the group; any instance when the group has none accepting work.
 */
export function poolRouter(classify: (req: VisibleRequest) => string, groups: () => Record<string, readonly string[]>): Router {
  return (req, cands) => {
    const ids = groups()[classify(req)];
    if (!ids || ids.length === 0) return undefined;
    let best: InstanceLoad | undefined;
    let bestLoad = Infinity;
    for (const c of cands) {
      if (!ids.includes(c.id)) continue;
      const load = c.queuedRequests + c.runningRequests;
      if (load < bestLoad) {
        best = c;
        bestLoad = load;
      }
    }
    return best;
  };
}
