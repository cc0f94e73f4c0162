// Node `llmops-gpu-dvfs`: the instance level of DynamoLLM. Every few seconds it picks, for each
// inference instance, the lowest SM clock whose predicted TTFT and TBT stay inside the SLO with
// a margin (core/energy/dvfs.ts decides; this file only maps config and msgs). Telemetry comes in
// msgs or straight from the facility twin; clocks go to the twin or out as msgs only. Fed
// nothing, instances go back to their highest clock; on close every clock is reset.
import * as fs from 'fs';
import * as path from 'path';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { DvfsController, type DvfsDecision, type InstanceTelemetry } from '../../core/energy/dvfs';
import { EnergyInputError } from '../../core/energy/errors';
import { checkProfile, profileFromTwinLaws, type LatencyPowerProfile } from '../../core/energy/profile';
import { DEFAULT_PARAMS } from '../../core/twin/params';
import type { Completion } from '../../core/twin/facility';
import type { FacilityConfigNode, FacilityTick } from '../facility/facility';
import { messageOf, StatusLine } from '../shared/status';

interface DvfsDef extends NodeDef {
  source: 'msg' | 'twin';
  actuator: 'twin' | 'message';
  facility?: string;
  periodS: string | number;
  minMHz: string | number;
  maxMHz: string | number;
  marginPct: string | number;
  holdS: string | number;
  staleS: string | number;
  profileFile: string;
}

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

export default function register(RED: NodeAPI) {
  function GpuDvfs(this: Node, def: DvfsDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node);
    const source = def.source === 'twin' ? 'twin' : 'msg';
    const actuator = def.actuator === 'message' ? 'message' : 'twin';
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
        strictInstances: needsTwin,
      });
    } catch (err) {
      failure = messageOf(err);
    }
    if (!failure && needsTwin && !facility) failure = RED._('gpu-dvfs.errors.no-facility');
    if (failure) {
      status.error(failure);
      node.error(failure);
    }

    const rates = new RateMeter();
    let changes = 0;
    let last: DvfsDecision | undefined;
    let lastDecideS = Number.NEGATIVE_INFINITY;
    let lastRollS = Number.NaN;
    let twinError: string | undefined;

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
      if (!last) return status.idle(RED._('gpu-dvfs.status.waiting'));
      const text = RED._('gpu-dvfs.status.clock', { instance: last.instance, mhz: last.frequencyMHz, reason: RED._('gpu-dvfs.reason.' + last.reason), n: changes });
      if (last.reason === 'stale-safe' || last.reason === 'reset') status.warn(text);
      else if (last.reason === 'slack-eaten' || last.reason === 'queue-building') status.busy(text);
      else status.ok(text);
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
        if (d.frequencyMHz !== d.previousMHz) changes++;
        last = d;
        send({ topic: d.instance, payload: d } as NodeMessageInFlow);
      }
      showStatus();
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
          act(dvfs.decide(t), sendOut);
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
          const up = dvfs.observe(item as InstanceTelemetry, t);
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
      done();
    });
  }

  RED.nodes.registerType('llmops-gpu-dvfs', GpuDvfs);
}
