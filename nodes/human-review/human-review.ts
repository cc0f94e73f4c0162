// Node `llmops-human-review`: the last gate before an action. Each msg becomes an open review
// (output, input, verification side by side); a person approves, edits or rejects it from the
// editor's "Reviews" sidebar, the admin HTTP API, or a decision msg on the input
// (`msg.review = {id, decision, ...}`, e.g. from a Dashboard page). Outputs: 1 approved,
// 2 rejected, 3 expired / escalated. The rules live in core/review; this file maps msgs,
// the context store, the admin API and the audit log onto them.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { IPoint } from 'influx';
import {
  ReviewDesk,
  reviewView,
  type DecisionInput,
  type DecisionResult,
  type Release,
  type ReviewItem,
  type ReviewPolicy,
} from '../../core/review';
import type { InfluxConfigNode } from '../influxdb/influxdb';
import { compact, messageOf, StatusLine } from '../shared/status';
import { addDesk, serveAdminApi } from './admin-api';
import { contextPersistence } from './context-persistence';
import { policyFromConfig, type PolicyFields } from './policy-config';
import { matcherRecheck } from './recheck';

interface HumanReviewDef extends NodeDef, PolicyFields {
  store: string;
  influx: string;
  /** Output 4: the open reviews `{total, offset: 0, items}` whenever they change (for a dashboard list). */
  listOutput?: boolean;
}

/** The most reviews the list output carries; `total` still counts them all. */
export const LIST_LIMIT = 100;

type ReviewMsg = NodeMessageInFlow & { review?: unknown; inputData?: unknown; verification?: unknown; matchRules?: unknown; baseline?: unknown };

/** Properties a review keeps apart from the rest of the msg. */
const OWN_PROPS = new Set(['_msgid', 'payload', 'inputData', 'verification', 'matchRules', 'baseline', 'review', 'req', 'res']);

export const CHANGED_TOPIC = 'llmops-review/changed';

/**
 * A decision for an open review. A settled review coming from an upstream Human Review node
 * (two stages in a row) also has an id and a decision, but it has been decided: it is new
 * work for this node, not a decision.
 */
function isDecision(v: unknown): v is DecisionInput {
  return typeof v === 'object' && v !== null && typeof (v as DecisionInput).id === 'string' && 'decision' in v && !('decidedAt' in v);
}

/** The msg's other properties as JSON, so any context store can keep them. */
function carryOf(msg: ReviewMsg): Record<string, unknown> {
  const carry: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) if (!OWN_PROPS.has(k)) carry[k] = v;
  // An upstream stage's verdict stays with the msg, beside this stage's msg.review.
  if (msg.review !== undefined) carry.previousReview = msg.review;
  return JSON.parse(JSON.stringify(carry));
}

function json<T>(v: T): T {
  return v === undefined ? v : JSON.parse(JSON.stringify(v));
}

function portArray(port: 1 | 2 | 3 | 4, msg: NodeMessage): (NodeMessage | null)[] {
  const out: (NodeMessage | null)[] = [null, null, null];
  out[port - 1] = msg;
  return out;
}

function releasedMsg(release: Release): NodeMessage {
  const { item, review } = release;
  return { ...item.carry, payload: item.payload, inputData: item.inputData, verification: item.verification, review } as NodeMessage;
}

