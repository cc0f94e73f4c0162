// Config node `llmops-facility`: runs the facility twin inside Node-RED in wall-clock time
// (optionally accelerated) and, when given a port, serves its BMS over OPC UA. Nodes that use it
// read its telemetry (the Sensor), command it as a real facility is commanded (the Energy nodes:
// server count, SM clocks, tensor parallelism, routing), and see its clock on their status.
// A redeploy that leaves its configuration alone keeps the running twin (see KeptTwin below).
import * as crypto from 'crypto';
import * as path from 'path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Reading } from '../../core/telemetry/catalogue';
import type { BmsPoint } from '../../core/twin/bms';
import type { Completion, Facility, FacilitySummary, InstanceInfo, IntervalSample } from '../../core/twin/facility';
import type { Router } from '../../core/twin/cluster';
import { TwinHost, type GeneratorKind, type TickInfo, type TwinHostOptions } from '../../core/opcua/twin-host';
import type { BmsServerInfo } from '../../core/opcua/bms-server';
import { messageOf } from '../shared/status';

interface FacilityDef extends NodeDef {
  workload: GeneratorKind;
  traceFile: string;
  ratePerS: string | number;
  rateScale: string | number;
  seed: string | number;
  servers: string | number;
  speed: string | number;
  timestamps: 'wall' | 'simulated';
  opcuaPort: string | number;
  /** Interface the OPC UA server listens on and the name it advertises (default 127.0.0.1). */
  opcuaHost?: string;
  opcuaSecurity: 'none' | 'sign-encrypt';
  opcuaAllowAnonymous: boolean;
  opcuaPkiDir: string;
  opcuaTrustClients: boolean;
}

interface FacilityCredentials {
  opcuaUser?: string;
  opcuaPassword?: string;
}

/** What users see on every wall-clock tick. */
export interface FacilityTick {
  /** Simulated seconds since the workload's start. */
  simulatedS: number;
  sample?: IntervalSample;
  /** Ready-made status text: simulated time, active servers, IT kW, cooling kW. */
  text: string;
  /** Set when the twin could not start or stopped. */
  error?: string;
}

export interface FacilityConfigNode extends Node<FacilityCredentials> {
  /** Registers a user for ticks (status fan-out); returns the function that deregisters. */
  register(user: Node, onTick: (t: FacilityTick) => void): () => void;
  /** Readings of all five layers now (wall-clock or simulated timestamps, as configured). */
  telemetry(): Reading[];
  /** Calls `fn` for every simulated second (IT, cooling, servers, clocks…); returns the unsubscribe function. */
  onSample(fn: (s: IntervalSample) => void): () => void;
  /** Calls `fn` for every finished request with its true output length; returns the unsubscribe function. */
  onCompletion(fn: (c: Completion) => void): () => void;
  setServerCount(n: number): void;
  setFrequency(instanceId: string, mhz: number): void;
  setTensorParallel(serverId: string, tp: number): void;
  /** Routes arrivals (request pools → instance groups); null restores least-loaded routing. */
  setRouter(router: Router | null): void;
  instances(): InstanceInfo[];
  servers(): Array<{ id: string; rack: string; state: string; tp: number }>;
  bmsPoints(): BmsPoint[];
  bmsRead(): Record<string, number | boolean | string>;
  bmsWrite(nodeId: string, value: number | boolean | string): void;
  summary(): FacilitySummary;
  /** The OPC UA server's endpoint and namespace, when one is served. */
  opcua(): BmsServerInfo | undefined;
  statusText(): string;
  /** The twin itself, for benchmarks and tests; undefined when it failed to start. */
  twin(): Facility | undefined;
}

function num(v: unknown, fallback: number, min: number, max = Infinity): number {
  const n = Number(v);
  return v === '' || v === undefined || v === null || !Number.isFinite(n) ? fallback : Math.min(max, Math.max(min, n));
}

/** `01:02:03` for 3723 s. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return [hh, mm, ss].map((x) => String(x).padStart(2, '0')).join(':');
}

/**
 * Twins that outlive a deploy. Node-RED closes and re-creates a config node on a full deploy, on
 * a "modified flows" deploy of its tab, and whenever the editor sends its credentials, even when
 * nothing about it changed; a twin restarted each time would lose its simulated day, reboot its
 * servers and drop its OPC UA clients. So a closing facility (not removed) parks its twin here for
 * a short grace period, and a new node with the same id and the same configuration adopts it.
 */
interface KeptTwin {
  /** Hash of everything the twin was built from (workload, servers, speed, OPC UA, credentials). */
  hash: string;
  host: TwinHost;
  /** The start's outcome: the OPC UA server's description, or why it did not start. */
  started: Promise<{ info?: BmsServerInfo; error?: unknown }>;
  /** Set when the twin stopped advancing (a model error): such a twin is not kept. */
  broken?: string;
  /** Set once `started` has settled. */
  settled?: boolean;
  /** Set while parked: stops the twin when nobody adopts it in time. */
  grace?: NodeJS.Timeout;
}

