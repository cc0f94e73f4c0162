// Node `llmops-gpu-dvfs`: the instance level of DynamoLLM. Every few seconds it picks, for each
// inference instance, the lowest SM clock whose predicted TTFT and TBT stay inside the SLO with
// a margin (core/energy/dvfs.ts decides; this file only maps config and msgs). Telemetry comes in
// msgs or straight from the facility twin; clocks go to the twin, to this host's GPUs through
// nvidia-smi (an instance → GPUs table), or out as msgs only. Fed nothing, instances go back to
// their highest clock; on close every clock is reset (nvidia-smi: `-rgc` on the GPUs it locked).
import * as fs from 'fs';
import * as path from 'path';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { NvidiaSmiClocks, type InstanceGpuRow } from '../../core/adapters/actuators';
import { AdapterError } from '../../core/adapters/errors';
import { DvfsController, type DvfsDecision, type InstanceTelemetry } from '../../core/energy/dvfs';
import { EnergyInputError } from '../../core/energy/errors';
import { checkProfile, profileFromTwinLaws, type LatencyPowerProfile } from '../../core/energy/profile';
import { DEFAULT_PARAMS } from '../../core/twin/params';
import type { Completion } from '../../core/twin/facility';
import type { FacilityConfigNode, FacilityTick } from '../facility/facility';
import { messageOf, StatusLine } from '../shared/status';

interface DvfsDef extends NodeDef {
  source: 'msg' | 'twin';
  actuator: 'twin' | 'message' | 'nvidia-smi';
  facility?: string;
  /** nvidia-smi actuator: path of the program (empty: found on PATH). */
  smiPath?: string;
  /** nvidia-smi actuator: which GPUs each instance runs on, e.g. {instance: 'llama-0', gpus: '0-3'}. */
  instanceGpus?: InstanceGpuRow[];
  /** nvidia-smi actuator: limit for one call, s (default 5). */
  timeoutS?: string | number;
  periodS: string | number;
  minMHz: string | number;
  maxMHz: string | number;
  marginPct: string | number;
  holdS: string | number;
  staleS: string | number;
  profileFile: string;
  /** 'changes' (default): one msg per decision; 'every': also every instance's unchanged clock each period. */
  report?: 'changes' | 'every';
}

/** What 'every period' reports for an instance whose clock stayed: its clock and the current prediction. */
export interface DvfsReport extends Omit<DvfsDecision, 'reason'> {
  reason: DvfsDecision['reason'] | 'unchanged';
}

/** Node-RED's close timeout is 15 s: give up waiting for the clock reset a little before. */
const CLOSE_LIMIT_MS = 12_000;

/** Status words per adapter failure: short, the full sentence goes to the log. */
const SMI_SHORT: Record<string, string> = {
  ERR_PERMISSION: 'permission',
  ERR_NOT_FOUND: 'not-found',
  ERR_TIMEOUT: 'timeout',
  ERR_MISSING: 'missing',
  ERR_UNSUPPORTED: 'unsupported',
};

function num(v: unknown, fallback: number): number {
  if (v === '' || v === undefined || v === null) return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}

/** Per-instance prompt-token rate seen in completions (EWMA over ~10 s of twin time). */
class RateMeter {
  private readonly acc = new Map<string, { tokens: number; requests: number; rate: number; req: number; mean: number }>();
  add(instance: string, inputTokens: number): void {
    const r = this.acc.get(instance) ?? { tokens: 0, requests: 0, rate: 0, req: 0, mean: 1024 };
    r.tokens += inputTokens;
    r.requests++;
    this.acc.set(instance, r);
  }
  roll(dtS: number): void {
    if (!(dtS > 0)) return;
    const a = 1 - Math.exp(-dtS / 10);
    for (const r of this.acc.values()) {
      r.rate += a * (r.tokens / dtS - r.rate);
      r.req += a * (r.requests / dtS - r.req);
      if (r.requests > 0) r.mean += 0.2 * (r.tokens / r.requests - r.mean);
      r.tokens = r.requests = 0;
    }
  }
  of(instance: string) {
    return this.acc.get(instance);
  }
}