export default function register(RED: NodeAPI) {
  serveAdminApi(RED);

  function HumanReview(this: Node, def: HumanReviewDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node);
    const policy: ReviewPolicy = policyFromConfig(def);
    const store = def.store || undefined;
    // Without a store in settings.js, Node-RED drops a node's context when it is redeployed.
    const stores = (RED.settings as unknown as { contextStorage?: Record<string, unknown> }).contextStorage;
    if (!stores || Object.keys(stores).length === 0) node.warn(RED._('human-review.errors.no-store'));
    const influx = def.influx ? (RED.nodes.getNode(def.influx) as InfluxConfigNode | null) : null;

    const audit = (item: ReviewItem, fromEvent: number) => {
      if (!influx) return;
      const points: IPoint[] = item.history.slice(fromEvent).map((h) => ({
        measurement: 'review_audit',
        tags: { node: node.id, event: h.event, ...(h.decision ? { decision: h.decision } : {}) },
        fields: { id: item.id, by: h.by ?? '', comment: h.comment ?? '', status: item.status },
        timestamp: new Date(h.at),
      }));
      if (points.length) influx.writePoints(points);
    };

    /** Output 4: the open reviews in the admin API's shape, so the same dashboard template reads both. */
    const sendList = () => {
      const info = { id: node.id, name: def.name || '', checklist: policy.checklist, approvalsRequired: policy.approvalsRequired };
      const items = desk.list({ offset: 0, limit: LIST_LIMIT }).map((v) => ({ ...v, node: info }));
      node.send(portArray(4, { topic: 'reviews', payload: { total: desk.size, offset: 0, items } }));
    };

    // Editors (and output 4) are told at most every 200 ms: a burst of 10,000 reviews is one refresh, not 10,000.
    let publishTimer: NodeJS.Timeout | undefined;
    const changed = () => {
      const n = desk.size;
      if (n === 0) status.idle(RED._('human-review.status.none'));
      else status.busy(RED._('human-review.status.pending', { n: compact(n) }));
      publishTimer ??= setTimeout(() => {
        publishTimer = undefined;
        RED.comms.publish(CHANGED_TOPIC, { node: node.id, pending: desk.size }, false);
        if (def.listOutput === true) sendList();
      }, 200);
    };

    const desk = new ReviewDesk({
      persistence: contextPersistence(node.context(), store),
      policy,
      recheck: matcherRecheck(),
      onTimeout: (result) => {
        // expire() adds two events: expired, then decided or escalated.
        audit(result.release.item, result.release.item.history.length - 2);
        node.send(portArray(result.release.port, releasedMsg(result.release)));
        changed();
      },
      onError: (err) => {
        status.error(RED._('human-review.status.store-error'));
        node.error(RED._('human-review.errors.store', { error: messageOf(err) }));
      },
    });

    /** Applies a decision from any source; the released msg leaves through `send`. */
    const apply = (input: DecisionInput, send: (msgs: (NodeMessage | null)[]) => void): DecisionResult => {
      const before = desk.get(input.id)?.history.length ?? 0;
      const result = desk.decide(input);
      if (result.kind === 'refused') {
        status.warn(RED._('human-review.status.refused', { reason: result.reason }));
        return result;
      }
      if (result.kind === 'partial') {
        audit(result.item, before);
      } else {
        audit(result.release.item, before);
        send(portArray(result.release.port, releasedMsg(result.release)));
      }
      changed();
      return result;
    };

    const ready = desk.load().then(
      () => changed(),
      (err) => {
        status.error(RED._('human-review.status.store-error'));
        node.error(RED._('human-review.errors.load', { error: messageOf(err) }));
      },
    );

    const removeFromApi = addDesk({
      id: node.id,
      name: def.name || '',
      checklist: policy.checklist,
      approvalsRequired: policy.approvalsRequired,
      ready,
      size: () => desk.size,
      list: (offset, limit) => desk.list({ offset, limit }),
      has: (id) => desk.get(id) !== undefined,
      view: (id) => {
        const item = desk.get(id);
        return item && reviewView(item);
      },
      decide: (input) => apply(input, (msgs) => node.send(msgs)),
    });

    node.on('input', (msg: ReviewMsg, send, done) => {
      ready
        .then(() => {
          if (isDecision(msg.review)) {
            const r = msg.review;
            const result = apply(
              {
                id: r.id,
                decision: r.decision,
                ...(r.payload !== undefined ? { payload: json(r.payload) } : {}),
                ...(typeof r.comment === 'string' ? { comment: r.comment } : {}),
                ...(r.checklist !== undefined ? { checklist: r.checklist } : {}),
                ...(typeof r.reviewer === 'string' ? { reviewer: r.reviewer } : {}),
              },
              send,
            );
            if (result.kind === 'refused') {
              // The catalogue gives the sentence; the core's reason names what to fix.
              const err = new Error(`${RED._('human-review.errors.refused', { id: r.id })}: ${result.reason}`);
              done(Object.assign(err, { code: result.code }));
            }
            else done();
            return;
          }
          const opened = desk.submit({
            payload: json(msg.payload),
            inputData: json(msg.inputData),
            verification: json(msg.verification) as ReviewItem['verification'],
            ...(msg.matchRules !== undefined ? { matchRules: json(msg.matchRules) } : {}),
            ...(msg.baseline !== undefined ? { baseline: json(msg.baseline) } : {}),
            carry: carryOf(msg),
          });
          audit(opened.item, 0);
          if (opened.release) {
            // Auto-approved: the original msg goes on, so nothing of it is lost to JSON.
            (msg as ReviewMsg).review = opened.release.review;
            send(portArray(1, msg));
          }
          changed();
          done();
        })
        .catch((err) => {
          status.error(messageOf(err));
          done(err instanceof Error ? err : new Error(messageOf(err)));
        });
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (publishTimer) clearTimeout(publishTimer);
      removeFromApi();
      status.dispose();
      desk
        .close()
        .catch((err) => node.error(messageOf(err)))
        .finally(done);
    });
  }

  RED.nodes.registerType('llmops-human-review', HumanReview);
}