/**
 * How long a parked twin waits for its node to come back (ms). Deploys normally settle it sooner:
 * once the new flows have started, or the runtime has stopped, the parked twins stop at once.
 * Grace and stop together stay within Node-RED's 15 s.
 */
export const PARK_GRACE_MS = 5000;
/** Node-RED allows 15 s for close handlers; a stop must end well within them. */
const STOP_LIMIT_MS = 10000;

const kept = new Map<string, KeptTwin>();
/** Twins being stopped, by node id: a successor waits for its port to be free. */
const stopping = new Map<string, Promise<void>>();
const watchedEmitters = new WeakSet<object>();

function stopKept(id: string, k: KeptTwin): Promise<void> {
  if (kept.get(id) === k) kept.delete(id);
  if (k.grace) clearTimeout(k.grace);
  k.grace = undefined;
  const earlier = stopping.get(id);
  const done = Promise.all([earlier, Promise.race([k.host.stop(), new Promise<void>((r) => setTimeout(r, STOP_LIMIT_MS).unref?.())])])
    .then(() => undefined, () => undefined)
    .finally(() => {
      if (stopping.get(id) === done) stopping.delete(id);
    });
  stopping.set(id, done);
  return done;
}

/** Stops every parked twin now (the runtime stops, or a deploy started without them). */
export function stopParkedTwins(): Promise<void> {
  const all: Promise<void>[] = [];
  for (const [id, k] of [...kept]) if (k.grace) all.push(stopKept(id, k));
  return Promise.all([...all, ...stopping.values()]).then(() => undefined);
}

/**
 * After a deploy's flows have started, a twin still parked has no node any more; when the runtime
 * stops (not for a deploy), nobody is coming back. Either way the parked twins stop at once.
 */
function watchRuntime(events: NodeAPI['events'] | undefined): void {
  if (!events || watchedEmitters.has(events)) return;
  watchedEmitters.add(events);
  events.on('flows:started', () => void stopParkedTwins());
  events.on('runtime-event', (ev: { id?: string; payload?: { state?: string; deploy?: boolean } }) => {
    if (ev?.id === 'runtime-state' && ev.payload?.state === 'stop' && !ev.payload.deploy) void stopParkedTwins();
  });
}

