// Config node `llmops-facility`: runs the facility twin inside Node-RED in wall-clock time
// (optionally accelerated) and, when given a port, serves its BMS over OPC UA. Nodes that use it
// read its telemetry (the Sensor), command it as a real facility is commanded (the Energy nodes:
// server count, SM clocks, tensor parallelism, routing), and see its clock on their status.
import * as path from 'path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Reading } from '../../core/telemetry/catalogue';
import type { BmsPoint } from '../../core/twin/bms';
import type { Completion, Facility, FacilitySummary, InstanceInfo, IntervalSample } from '../../core/twin/facility';
import type { Router } from '../../core/twin/cluster';
import { TwinHost, type GeneratorKind, type TickInfo } from '../../core/opcua/twin-host';
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

export default function register(RED: NodeAPI) {
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
    try {
      host = new TwinHost({
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
                security: def.opcuaSecurity === 'sign-encrypt' ? 'sign-encrypt' : 'none',
                users: creds.opcuaUser ? [{ name: creds.opcuaUser, password: creds.opcuaPassword ?? '' }] : [],
                allowAnonymous: def.opcuaAllowAnonymous !== false,
                pkiDir: def.opcuaPkiDir ? path.resolve(userDir, def.opcuaPkiDir) : path.join(userDir, 'llmops', 'twin-pki'),
                trustUnknownClients: !!def.opcuaTrustClients,
              }
            : undefined,
      });
    } catch (err) {
      failure = messageOf(err);
      node.error(RED._('facility.errors.start', { error: failure }));
    }

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

    if (host) {
      const h = host;
      h.on('tick', (t: TickInfo) => fanOut({ simulatedS: t.simulatedS, sample: t.sample, text: statusText() }));
      h.on('error', (err: unknown) => {
        failure = messageOf(err);
        node.error(RED._('facility.errors.stopped', { error: failure }));
        fanOut({ simulatedS: h.facility.timeS, text: statusText(), error: failure });
      });
      h.start().then(
        (info) => {
          if (info && !closed) node.log(RED._('facility.log.opcua', { url: info.endpointUrl, ns: info.namespaceUri }));
        },
        (err) => {
          // The twin runs on without its OPC UA server; the users show why.
          failure = RED._('facility.errors.opcua', { port, error: messageOf(err) });
          node.error(failure);
          h.step();
        },
      );
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

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      users.clear();
      const h = host;
      host = undefined;
      if (!h) return done();
      Promise.race([h.stop(), new Promise((r) => setTimeout(r, 10000))])
        .catch((err) => node.error(messageOf(err)))
        .finally(done);
    });
  }

  RED.nodes.registerType('llmops-facility', FacilityConfig as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: { opcuaUser: { type: 'text' }, opcuaPassword: { type: 'password' } },
  });
}
