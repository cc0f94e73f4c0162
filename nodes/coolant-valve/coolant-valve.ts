// Node `llmops-coolant-valve`: drives the CDU's flow and supply-temperature setpoints from the
// Thermal Predictor's forecasts, through the safety chain of core/cooling/valve.ts (limits, ramp,
// override, stale → safe). It writes over the shared OPC UA session of an `llmops-opcua-endpoint`,
// reads every value back and reports a mismatch, increments the CDU heartbeat every period, and
// raises an alarm when the session is lost (the CDU's own fail-safe then takes over while the
// session reconnects). Modes: auto (writes), advisory (computes and sends, writes nothing),
// manual (writes only the operator's `msg.override`). Every write and alarm is an audit event
// (output 2, and InfluxDB when a config node is set).
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { CoolantValve, DataClock, wallClock, type ForecastIn, type ValveMode, type ValveOutput, type ValveState } from '../../core/cooling/valve';
import type { OpcuaSession, StateChange } from '../../core/opcua/session';
import type { Reading } from '../../core/telemetry/catalogue';
import type { InfluxConfigNode } from '../influxdb/influxdb';
import type { OpcuaEndpointNode } from '../opcua-endpoint/opcua-endpoint';
import { messageOf, StatusLine } from '../shared/status';

interface ValveDef extends NodeDef {
  mode: ValveMode;
  endpoint?: string;
  flowNodeId: string;
  supplyNodeId: string;
  heartbeatNodeId: string;
  periodS: string | number;
  gpuTargetC: string | number;
  marginK: string | number;
  deltaTK: string | number;
  staleAfterS: string | number;
  safeFlowLpm: string | number;
  safeSupplyC: string | number;
  flowMinLpm: string | number;
  flowMaxLpm: string | number;
  supplyMinC: string | number;
  supplyMaxC: string | number;
  flowRampLpmPerMin: string | number;
  supplyRampCPerMin: string | number;
  liquidSharePct: string | number;
  influxdb?: string;
  store: string;
  /** 'wall' (default): ramps and staleness in real time; 'data': in the time the msgs carry (a twin faster than real time). */
  clock?: string;
}

export interface AuditEvent {
  event: 'write' | 'mismatch' | 'alarm' | 'recovered' | 'override' | 'release' | 'mode';
  at: number;
  mode: ValveMode;
  reason?: string;
  point?: string;
  value?: number;
  readBack?: number | null;
  status?: string;
  text?: string;
}

const STATE_KEY = 'llmops-coolant-valve';
const MODES: ValveMode[] = ['auto', 'advisory', 'manual'];

function num(v: unknown, fallback: number): number {
  if (v === '' || v === undefined || v === null) return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}

function isForecast(p: unknown): p is ForecastIn & { horizonS?: unknown } {
  // The target names the forecast (a Thermal Predictor sends e.g. "gpuMaxC"): text, nothing else.
  return !!p && typeof p === 'object' && !Array.isArray(p) && ('predicted' in p || 'ready' in p) && typeof (p as { target?: unknown }).target === 'string';
}