export default function register(RED: NodeAPI) {
  watchRuntime(RED.events);

  function FacilityConfig(this: FacilityConfigNode, def: FacilityDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const creds = node.credentials || {};
    const users = new Map<Node, (t: FacilityTick) => void>();
    const wallClock = def.timestamps !== 'simulated';
    let host: TwinHost | undefined;
    let failure: string | undefined;
    let closed = false;

    const userDir = RED.settings.userDir || process.cwd();
    const port = num(def.opcuaPort, 0, 0, 65535);
    const options: TwinHostOptions = {
      workload: {
        kind: def.workload || 'trace',
        trace: def.traceFile ? path.resolve(userDir, def.traceFile) : undefined,
        ratePerS: num(def.ratePerS, 20, 0),
        rateScale: num(def.rateScale, 10, 0),
        seed: Math.round(num(def.seed, 1, -2147483648, 2147483647)),
      },
      servers: Math.round(num(def.servers, 12, 1, 1000)),
      speed: num(def.speed, 1, 0.001, 10000),
      opcua:
        port > 0
          ? {
              port,
              // This machine only unless the user opens it up (0.0.0.0: every interface).
              host: (def.opcuaHost ?? '').trim() || '127.0.0.1',
              security: def.opcuaSecurity === 'sign-encrypt' ? 'sign-encrypt' : 'none',
              users: creds.opcuaUser ? [{ name: creds.opcuaUser, password: creds.opcuaPassword ?? '' }] : [],
              allowAnonymous: def.opcuaAllowAnonymous !== false,
              pkiDir: def.opcuaPkiDir ? path.resolve(userDir, def.opcuaPkiDir) : path.join(userDir, 'llmops', 'twin-pki'),
              trustUnknownClients: !!def.opcuaTrustClients,
            }
          : undefined,
    };
    const hash = crypto.createHash('sha256').update(JSON.stringify(options)).digest('hex');

    let twinState: KeptTwin | undefined;
    /** Adopted after its start was reported (by the node before this one). */
    let reported = false;
    const previous = kept.get(node.id);
    if (previous && previous.hash === hash && previous.grace && !previous.broken) {
      // The same twin, still running: adopt it.
      clearTimeout(previous.grace);
      previous.grace = undefined;
      twinState = previous;
      reported = !!previous.settled;
    } else {
      // Another configuration (or a twin that broke): the old one goes, and frees its port first.
      if (previous) void stopKept(node.id, previous);
      const portFree = stopping.get(node.id) ?? Promise.resolve();
      try {
        const h = new TwinHost(options);
        const k: KeptTwin = {
          hash,
          host: h,
          started: portFree.then(() => h.start()).then(
            (info) => {
              k.settled = true;
              return { info };
            },
            (error: unknown) => {
              k.settled = true;
              return { error };
            },
          ),
        };
        // Always one listener: an 'error' without any would throw out of the twin's timer.
        h.on('error', (err: unknown) => (k.broken = messageOf(err)));
        kept.set(node.id, k);
        twinState = k;
      } catch (err) {
        failure = messageOf(err);
        node.error(RED._('facility.errors.start', { error: failure }));
      }
    }
    host = twinState?.host;

    const statusText = (): string => {
      if (failure) return RED._('facility.status.failed', { error: failure });
      const s = host?.latest;
      if (!host || !s) return RED._('facility.status.starting');
      return RED._('facility.status.running', {
        t: clock(s.t),
        servers: s.servingServers,
        it: s.itKW.toFixed(0),
        cooling: s.coolingKW.toFixed(1),
      });
    };
    const fanOut = (t: FacilityTick) => {
      for (const fn of users.values()) {
        try {
          fn(t);
        } catch (err) {
          node.error(messageOf(err));
        }
      }
    };

    const onTick = (t: TickInfo) => fanOut({ simulatedS: t.simulatedS, sample: t.sample, text: statusText() });
    const onError = (err: unknown) => {
      failure = messageOf(err);
      node.error(RED._('facility.errors.stopped', { error: failure }));
      fanOut({ simulatedS: host?.facility.timeS ?? 0, text: statusText(), error: failure });
    };
    if (twinState) {
      const k = twinState;
      k.host.on('tick', onTick);
      k.host.on('error', onError);
      k.started.then(({ info, error }) => {
        if (closed || reported) return;
        if (error === undefined) {
          if (info) node.log(RED._('facility.log.opcua', { url: info.endpointUrl, ns: info.namespaceUri }));
          return;
        }
        // The twin runs on without its OPC UA server; the users show why.
        failure = RED._('facility.errors.opcua', { port, error: messageOf(error) });
        node.error(failure);
        fanOut({ simulatedS: k.host.facility.timeS, text: statusText(), error: failure });
      });
    }

    const twin = (): Facility => {
      if (!host) throw new Error(RED._('facility.errors.not-running', { error: failure ?? '' }));
      return host.facility;
    };

    node.register = (user, onTick) => {
      users.set(user, onTick);
      onTick({ simulatedS: host?.facility.timeS ?? 0, sample: host?.latest, text: statusText(), error: failure });
      return () => users.delete(user);
    };
    node.telemetry = () => {
      const readings = twin().telemetry();
      if (wallClock) {
        const now = Date.now();
        for (const r of readings) r.ts = now;
      }
      return readings;
    };
    node.onSample = (fn) => {
      if (!host) return () => undefined;
      const h = host;
      h.on('sample', fn);
      return () => h.off('sample', fn);
    };
    node.onCompletion = (fn) => (host ? host.facility.onCompletion(fn) : () => undefined);
    node.setServerCount = (n) => twin().setServerCount(n);
    node.setFrequency = (id, mhz) => twin().setFrequency(id, mhz);
    node.setTensorParallel = (id, tp) => twin().setTensorParallel(id, tp);
    node.setRouter = (r) => twin().setRouter(r);
    node.instances = () => twin().instances();
    node.servers = () => twin().servers();
    node.bmsPoints = () => twin().bmsPoints();
    node.bmsRead = () => twin().bmsRead();
    node.bmsWrite = (id, v) => twin().bmsWrite(id, v);
    node.summary = () => twin().summary();
    node.opcua = () => host?.bmsInfo;
    node.statusText = statusText;
    node.twin = () => host?.facility;

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      users.clear();
      const k = twinState;
      twinState = undefined;
      host = undefined;
      if (!k) return done();
      k.host.off('tick', onTick);
      k.host.off('error', onError);
      // Kept for the node that replaces this one on a redeploy, unless removed or unhealthy.
      if (!removed && !failure && !k.broken && kept.get(node.id) === k) {
        k.grace = setTimeout(() => void stopKept(node.id, k), PARK_GRACE_MS);
        k.grace.unref?.();
        return done();
      }
      stopKept(node.id, k).finally(done);
    });
  }

  RED.nodes.registerType('llmops-facility', FacilityConfig as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: { opcuaUser: { type: 'text' }, opcuaPassword: { type: 'password' } },
  });
}