export function loadProfile(file: string, userDir: string): LatencyPowerProfile {
  if (!file) return profileFromTwinLaws(DEFAULT_PARAMS);
  const full = path.resolve(userDir, file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (err) {
    throw new EnergyInputError('ERR_BAD_CONFIG', `cannot read profile ${full}: ${messageOf(err)}`);
  }
  try {
    return checkProfile(JSON.parse(text) as LatencyPowerProfile);
  } catch (err) {
    throw new EnergyInputError('ERR_BAD_CONFIG', `profile ${full}: ${messageOf(err)}`);
  }
}

/** Tensor parallelism of an instance from its GPU count, when it is one the profile knows. */
function tpOf(gpus: number[] | undefined): 2 | 4 | 8 | undefined {
  const n = gpus?.length;
  return n === 2 || n === 4 || n === 8 ? n : undefined;
}

/**
 * Telemetry for the nvidia-smi actuator: the instance must be in the table (a decision for any
 * other could not be applied), and its TP defaults to its GPU count.
 */
function fromTable(table: NvidiaSmiClocks, item: unknown, say: (key: string, subs: Record<string, string>) => string): InstanceTelemetry {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return item as InstanceTelemetry;
  const t = item as InstanceTelemetry;
  if (typeof t.instance !== 'string' || !t.instance) return t;
  const gpus = table.gpusOf(t.instance);
  if (!gpus) {
    throw new EnergyInputError('ERR_UNKNOWN_INSTANCE', say('gpu-dvfs.errors.smi-unknown', { instance: t.instance, listed: table.instances().join(', ') }));
  }
  const tp = tpOf(gpus);
  return t.tp === undefined && tp ? { ...t, tp } : t;
}

export default function register(RED: NodeAPI) {
  function GpuDvfs(this: Node, def: DvfsDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node);
    const source = def.source === 'twin' ? 'twin' : 'msg';
    const actuator = def.actuator === 'message' ? 'message' : def.actuator === 'nvidia-smi' ? 'nvidia-smi' : 'twin';
    const needsTwin = source === 'twin' || actuator === 'twin';
    const facility = def.facility ? (RED.nodes.getNode(def.facility) as FacilityConfigNode | null) : null;
    const periodS = Math.max(1, num(def.periodS, 5));
    let dvfs: DvfsController | undefined;
    let failure: string | undefined;
    let hardwareMaxMHz = 0;
    try {
      const profile = loadProfile(def.profileFile || '', RED.settings.userDir || process.cwd());
      const all = [...profile.clocksMHz].sort((a, b) => a - b);
      const minMHz = num(def.minMHz, all[0]);
      const maxMHz = num(def.maxMHz, all[all.length - 1]);
      hardwareMaxMHz = all[all.length - 1];
      if (minMHz < all[0] || maxMHz > all[all.length - 1]) {
        throw new EnergyInputError('ERR_CLOCK_RANGE', RED._('gpu-dvfs.errors.range', { min: minMHz, max: maxMHz, lo: all[0], hi: all[all.length - 1] }));
      }
      dvfs = new DvfsController(profile, {
        minMHz,
        maxMHz,
        margin: Math.min(0.9, Math.max(0, num(def.marginPct, 20) / 100)),
        holdS: Math.max(0, num(def.holdS, 15)),
        staleS: Math.max(1, num(def.staleS, 30)),
        strictInstances: needsTwin || actuator === 'nvidia-smi',
      });
    } catch (err) {
      failure = messageOf(err);
    }
    // Simulated telemetry must not steer real GPUs: the real actuator takes telemetry in msgs.
    if (!failure && actuator === 'nvidia-smi' && source === 'twin') failure = RED._('gpu-dvfs.errors.smi-needs-msg');
    if (!failure && needsTwin && !facility) failure = RED._('gpu-dvfs.errors.no-facility');

    // The real GPUs: only the instances of the table are steered, each on its own GPUs.
    let clocks: NvidiaSmiClocks | undefined;
    if (!failure && dvfs && actuator === 'nvidia-smi') {
      try {
        clocks = new NvidiaSmiClocks({ smiPath: def.smiPath || undefined, instanceGpus: Array.isArray(def.instanceGpus) ? def.instanceGpus : [], timeoutS: def.timeoutS });
        const table = clocks;
        dvfs.setInstances(table.instances().map((id) => ({ id, tp: tpOf(table.gpusOf(id)) ?? 8 })));
      } catch (err) {
        failure = RED._('gpu-dvfs.errors.smi-config', { error: messageOf(err) });
      }
    }
    if (failure) {
      status.error(failure);
      node.error(failure);
    }

    const rates = new RateMeter();
    let changes = 0;
    let last: DvfsDecision | undefined;
    const reportEvery = def.report === 'every';
    /** Instances the node has sent a clock for, so 'every period' can repeat the unchanged ones. */
    const clocksSent = new Set<string>();
    let lastDecideS = Number.NEGATIVE_INFINITY;
    let lastRollS = Number.NaN;
    let twinError: string | undefined;
    let closed = false;
    /** nvidia-smi failures per instance, until that instance's next clock is applied. */
    const smiErrors = new Map<string, AdapterError>();
    /** The clock nvidia-smi last applied, for the status. */
    let locked: { instance: string; mhz: number; reason: DvfsDecision['reason'] } | undefined;
    /** Decisions coalesced by the actuator share one failure: log it once. */
    const reported = new WeakSet<object>();

    const twinNowS = () => facility?.twin()?.timeS;
    const nowS = () => (facility ? twinNowS() ?? Date.now() / 1000 : Date.now() / 1000);

    /** Serving instances of the twin (instances of powered-off servers take no clock). */
    const servingInstances = () => {
      if (!facility) return [];
      const on = new Set(facility.servers().filter((s) => s.state === 'on').map((s) => s.id));
      return facility.instances().filter((i) => on.has(i.serverId));
    };

    const showStatus = () => {
      if (failure) return status.error(failure);
      if (twinError) return status.warn(twinError);
      const smiError = smiErrors.values().next().value as AdapterError | undefined;
      if (smiError) {
        const short = SMI_SHORT[smiError.code];
        return status.error(RED._('gpu-dvfs.smi-status.' + (short ?? 'failed'), { code: smiError.code }));
      }
      if (!last) return status.idle(RED._('gpu-dvfs.status.waiting'));
      const shown = locked ?? { instance: last.instance, mhz: last.frequencyMHz, reason: last.reason };
      const text = RED._(locked ? 'gpu-dvfs.status.locked' : 'gpu-dvfs.status.clock', { instance: shown.instance, mhz: shown.mhz, reason: RED._('gpu-dvfs.reason.' + shown.reason), n: changes });
      if (shown.reason === 'stale-safe' || shown.reason === 'reset') status.warn(text);
      else if (shown.reason === 'slack-eaten' || shown.reason === 'queue-building') status.busy(text);
      else status.ok(text);
    };

    /** Locks the instance's GPUs through nvidia-smi; a failure is a red status and a logged error, never a throw. */
    const applyClock = (table: NvidiaSmiClocks, d: DvfsDecision) => {
      table.apply(d.instance, d.frequencyMHz).then(
        (mhz) => {
          if (closed) return;
          smiErrors.delete(d.instance);
          locked = { instance: d.instance, mhz, reason: d.reason };
          showStatus();
        },
        (err: unknown) => {
          if (closed) return;
          const e = err instanceof AdapterError ? err : new AdapterError('ERR_FAILED', messageOf(err));
          smiErrors.set(d.instance, e);
          showStatus();
          if (reported.has(e)) return;
          reported.add(e);
          const text = RED._('gpu-dvfs.errors.smi', { instance: d.instance, mhz: d.frequencyMHz, error: e.message });
          // With the decision as msg, so a Catch node can act on it (msg.code says which failure).
          node.error(text, { topic: d.instance, payload: d, code: e.code } as unknown as NodeMessageInFlow);
        },
      );
    };

    /** Applies decisions through the actuator and sends one msg each. */
    const act = (decisions: DvfsDecision[], send: (msg: NodeMessageInFlow) => void) => {
      for (const d of decisions) {
        if (actuator === 'twin' && facility) {
          try {
            facility.setFrequency(d.instance, d.frequencyMHz);
            twinError = undefined;
          } catch (err) {
            twinError = RED._('gpu-dvfs.errors.actuator', { instance: d.instance, error: messageOf(err) });
            node.error(twinError);
          }
        }
        if (clocks) applyClock(clocks, d);
        if (d.frequencyMHz !== d.previousMHz) changes++;
        last = d;
        clocksSent.add(d.instance);
        send({ topic: d.instance, payload: d } as NodeMessageInFlow);
      }
      showStatus();
    };

    /** 'every period': the clock of each instance the pass did not decide for, so a chart never runs dry. */
    const reportUnchanged = (decided: DvfsDecision[], send: (msg: NodeMessageInFlow) => void) => {
      if (!reportEvery || !dvfs) return;
      const seen = new Set(decided.map((d) => d.instance));
      for (const id of [...clocksSent]) {
        const mhz = dvfs.clockOf(id);
        if (mhz === undefined) {
          // The instance is gone (server off, or dropped by the instance list).
          clocksSent.delete(id);
          continue;
        }
        if (seen.has(id)) continue;
        const p = dvfs.predictAt(id, mhz);
        const payload: DvfsReport = { instance: id, frequencyMHz: mhz, previousMHz: mhz, slackMs: p.ttftSloMs - p.ttftMs, reason: 'unchanged', predicted: { ttftMs: p.ttftMs, tbtMs: p.tbtMs, powerW: p.powerW } };
        send({ topic: id, payload } as NodeMessageInFlow);
      }
    };
    const sendOut = (msg: NodeMessageInFlow) => node.send(msg);

    /** Registers the twin's instances, so telemetry for an unknown one is refused. */
    const syncInstances = () => {
      if (!dvfs || !facility || !needsTwin) return [];
      const serving = servingInstances();
      dvfs.setInstances(serving.map((i) => ({ id: i.id, tp: i.tp })));
      return serving;
    };

    /** One periodic pass: read the twin (source twin), then decide for every instance. */
    const periodic = (t: number) => {
      if (!dvfs || failure) return;
      if (!Number.isNaN(lastRollS)) rates.roll(t - lastRollS);
      lastRollS = t;
      try {
        const serving = syncInstances();
        if (source === 'twin') {
          for (const i of serving) {
            const r = rates.of(i.id);
            const up = dvfs.observe(
              { instance: i.id, tp: i.tp, queuedTokens: i.queuedTokens, queueDepth: i.queuedRequests, running: i.runningRequests, prefillTokensPerS: r?.rate ?? 0, requestsPerS: r?.req ?? 0, meanInputTokens: r?.mean ?? 1024, frequencyMHz: i.freqMHz },
              t,
            );
            if (up) act([up], sendOut);
          }
        }
        if (t - lastDecideS >= periodS) {
          lastDecideS = t;
          const decided = dvfs.decide(t);
          act(decided, sendOut);
          reportUnchanged(decided, sendOut);
        }
      } catch (err) {
        node.error(messageOf(err));
      }
    };

    let unregister: (() => void) | undefined;
    let unsubscribe: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    if (facility && dvfs && !failure) {
      unregister = facility.register(node, (tick: FacilityTick) => {
        if (tick.error) {
          twinError = tick.error;
          showStatus();
          return;
        }
        periodic(tick.simulatedS);
      });
      if (source === 'twin') {
        unsubscribe = facility.onCompletion((c: Completion) => {
          rates.add(c.instanceId, c.inputTokens);
          try {
            const up = dvfs?.observe({ instance: c.instanceId, tp: undefined, ttftMs: c.ttftS * 1000, tbtMs: c.outputTokens > 1 ? c.tbtS * 1000 : undefined, inputTokens: c.inputTokens }, c.finishS);
            if (up) act([up], sendOut);
          } catch {
            // A completion from an instance whose server was just switched off: nothing to steer.
          }
        });
      }
    } else if (dvfs && !failure) {
      // Message-only: the wall clock drives the periodic decisions (and the stale-safe fallback).
      timer = setInterval(() => periodic(Date.now() / 1000), periodS * 1000);
      timer.unref?.();
    }
    showStatus();

    node.on('input', (msg: NodeMessageInFlow, send, done) => {
      if (!dvfs || failure) {
        done(new Error(failure ?? RED._('gpu-dvfs.errors.not-ready')));
        return;
      }
      const items: unknown[] = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
      const t = nowS();
      try {
        syncInstances();
        const out: DvfsDecision[] = [];
        for (const item of items) {
          const up = dvfs.observe(clocks ? fromTable(clocks, item, (k, subs) => RED._(k, subs)) : (item as InstanceTelemetry), t);
          if (up) out.push(up);
        }
        act(out, (m) => send(m));
        done();
      } catch (err) {
        const text = err instanceof EnergyInputError ? err.message : messageOf(err);
        status.error(text);
        done(new Error(text));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      if (timer) clearInterval(timer);
      unregister?.();
      unsubscribe?.();
      // Hand the GPUs back at their default (highest) clock, as nvidia-smi -rgc does: no instance
      // stays slowed by a controller that is gone.
      if (dvfs && actuator === 'twin' && facility?.twin()) {
        const max = hardwareMaxMHz;
        for (const i of facility.instances()) {
          try {
            // Always command it: a lower clock may still be pending at the next iteration.
            facility.setFrequency(i.id, max);
          } catch (err) {
            node.error(messageOf(err));
          }
        }
      }
      dvfs?.reset(nowS());
      status.dispose();
      if (!clocks) {
        done();
        return;
      }
      // Real GPUs: -rgc on every instance this node locked (after any call in flight), within
      // Node-RED's close timeout; a reset that fails or hangs is logged, never thrown.
      let guard: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => {
        guard = setTimeout(() => {
          node.error(RED._('gpu-dvfs.errors.reset-slow', { s: CLOSE_LIMIT_MS / 1000 }));
          resolve();
        }, CLOSE_LIMIT_MS);
      });
      const reset = clocks.close().catch((err: unknown) => node.error(RED._('gpu-dvfs.errors.reset', { error: messageOf(err) })));
      void Promise.race([reset, limit]).then(() => {
        clearTimeout(guard);
        done();
      });
    });
  }

  RED.nodes.registerType('llmops-gpu-dvfs', GpuDvfs);
}
