// Flows and data the fault tests share.
import * as fs from 'fs';
import * as path from 'path';

/** Adds the test-only probe plugin (probe/: active resources, heap, loaded modules) to a Node-RED user directory. */
export function installProbe(userDir: string): void {
  const at = path.join(userDir, 'node_modules', 'llmops-test-probe');
  fs.rmSync(at, { recursive: true, force: true });
  fs.symlinkSync(path.join(__dirname, 'probe'), at, 'dir');
}

/** What Node-RED prints when something escaped a node: an uncaught exception or an unhandled rejection. */
export const CRASH_IN_LOG = /Uncaught Exception|UnhandledPromiseRejection|unhandledRejection|Unhandled rejection|FATAL ERROR/i;

/**
 * Gives every flow node (one with a `z`) a position. Node-RED takes a node without x/y for a config
 * node, and a config node whose property equals another node's id (a name equal to its own id)
 * then fails to start with "Circular config node dependency".
 */
export function placed<T extends Record<string, unknown>>(nodes: T[]): T[] {
  return nodes.map((n, i) => (n.z && n.x === undefined ? { ...n, x: 200 + 180 * (i % 5), y: 80 + 60 * Math.floor(i / 5) } : n));
}

const T0 = Date.UTC(2026, 10, 26, 0, 0, 0);

/** n readings with distinct (series, timestamp), starting at reading number `from`. */
export function readings(from: number, n: number) {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { metric: 'gpu.power', value: 300 + (i % 400), ts: T0 + Math.floor(i / 8), tags: { gpu: String(i % 8), server: 'S01' } };
  });
}

/** POST /readings → Sensor (→ InfluxDB) → 200 "accepted". */
export function telemetryFlow(influxPort: number, database: string, opts: { spill?: boolean; id?: string } = {}) {
  return placed([
    { id: 'tab', type: 'tab', label: 'telemetry' },
    { id: opts.id ?? 'db', type: 'llmops-influxdb', host: '127.0.0.1', port: influxPort, protocol: 'http', database, precision: 'ms', batchSize: 5000, flushInterval: 200, maxBuffered: 2000000, spill: !!opts.spill, createDatabase: true },
    { id: 'in', type: 'http in', z: 'tab', url: '/readings', method: 'post', wires: [['sensor']] },
    { id: 'sensor', type: 'llmops-sensor', z: 'tab', influx: opts.id ?? 'db', textLines: 3, wires: [['ok']] },
    { id: 'ok', type: 'change', z: 'tab', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'accepted', tot: 'str' }], wires: [['res']] },
    { id: 'res', type: 'http response', z: 'tab', statusCode: '200' },
  ] as Array<Record<string, unknown>>);
}

/**
 * A Coolant Valve in auto mode driving the twin's CDU1 over the endpoint `ep`, with the plant's
 * limits (flow 50–500 L/min, supply 18–45 °C) and the dialog's defaults; `over` changes any field.
 */
export function cduValve(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'valve',
    type: 'llmops-coolant-valve',
    z: 'tab',
    name: 'CDU1',
    mode: 'auto',
    endpoint: 'ep',
    flowNodeId: 'CDU1.FlowSetpoint',
    supplyNodeId: 'CDU1.SupplyTemperatureSetpoint',
    heartbeatNodeId: 'CDU1.Heartbeat',
    periodS: 1,
    gpuTargetC: 83,
    marginK: 2,
    deltaTK: '',
    staleAfterS: 30,
    safeFlowLpm: 400,
    safeSupplyC: 25,
    flowMinLpm: 50,
    flowMaxLpm: 500,
    supplyMinC: 18,
    supplyMaxC: 45,
    flowRampLpmPerMin: 60,
    supplyRampCPerMin: 2,
    liquidSharePct: 80,
    influxdb: '',
    store: '',
    wires: [[], []],
    ...over,
  };
}
