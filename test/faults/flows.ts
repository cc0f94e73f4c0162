// Flows and data the fault tests share.

/** What Node-RED prints when something escaped a node: an uncaught exception or an unhandled rejection. */
export const CRASH_IN_LOG = /Uncaught Exception|UnhandledPromiseRejection|unhandledRejection|Unhandled rejection|FATAL ERROR/i;

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
  return [
    { id: 'tab', type: 'tab', label: 'telemetry' },
    { id: opts.id ?? 'db', type: 'llmops-influxdb', host: '127.0.0.1', port: influxPort, protocol: 'http', database, precision: 'ms', batchSize: 5000, flushInterval: 200, maxBuffered: 2000000, spill: !!opts.spill, createDatabase: true },
    { id: 'in', type: 'http in', z: 'tab', url: '/readings', method: 'post', wires: [['sensor']] },
    { id: 'sensor', type: 'llmops-sensor', z: 'tab', influx: opts.id ?? 'db', textLines: 3, wires: [['ok']] },
    { id: 'ok', type: 'change', z: 'tab', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'accepted', tot: 'str' }], wires: [['res']] },
    { id: 'res', type: 'http response', z: 'tab', statusCode: '200' },
  ];
}
