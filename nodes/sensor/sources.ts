// The Sensor's live sources. Each turns something outside the flow into readings and a status:
// - twin: all five layers of an `llmops-facility` twin at a fixed interval (and on any input msg);
// - opcua: a subscription to a list of node ids on an `llmops-opcua-endpoint`, one msg per
//   publish, restored by the endpoint after every reconnect.
import type { Node, NodeAPI } from 'node-red';
import type { Layer } from '../../core/telemetry/catalogue';
import type { ItemErrors, ItemValue, StateChange, SubscriptionHandle } from '../../core/opcua/session';
import type { FacilityConfigNode, FacilityTick } from '../facility/facility';
import type { OpcuaEndpointNode } from '../opcua-endpoint/opcua-endpoint';
import { messageOf, type Tone } from '../shared/status';

/** What a source tells the Sensor. */
export interface SourceHooks {
  /** Readings (raw items the normaliser accepts, or Readings) to send as one msg. */
  emit(items: unknown[], topic: string, trusted: boolean): void;
  /** The source's part of the status line. */
  state(tone: Tone, text: string): void;
  error(message: string): void;
}

export interface Source {
  /** A poll tick from an input msg. */
  poll(): void;
  close(): Promise<void>;
}

export interface OpcuaItemRow {
  nodeId: string;
  metric?: string;
  unit?: string;
  layer?: Layer | '';
  tags?: string;
}

export function twinSource(RED: NodeAPI, node: Node, facilityId: string, intervalS: number, hooks: SourceHooks): Source {
  const facility = RED.nodes.getNode(facilityId) as FacilityConfigNode | null;
  if (!facility) {
    hooks.state('error', RED._('sensor.status.no-facility'));
    return { poll: () => undefined, close: async () => undefined };
  }
  const send = () => {
    try {
      hooks.emit(facility.telemetry(), 'twin', true);
    } catch (err) {
      hooks.error(messageOf(err));
    }
  };
  const deregister = facility.register(node, (t: FacilityTick) => hooks.state(t.error ? 'error' : 'ok', t.text));
  const timer = intervalS > 0 ? setInterval(send, intervalS * 1000) : undefined;
  return {
    poll: send,
    close: async () => {
      if (timer) clearInterval(timer);
      deregister();
    },
  };
}

/** A read refused or cut short because the session is connecting, reconnecting or closing. */
function isSessionGone(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ERR_NOT_CONNECTED' || code === 'ERR_SESSION_CLOSED';
}

/** Metric name for an item without one: the string id without its namespace part. */
export function metricOfNodeId(nodeId: string): string {
  const id = nodeId.replace(/^nsu=[^;]*;/, '').replace(/^ns=\d+;/, '').replace(/^[isgb]=/, '');
  const clean = id.replace(/[^A-Za-z0-9_.\-]/g, '_').replace(/^[^A-Za-z]+/, '');
  return (clean || 'opcua').slice(0, 128);
}

export function opcuaSource(
  RED: NodeAPI,
  node: Node,
  endpointId: string,
  rows: OpcuaItemRow[],
  opts: { samplingMs: number; publishingMs: number },
  hooks: SourceHooks,
): Source {
  const endpoint = RED.nodes.getNode(endpointId) as OpcuaEndpointNode | null;
  if (!endpoint) {
    hooks.state('error', RED._('sensor.status.no-endpoint'));
    return { poll: () => undefined, close: async () => undefined };
  }
  const items = rows.filter((r) => r && r.nodeId && r.nodeId.trim());
  const byId = new Map<string, { metric: string; unit?: string; layer?: Layer; tags?: Record<string, string> }>();
  for (const r of items) {
    let tags: Record<string, string> | undefined;
    try {
      tags = r.tags ? JSON.parse(r.tags) : undefined;
    } catch {
      hooks.error(RED._('sensor.errors.bad-item-tags', { nodeId: r.nodeId }));
    }
    byId.set(r.nodeId.trim(), { metric: r.metric || metricOfNodeId(r.nodeId.trim()), unit: r.unit || undefined, layer: (r.layer || undefined) as Layer | undefined, tags });
  }
  const ids = [...byId.keys()];
  let itemProblems = '';
  let connected = false;

  const toItems = (values: ItemValue[]): unknown[] => {
    const out: unknown[] = [];
    for (const v of values) {
      const meta = byId.get(v.id);
      if (!meta || !v.good) continue;
      const value = typeof v.value === 'boolean' ? (v.value ? 1 : 0) : v.value;
      if (typeof value !== 'number') continue;
      out.push({ metric: meta.metric, value, unit: meta.unit, layer: meta.layer, tags: meta.tags, ts: v.sourceTimestamp ?? Date.now() });
    }
    return out;
  };
  const showState = (s: StateChange) => {
    connected = s.state === 'connected';
    switch (s.state) {
      case 'connected':
        hooks.state(itemProblems ? 'warn' : 'ok', itemProblems || RED._('sensor.status.opcua-ok'));
        break;
      case 'connecting':
        hooks.state(s.error ? 'error' : 'busy', s.error ? RED._('sensor.status.opcua-unreachable', { error: s.error }) : RED._('sensor.status.opcua-connecting'));
        break;
      case 'reconnecting':
        hooks.state('error', RED._('sensor.status.opcua-outage', { error: s.error ?? '' }));
        break;
      default:
        hooks.state('idle', RED._('sensor.status.opcua-disconnected'));
    }
  };
  const { session, deregister } = endpoint.register(node, showState);
  let handle: SubscriptionHandle | undefined;
  if (ids.length > 0) {
    handle = session.subscribe(
      ids,
      { samplingIntervalMs: opts.samplingMs, publishingIntervalMs: opts.publishingMs },
      (values) => {
        const list = toItems(values);
        if (list.length > 0) hooks.emit(list, 'opcua', false);
      },
      (errors: ItemErrors) => {
        itemProblems = errors.length ? RED._('sensor.status.opcua-bad-items', { n: errors.length, first: `${errors[0].id}: ${errors[0].error}` }) : '';
        if (errors.length) hooks.error(RED._('sensor.errors.bad-items', { list: errors.map((e) => `${e.id} (${e.error})`).join(', ') }));
        if (connected) showState(session.status);
      },
    );
  } else {
    hooks.state('warn', RED._('sensor.status.no-items'));
  }
  return {
    poll: () => {
      if (ids.length === 0) return;
      // No session yet (connecting) or for now (reconnecting): the poll is skipped, which the
      // status already says; the subscription delivers once the session is there.
      if (session.state !== 'connected') return showState(session.status);
      session.read(ids).then(
        (values) => {
          const list = toItems(values);
          if (list.length > 0) hooks.emit(list, 'opcua', false);
        },
        (err) => {
          // The session went away between the check and the answer: the state change shows it.
          if (isSessionGone(err)) showState(session.status);
          else hooks.error(messageOf(err));
        },
      );
    },
    close: async () => {
      deregister();
      await handle?.close().catch(() => undefined);
    },
  };
}
