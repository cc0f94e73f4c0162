// Node `llmops-queue-batcher`: the workload level of DynamoLLM. Classifies each request into a
// pool by prompt length and predicted output length, learns output lengths from completions fed
// back to it, and releases per-pool batches when full or when the oldest request's slack is used
// up (core/energy/batcher.ts decides; this file maps config and msgs). With a facility twin it
// also routes the twin's arrivals: pools onto their instance groups, learning from its completions.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { QueueBatcher, type Batch, type BatchRequest } from '../../core/energy/batcher';
import { EnergyInputError } from '../../core/energy/errors';
import { profileFromTwinLaws } from '../../core/energy/profile';
import { DEFAULT_SLO } from '../../core/energy/slo';
import { DEFAULT_PARAMS } from '../../core/twin/params';
import type { FacilityConfigNode, FacilityTick } from '../facility/facility';
import { compact, messageOf, StatusLine } from '../shared/status';

interface BatcherDef extends NodeDef {
  inputBounds: string;
  outputBounds: string;
  maxBatchSize: string | number;
  ttftFloorMs: string | number;
  ttftFactor: string | number;
  tbtMs: string | number;
  mergeBelow: string | number;
  grouping: boolean;
  statsS: string | number;
  facility?: string;
}

function num(v: unknown, fallback: number): number {
  if (v === '' || v === undefined || v === null) return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}

/** "256, 1024" → [256, 1024]; the core checks they are positive and ascending. */
export function parseBounds(text: string | undefined, fallback: number[]): number[] {
  if (text === undefined || String(text).trim() === '') return fallback;
  return String(text)
    .split(/[\s,;]+/)
    .filter(Boolean)
    .map(Number);
}

type BatcherMsg = NodeMessageInFlow & { pool?: string; batch?: unknown };