export default function register(RED: NodeAPI) {
  function CoolantValveNode(this: Node, def: ValveDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const status = new StatusLine(node);
    const store = def.store || undefined;
    const context = node.context();
    let mode: ValveMode = MODES.includes(def.mode) ? def.mode : 'advisory';
    const periodMs = Math.max(0.2, num(def.periodS, 5)) * 1000;
    const ids = { flow: def.flowNodeId || 'CDU1.FlowSetpoint', supply: def.supplyNodeId || 'CDU1.SupplyTemperatureSetpoint', heartbeat: def.heartbeatNodeId || 'CDU1.Heartbeat' };
    const liquidShare = Math.min(1, Math.max(0, num(def.liquidSharePct, 80) / 100));
    const deltaRaw = def.deltaTK;
    const dataClock = def.clock === 'data' ? new DataClock() : null;
    const valve = new CoolantValve(
      {
        gpuTargetC: num(def.gpuTargetC, 83),
        marginK: Math.max(0, num(def.marginK, 2)),
        deltaTK: deltaRaw === '' || deltaRaw === undefined || deltaRaw === null ? null : Math.max(0.5, num(deltaRaw, 10)),
        staleAfterS: Math.max(1, num(def.staleAfterS, 60)),
        safe: { flowLpm: num(def.safeFlowLpm, 400), supplyC: num(def.safeSupplyC, 25) },
        limits: {
          flowMinLpm: num(def.flowMinLpm, 50),
          flowMaxLpm: num(def.flowMaxLpm, 500),
          supplyMinC: num(def.supplyMinC, 18),
          supplyMaxC: num(def.supplyMaxC, 45),
          dewPointMarginK: 2,
          flowRampLpmPerMin: Math.max(0, num(def.flowRampLpmPerMin, 60)),
          supplyRampCPerMin: Math.max(0, num(def.supplyRampCPerMin, 2)),
        },
      },
      context.get(STATE_KEY, store) as ValveState | undefined,
      dataClock ? dataClock.now : wallClock,
    );
    const endpoint = def.endpoint ? (RED.nodes.getNode(def.endpoint) as OpcuaEndpointNode | null) : null;
    const influx = def.influxdb ? (RED.nodes.getNode(def.influxdb) as InfluxConfigNode | null) : null;

    // What the valve knows of the plant, from forecasts and telemetry msgs.
    const forecasts = new Map<string, { f: ForecastIn; receivedS: number }>();
    const plant: { heatKW?: number; flowLpm?: number; supplyC?: number; dewPointC?: number } = {};
    let session: OpcuaSession | undefined;
    let deregister: (() => void) | undefined;
    let connected = false;
    let alarmRaised = false;
    let heartbeat = Math.floor(Date.now() / 1000);
    let last: ValveOutput | undefined;
    let lastMismatch: string | undefined;
    let busy = false;
    let closed = false;
    let pendingOverride: unknown;

    const audit = (e: Omit<AuditEvent, 'at' | 'mode'>) => {
      const ev: AuditEvent = { at: Date.now(), mode, ...e };
      node.send([null, { topic: `audit/${ev.event}`, payload: ev } as NodeMessageInFlow]);
      if (influx) {
        const fields: Record<string, number | string> = {};
        for (const [k, v] of Object.entries(ev)) if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string') fields[k] = v as never;
        delete fields.at;
        influx.writePoints([{ measurement: 'llmops_audit', tags: { node: node.id, type: 'llmops-coolant-valve', event: ev.event }, fields, timestamp: ev.at } as never]);
      }
    };

    const show = () => {
      if (endpoint === null && mode !== 'advisory') return status.error(RED._('coolant-valve.errors.no-endpoint'));
      if (mode !== 'advisory' && !connected) return status.error(RED._('coolant-valve.status.session-lost'));
      if (lastMismatch) return status.warn(lastMismatch);
      if (!last) return status.idle(RED._('coolant-valve.status.waiting', { mode }));
      const text = RED._('coolant-valve.status.setpoints', { mode, flow: last.flowLpm.toFixed(0), supply: last.supplyTempC.toFixed(1), reason: last.reason });
      if (['stale', 'missing', 'not-ready', 'missing-heat', 'infeasible'].includes(last.reason)) status.warn(text);
      else status.ok(text);
    };

    /** The forecast to guard against: the fresh one with the highest upper bound (several horizons may be wired in). */
    const worstForecast = (nowS: number): ForecastIn | null => {
      let pick: ForecastIn | null = null;
      let high = -Infinity;
      for (const { f, receivedS } of forecasts.values()) {
        // Staleness is judged on the valve's clock at receipt (wall, or the data's time with the data clock).
        const g = { ...f, t: receivedS };
        const h = typeof f.interval?.high === 'number' ? f.interval.high : typeof f.predicted === 'number' ? f.predicted : -Infinity;
        if (f.ready === true && nowS - receivedS <= valve.c.staleAfterS && h > high) {
          high = h;
          pick = g;
        } else if (!pick) pick = g;
      }
      return pick;
    };

    const writePoint = async (point: string, value: number): Promise<{ ok: boolean; readBack: number | null; status: string }> => {
      if (!session) throw new Error(RED._('coolant-valve.errors.no-session'));
      const r = await session.writeWithReadback(point, value);
      const back = typeof r.readBack.value === 'number' ? r.readBack.value : null;
      const ok = r.status === 'Good' && back !== null && Math.abs(back - value) <= 1e-6 * Math.max(1, Math.abs(value));
      return { ok, readBack: back, status: r.status };
    };

    /** One decision, written unless advisory; `send` is the msg's when a msg triggered it. */
    const decide = async (send: (m: Array<NodeMessageInFlow | null>) => void, override?: unknown) => {
      const nowS = valve.now();
      const out = valve.step(
        { tS: Number.isFinite(nowS) ? nowS : undefined, forecast: worstForecast(nowS), heatKW: plant.heatKW, flowLpm: plant.flowLpm, supplyC: plant.supplyC, dewPointC: plant.dewPointC, override },
        mode,
      );
      context.set(STATE_KEY, valve.toJSON(), store);
      const readBack: { flowLpm: number | null; supplyTempC: number | null } = { flowLpm: null, supplyTempC: null };
      if (mode !== 'advisory') {
        if (connected && session) {
          const written: Array<[string, number, 'flowLpm' | 'supplyTempC']> = [[ids.flow, out.flowLpm, 'flowLpm'], [ids.supply, out.supplyTempC, 'supplyTempC']];
          lastMismatch = undefined;
          for (const [point, value, key] of written) {
            try {
              const r = await writePoint(point, Math.round(value * 100) / 100);
              readBack[key] = r.readBack;
              audit({ event: 'write', point, value: Math.round(value * 100) / 100, readBack: r.readBack, status: r.status, reason: out.reason });
              if (!r.ok) {
                lastMismatch = RED._('coolant-valve.status.mismatch', { point, value: value.toFixed(2), readBack: r.readBack === null ? '?' : r.readBack.toFixed(2), status: r.status });
                node.warn(lastMismatch);
                audit({ event: 'mismatch', point, value, readBack: r.readBack, status: r.status, text: lastMismatch });
              }
            } catch (err) {
              lastMismatch = RED._('coolant-valve.errors.write', { point, error: messageOf(err) });
              node.warn(lastMismatch);
              audit({ event: 'mismatch', point, value, readBack: null, status: 'error', text: lastMismatch });
            }
          }
        }
      }
      last = out;
      show();
      send([{ topic: 'setpoints', payload: { flowLpm: out.flowLpm, supplyTempC: out.supplyTempC, deltaTC: out.deltaTC, clamped: out.clamped, rateLimited: out.rateLimited, readBack, mode, reason: out.reason } } as NodeMessageInFlow, null]);
    };

    const beat = async () => {
      if (mode === 'advisory' || !connected || !session) return;
      heartbeat++;
      try {
        await session.write(ids.heartbeat, heartbeat);
      } catch (err) {
        node.warn(RED._('coolant-valve.errors.heartbeat', { error: messageOf(err) }));
      }
    };

    const onState = (s: StateChange) => {
      const was = connected;
      connected = s.state === 'connected';
      if (!connected && (was || !alarmRaised) && s.state !== 'connecting') {
        alarmRaised = true;
        const text = RED._('coolant-valve.alarm.session-lost', { error: s.error ?? s.state });
        node.error(text);
        audit({ event: 'alarm', text });
      } else if (connected && alarmRaised) {
        alarmRaised = false;
        audit({ event: 'recovered', text: RED._('coolant-valve.alarm.recovered') });
      }
      // The ramp starts from what the CDU holds, never from a jump.
      if (connected && !was && session && !valve.lastWritten) {
        session
          .read([ids.flow, ids.supply])
          .then(([f, s2]) => {
            if (!valve.lastWritten && typeof f.value === 'number' && typeof s2.value === 'number') valve.seed(f.value, s2.value);
          })
          .catch((err) => node.warn(RED._('coolant-valve.errors.read', { error: messageOf(err) })));
      }
      show();
    };

    if (endpoint) {
      const reg = endpoint.register(node, onState);
      session = reg.session;
      deregister = reg.deregister;
    }
    show();

    const tick = async () => {
      if (busy || closed) return;
      busy = true;
      try {
        await beat();
        await decide((m) => node.send(m));
      } catch (err) {
        node.error(messageOf(err));
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), periodMs);

    node.on('input', async (msg: NodeMessageInFlow & { override?: unknown; mode?: unknown; heatKW?: unknown; dewPointC?: unknown }, send, done) => {
      try {
        if (typeof msg.mode === 'string' && MODES.includes(msg.mode as ValveMode) && msg.mode !== mode) {
          mode = msg.mode as ValveMode;
          audit({ event: 'mode', text: mode });
        }
        if (isForecast(msg.payload)) {
          const f = msg.payload;
          dataClock?.advance(f.t);
          const horizon = typeof f.horizonS === 'number' || typeof f.horizonS === 'string' ? String(f.horizonS) : '';
          forecasts.set(`${f.target}/${horizon}`, { f, receivedS: valve.now() });
        } else if (Array.isArray(msg.payload)) {
          if (dataClock) for (const r of msg.payload as Reading[]) if (r && typeof r.ts === 'number') dataClock.advance(r.ts / 1000);
          absorb(msg.payload as Reading[]);
        }
        if (typeof msg.heatKW === 'number') plant.heatKW = msg.heatKW;
        if (typeof msg.dewPointC === 'number') plant.dewPointC = msg.dewPointC;
        if (msg.override !== undefined) {
          pendingOverride = msg.override;
          const release = msg.override === 'release' || msg.override === false || (typeof msg.override === 'object' && msg.override !== null && (msg.override as { release?: unknown }).release === true);
          audit({ event: release ? 'release' : 'override', text: JSON.stringify(msg.override) });
        }
        while (busy) await new Promise((r) => setTimeout(r, 5));
        busy = true;
        try {
          const o = pendingOverride;
          pendingOverride = undefined;
          await decide((m) => send(m), o);
        } finally {
          busy = false;
        }
        done();
      } catch (err) {
        done(err instanceof Error ? err : new Error(messageOf(err)));
      }
    });

    /** Heat, flow and supply from telemetry (Sensor msgs). */
    function absorb(readings: Reading[]) {
      let serverKW = 0;
      let haveServer = false;
      let rackKW = 0;
      let haveRack = false;
      for (const r of readings) {
        if (!r || typeof r.value !== 'number' || !Number.isFinite(r.value)) continue;
        if (r.metric === 'server.power') {
          serverKW += r.value;
          haveServer = true;
        } else if (r.metric === 'rack.power') {
          rackKW += r.value;
          haveRack = true;
        } else if (r.metric === 'cdu.flow') plant.flowLpm = r.value;
        else if (r.metric === 'cdu.supplyTemperature') plant.supplyC = r.value;
      }
      if (haveServer) plant.heatKW = serverKW * liquidShare;
      else if (haveRack) plant.heatKW = rackKW * liquidShare;
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      clearInterval(timer);
      deregister?.();
      status.dispose();
      context.set(STATE_KEY, valve.toJSON(), store, () => done());
    });
  }

  RED.nodes.registerType('llmops-coolant-valve', CoolantValveNode);
}