export default function register(RED: NodeAPI) {
  function QueueBatcherNode(this: Node, def: BatcherDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node);
    const facility = def.facility ? (RED.nodes.getNode(def.facility) as FacilityConfigNode | null) : null;
    const statsS = Math.max(0, num(def.statsS, 10));
    let batcher: QueueBatcher | undefined;
    let failure: string | undefined;
    try {
      batcher = new QueueBatcher({
        thresholds: { input: parseBounds(def.inputBounds, [256, 1024]), output: parseBounds(def.outputBounds, [100, 350]) },
        maxBatchSize: Math.round(num(def.maxBatchSize, 8)),
        slo: { ...DEFAULT_SLO, ttftFloorMs: num(def.ttftFloorMs, DEFAULT_SLO.ttftFloorMs), ttftFactor: num(def.ttftFactor, DEFAULT_SLO.ttftFactor), tbtMs: num(def.tbtMs, DEFAULT_SLO.tbtMs) },
        mergeBelow: Math.max(0, num(def.mergeBelow, 0.5)),
        grouping: def.grouping !== false,
        profile: profileFromTwinLaws(DEFAULT_PARAMS),
      });
    } catch (err) {
      failure = messageOf(err);
      status.error(failure);
      node.error(failure);
    }

    let batches = 0;
    let routed = 0;
    const showStatus = () => {
      if (failure || !batcher) return status.error(failure ?? '');
      const p = batcher.predictor.stats();
      const text = RED._('queue-batcher.status.counts', { queued: compact(batcher.queued), batches: compact(batches), routed: compact(routed), miss: (100 * (p.mispredictionRate ?? 0)).toFixed(0) });
      if (batcher.queued > 0) status.busy(text);
      else status.ok(text);
    };

    const toMsg = (b: Batch): BatcherMsg => ({
      topic: b.pool,
      payload: b.requests,
      pool: b.pool,
      batch: { size: b.size, oldestWaitMs: b.oldestWaitMs, reason: b.reason, instances: b.instances },
    } as BatcherMsg);
    const statsMsg = (nowMs: number): BatcherMsg => ({ topic: 'stats', payload: batcher!.stats(nowMs) } as BatcherMsg);

    const release = (list: Batch[], send: (msgs: Array<BatcherMsg | null>) => void) => {
      for (const b of list) {
        batches++;
        send([toMsg(b), null]);
      }
      if (list.length) showStatus();
    };
    const sendOut = (msgs: Array<BatcherMsg | null>) => node.send(msgs);

    // Slack runs out between msgs: look every 50 ms.
    const pollTimer = batcher ? setInterval(() => release(batcher!.poll(Date.now()), sendOut), 50) : undefined;
    pollTimer?.unref?.();
    const statsTimer = batcher && statsS > 0 ? setInterval(() => node.send([null, statsMsg(Date.now())]), statsS * 1000) : undefined;
    statsTimer?.unref?.();

    // With the twin: route its arrivals pool by pool, learn from its completions, re-plan the groups.
    let unregister: (() => void) | undefined;
    let unsubscribe: (() => void) | undefined;
    let routing = false;
    if (facility && batcher) {
      const b = batcher;
      let lastPlanS = Number.NEGATIVE_INFINITY;
      const plan = () => {
        const on = new Set(facility.servers().filter((s) => s.state === 'on').map((s) => s.id));
        b.plan(facility.instances().filter((i) => on.has(i.serverId)).map((i) => ({ id: i.id, tp: i.tp })), (facility.twin()?.timeS ?? 0) * 1000);
      };
      unregister = facility.register(node, (tick: FacilityTick) => {
        if (tick.error || !facility.twin()) return;
        if (!routing) {
          facility.setRouter((req, cands) => {
            const q = b.admit({ id: req.id, inputTokens: req.inputTokens }, (facility.twin()?.timeS ?? 0) * 1000);
            routed++;
            return b.route(q.pool, cands, req.inputTokens) as (typeof cands)[number] | undefined;
          });
          routing = true;
        }
        if (tick.simulatedS - lastPlanS >= 30) {
          lastPlanS = tick.simulatedS;
          plan();
          showStatus();
        }
      });
      unsubscribe = facility.onCompletion((c) => {
        try {
          b.complete({ id: c.id, outputTokens: c.outputTokens, inputTokens: c.inputTokens });
        } catch (err) {
          node.error(messageOf(err));
        }
      });
    }
    showStatus();

    node.on('input', (msg: NodeMessageInFlow, send, done) => {
      if (!batcher) {
        done(new Error(failure ?? RED._('queue-batcher.errors.not-ready')));
        return;
      }
      const now = Date.now();
      const out = (msgs: Array<BatcherMsg | null>) => send(msgs as never);
      try {
        if (msg.topic === 'flush') {
          release(batcher.flush(now), out);
          return done();
        }
        if (msg.topic === 'stats') {
          send([null, statsMsg(now)] as never);
          return done();
        }
        const items: unknown[] = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
        if (items.length === 0 || msg.payload === undefined || msg.payload === null) throw new EnergyInputError('ERR_MISSING_ID', RED._('queue-batcher.errors.no-payload'));
        // A msg may mix requests and completions; items before a bad one stay queued.
        for (const item of items) {
          if (item !== null && typeof item === 'object' && 'outputTokens' in item) batcher.complete(item as { id: string; outputTokens: number; inputTokens?: number });
          else batcher.add(item as BatchRequest, now);
        }
        release(batcher.poll(now), out);
        showStatus();
        done();
      } catch (err) {
        const text = err instanceof EnergyInputError ? err.message : messageOf(err);
        status.error(text);
        done(new Error(text));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (pollTimer) clearInterval(pollTimer);
      if (statsTimer) clearInterval(statsTimer);
      unregister?.();
      unsubscribe?.();
      if (routing && facility?.twin()) facility.setRouter(null);
      status.dispose();
      done();
    });
  }

  RED.nodes.registerType('llmops-queue-batcher', QueueBatcherNode);
}
