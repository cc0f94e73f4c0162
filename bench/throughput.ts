// bench:throughput — measured side by side in one run, against one real influxd:
//   sensorToInflux: readings through the llmops-sensor node into InfluxDB, inside a real
//                   Node-RED process (normalisation, text, batched writer included);
//   rawInflux:      the `influx` client writing the same points in the same batches, the ceiling.
//   batched (B):    msgs of BATCH readings: our Sensor against node-red-contrib-influxdb's `influxdb batch`,
//                   in one Node-RED, from the same generator, alternating three rounds;
//   perReading (A): one reading per msg, as sensors emit them: our Sensor → InfluxDB against the
//                   contrib `influxdb out` node (one HTTP request per msg), W msgs in flight at once
//                   (all at once, 20,000 contrib requests exhaust the file descriptors and lose data),
//                   and with one msg in flight (each waits for the previous write);
//   nodes:          msgs/s of each node of the suite inside a Node-RED runtime, next to a core
//                   `change` node doing a comparable field mapping (ratioToCore = node / change);
//   startup:        Node-RED start time and resident memory with and without the suite installed,
//                   and whether node-opcua was loaded at start-up (it must not be).
// Influx figures are timed from the first write until InfluxDB counts every point.
// Usage: npm run bench:throughput -- [--points N] [--batch B] [--per-reading N] [--sequential N] [--window W] [--node-msgs N] [--json]
import * as fs from 'fs';
import * as path from 'path';
import { InfluxDB, IPoint } from 'influx';
import { installProbe, placed } from '../test/faults/flows';
import { Influxd } from '../test/helpers/influxd';
import { NodeRedProcess } from '../test/helpers/nodered';
import { findTool } from '../test/helpers/require-tool';
import { numArg as arg } from './cli';

const json = process.argv.includes('--json');
const POINTS = arg('points', 500000);
const BATCH = arg('batch', 5000);
const PER_READING = arg('per-reading', 100000);
/** Readings for the contrib node with one msg in flight (slow: one HTTP round trip each). */
const SEQUENTIAL = Math.min(PER_READING, arg('sequential', 20000));
const NODE_MSGS = arg('node-msgs', 20000);
/** Msgs in flight at once in the per-reading comparison (A). */
const WINDOW = arg('window', 64);
const T0 = Date.UTC(2026, 10, 26);

function log(...args: unknown[]) {
  if (!json) console.log(...args);
}

/** The same readings on both sides: distinct (series, timestamp), eight GPUs. */
function makeReadings(from: number, n: number) {
  const out = new Array(n);
  for (let k = 0; k < n; k++) {
    const i = from + k;
    out[k] = { metric: 'gpu.power', value: 300 + (i % 400), ts: T0 + Math.floor(i / 8), tags: { gpu: String(i % 8), server: 'S01' } };
  }
  return out;
}

async function waitForCount(influxd: Influxd, db: string, n: number, timeoutMs = 300000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await influxd.count(db, 'gpu');
    if (c >= n) return Date.now();
    if (Date.now() > deadline) throw new Error(`only ${c} of ${n} points arrived in ${db}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until InfluxDB holds n points, or its count has stopped growing for 3 s (points were lost). */
async function waitForSettled(influxd: Influxd, db: string, n: number, timeoutMs: number): Promise<{ end: number; count: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const c = await influxd.count(db, 'gpu');
    if (c >= n) return { end: Date.now(), count: c };
    if (c !== last) {
      last = c;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > 3000 || Date.now() > deadline) {
      return { end: lastChange, count: c };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function rawInflux(influxd: Influxd): Promise<number> {
  const db = 'bench_raw';
  const client = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: db });
  await client.createDatabase(db);
  const batches: IPoint[][] = [];
  for (let i = 0; i < POINTS; i += BATCH) {
    batches.push(
      makeReadings(i, Math.min(BATCH, POINTS - i)).map((r) => ({
        measurement: 'gpu',
        tags: { ...r.tags, metric: r.metric, unit: 'W' },
        fields: { value: r.value },
        timestamp: r.ts,
      })),
    );
  }
  const start = Date.now();
  for (const b of batches) await client.writePoints(b, { precision: 'ms' });
  const end = await waitForCount(influxd, db, POINTS);
  return POINTS / ((end - start) / 1000);
}

async function sensorToInflux(influxd: Influxd): Promise<number> {
  const db = 'bench_sensor';
  const nr = new NodeRedProcess();
  try {
    await nr.start();
    // The readings are built inside Node-RED before the clock starts (POST /prepare), then one
    // POST /go sends them as msgs of BATCH readings into the Sensor.
    const build = `
      const T0 = ${T0}, N = ${POINTS}, B = ${BATCH};
      const batches = [];
      for (let from = 0; from < N; from += B) {
        const n = Math.min(B, N - from), out = new Array(n);
        for (let k = 0; k < n; k++) { const i = from + k; out[k] = { metric: 'gpu.power', value: 300 + (i % 400), ts: T0 + Math.floor(i / 8), tags: { gpu: String(i % 8), server: 'S01' } }; }
        batches.push(out);
      }
      context.set('batches', batches);
      msg.payload = batches.length;
      return msg;`;
    const go = `
      const batches = context.get('batches');
      node.send([null, { payload: 'started', req: msg.req, res: msg.res }], false);
      // send(msg, false): no deep copy of 5,000 readings per msg, the generator is not what is measured.
      for (const b of batches) node.send([{ payload: b }, null], false);
      return null;`;
    await nr.deploy([
      { id: 'tab', type: 'tab', label: 'bench' },
      { id: 'db', type: 'llmops-influxdb', host: '127.0.0.1', port: influxd.port, protocol: 'http', database: db, precision: 'ms', batchSize: BATCH, flushInterval: 200, maxBuffered: 10000000, spill: false, createDatabase: true },
      { id: 'prep', type: 'http in', z: 'tab', url: '/prepare', method: 'post', wires: [['build']] },
      { id: 'build', type: 'function', z: 'tab', func: build, outputs: 1, wires: [['r1']] },
      { id: 'r1', type: 'http response', z: 'tab' },
      { id: 'goin', type: 'http in', z: 'tab', url: '/go', method: 'post', wires: [['gen']] },
      { id: 'gen', type: 'function', z: 'tab', func: go.replace(/context\./g, 'flow.'), outputs: 2, wires: [['sensor'], ['r2']] },
      { id: 'r2', type: 'http response', z: 'tab' },
      { id: 'sensor', type: 'llmops-sensor', z: 'tab', influx: 'db', textLines: 5, wires: [[]] },
    ].map((n: any) => (n.id === 'build' ? { ...n, func: build.replace(/context\./g, 'flow.') } : n)));
    // The first write also creates the database; do it before timing, like the raw side.
    const client = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: db });
    await client.createDatabase(db);
    const prep = await nr.request('POST', '/prepare', {});
    if (prep.status !== 200) throw new Error(`prepare failed: ${prep.status} ${prep.text}`);
    const start = Date.now();
    const r = await nr.request('POST', '/go', {});
    if (r.status !== 200) throw new Error(`go failed: ${r.status} ${r.text}`);
    const end = await waitForCount(influxd, db, POINTS, 120000).catch((err) => {
      throw new Error(`${err.message}\n--- Node-RED log ---\n${nr.log.slice(-3000)}`);
    });
    return POINTS / ((end - start) / 1000);
  } finally {
    await nr.dispose();
  }
}

/** The reading of number i, as a JavaScript expression for a Function node (same data as makeReadings). */
const READING_JS = `{ metric: 'gpu.power', value: 300 + (i % 400), ts: ${T0} + Math.floor(i / 8), tags: { gpu: String(i % 8), server: 'S01' } }`;

/**
 * POST /go/<key> sends `n` msgs (built by `msgJs`, an expression of i) to `target` and answers at
 * once; the caller times until the data is where it should be (InfluxDB). With `window`, at most
 * that many msgs are in the target at once (the next goes when one completes or fails), as a
 * steady stream of sensors would feed it; without, all are sent at once.
 */
function fireFlow(key: string, n: number, msgJs: string, target: string, window?: number): Array<Record<string, unknown>> {
  const next = (count: string) => `for (let k = 0; k < ${count} && s.sent < ${n}; k++) { const i = s.sent++; node.send([${msgJs}, null], false); }`;
  return [
    { id: `go-${key}`, type: 'http in', z: 'tab', url: `/go/${key}`, method: 'post', wires: [[`gen-${key}`]] },
    {
      id: `gen-${key}`,
      type: 'function',
      z: 'tab',
      outputs: 2,
      func: window
        ? [
            `if (msg.req) { const s = { sent: 0 }; flow.set('s-${key}', s); node.send([null, { req: msg.req, res: msg.res, payload: 'started' }], false); ${next(String(window))} return null; }`,
            `const s = flow.get('s-${key}'); ${next('1')} return null;`,
          ].join('\n')
        : `node.send([null, { req: msg.req, res: msg.res, payload: 'started' }], false);\nfor (let i = 0; i < ${n}; i++) node.send([${msgJs}, null], false);\nreturn null;`,
      wires: [[target], [`res-${key}`]],
    },
    { id: `res-${key}`, type: 'http response', z: 'tab' },
    ...(window
      ? [
          { id: `next-${key}`, type: 'complete', z: 'tab', scope: [target], uncaught: false, wires: [[`gen-${key}`]] },
          { id: `nexterr-${key}`, type: 'catch', z: 'tab', scope: [target], uncaught: false, wires: [[`gen-${key}`]] },
        ]
      : []),
  ];
}

/**
 * POST /run/<key> sends `n` msgs to `target` and answers when the node has completed all of them
 * (a `complete` node, plus a `catch` node for errors), with the elapsed ms measured in Node-RED.
 */
function timedFlow(key: string, n: number, msgJs: string, targets: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const target = String(targets[0].id);
  return [
    { id: `run-${key}`, type: 'http in', z: 'tab', url: `/run/${key}`, method: 'post', wires: [[`gen-${key}`]] },
    {
      id: `gen-${key}`,
      type: 'function',
      z: 'tab',
      func: `flow.set('run-${key}', { req: msg.req, res: msg.res, t0: Date.now(), done: 0, errors: 0 });\nfor (let i = 0; i < ${n}; i++) node.send(${msgJs}, false);\nreturn null;`,
      wires: [[target]],
    },
    ...targets.map((t) => ({ z: 'tab', ...t })),
    { id: `complete-${key}`, type: 'complete', z: 'tab', scope: [target], uncaught: false, wires: [[`count-${key}`]] },
    { id: `catch-${key}`, type: 'catch', z: 'tab', scope: [target], uncaught: false, wires: [[`count-${key}`]] },
    {
      id: `count-${key}`,
      type: 'function',
      z: 'tab',
      func: `const r = flow.get('run-${key}');\nr.done++;\nif (msg.error) r.errors++;\nif (r.done === ${n}) return { req: r.req, res: r.res, payload: { ms: Date.now() - r.t0, n: ${n}, errors: r.errors, firstError: r.firstError } };\nif (msg.error && !r.firstError) r.firstError = String(msg.error.message);\nreturn null;`,
      wires: [[`out-${key}`]],
    },
    { id: `out-${key}`, type: 'http response', z: 'tab' },
  ];
}

interface NodeCase {
  key: string;
  msg: string;
  nodes: Array<Record<string, unknown>>;
  configs?: Array<Record<string, unknown>>;
}

/** One msg-driven use of each node, and the core `change` node doing a comparable field mapping. */
function nodeCases(): NodeCase[] {
  const wires = { wires: [[]] };
  return [
    {
      key: 'change',
      msg: `{ payload: ${READING_JS} }`,
      nodes: [
        {
          id: 'n-change',
          type: 'change',
          rules: [
            { t: 'set', p: 'payload.layer', pt: 'msg', to: 'gpu', tot: 'str' },
            { t: 'set', p: 'payload.unit', pt: 'msg', to: 'W', tot: 'str' },
            { t: 'move', p: 'payload.value', pt: 'msg', to: 'payload.fields.value', tot: 'msg' },
            { t: 'set', p: 'text', pt: 'msg', to: 'payload.metric', tot: 'msg' },
          ],
          ...wires,
        },
      ],
    },
    { key: 'llmops-sensor', msg: `{ payload: ${READING_JS} }`, nodes: [{ id: 'n-sensor', type: 'llmops-sensor', textLines: 5, ...wires }] },
    { key: 'llmops-llm-engine', msg: `{ payload: { product: 'Laptop', quantity: 5 + (i % 7), shipping: 'Free' } }`, nodes: [{ id: 'n-engine', type: 'llmops-llm-engine', provider: 'b-offline', wires: [[], []] }], configs: [{ id: 'b-offline', type: 'llmops-llm-provider', kind: 'offline' }] },
    {
      key: 'llmops-io-matcher',
      msg: `{ inputData: { product: 'Laptop', quantity: 5, shipping: 'Free' }, payload: 'Product: Laptop\\nQuantity: ' + (5 + (i % 2)) + '\\nShipping: Free' }`,
      nodes: [{ id: 'n-matcher', type: 'llmops-io-matcher', inputProperty: 'inputData', rules: [], strict: false, wires: [[], []] }],
    },
    {
      key: 'llmops-human-review',
      msg: `{ payload: { unit: 'CDU-1', flowLpm: 300 + (i % 5) }, inputData: { unit: 'CDU-1', flowLpm: 300 }, verification: { match: true, score: 1, fields: [] } }`,
      nodes: [{ id: 'n-review', type: 'llmops-human-review', store: '', approvals: 1, checklist: [], timeout: 0, timeoutUnit: 's', timeoutOutcome: 'reject', requireReason: false, autoApprove: true, autoMaxChange: 5, autoFields: 'flowLpm', influx: '', wires: [[], [], []] }],
    },
    { key: 'llmops-queue-batcher', msg: `{ payload: { id: 'r' + i, inputTokens: 100 + (i % 3000), maxOutputTokens: 200 } }`, nodes: [{ id: 'n-batcher', type: 'llmops-queue-batcher', maxBatchSize: 8, statsS: 0, wires: [[], []] }] },
    { key: 'llmops-gpu-dvfs', msg: `{ payload: { instance: 'i' + (i % 8), load: (i % 100) / 100, queueDepth: i % 5 } }`, nodes: [{ id: 'n-dvfs', type: 'llmops-gpu-dvfs', source: 'msg', actuator: 'message', periodS: 1, holdS: 0, ...wires }] },
    { key: 'llmops-cluster-scaler', msg: `{ payload: { requestsPerSec: 10 + (i % 50), tokensPerSec: 5000 + i % 1000, activeServers: 4 } }`, nodes: [{ id: 'n-scaler', type: 'llmops-cluster-scaler', source: 'msg', actuator: 'message', minServers: 1, maxServers: 20, ...wires }] },
    {
      key: 'llmops-thermal-predictor',
      msg: `{ payload: [{ metric: 'gpu.temperature', layer: 'gpu', unit: '°C', value: 60 + (i % 20), ts: ${T0} + i * 1000, tags: { gpu: '0', server: 'S01' } }, { metric: 'server.power', layer: 'server', unit: 'W', value: 5000 + (i % 500), ts: ${T0} + i * 1000, tags: { server: 'S01' } }] }`,
      nodes: [{ id: 'n-pred', type: 'llmops-thermal-predictor', target: 'gpuMaxC', horizonS: 60, model: 'linear', windowS: 600, sampleS: 1, minSamples: 30, intervalPct: 90, pools: '', influxdb: '', warmHours: 0, store: '', ...wires }],
    },
    {
      key: 'llmops-coolant-valve',
      msg: `{ payload: { target: 'gpuMaxC', horizonS: 60, predicted: 70 + (i % 10), current: 68, t: Date.now() / 1000, ready: true, interval: { low: 68, high: 74 + (i % 10) } } }`,
      nodes: [{ id: 'n-valve', type: 'llmops-coolant-valve', mode: 'advisory', endpoint: '', periodS: 3600, gpuTargetC: 83, marginK: 2, staleAfterS: 60, safeFlowLpm: 400, safeSupplyC: 25, flowMinLpm: 50, flowMaxLpm: 500, supplyMinC: 18, supplyMaxC: 45, flowRampLpmPerMin: 60, supplyRampCPerMin: 2, liquidSharePct: 80, influxdb: '', store: '', wires: [[], []] }],
    },
  ];
}

async function nodeThroughput(): Promise<Record<string, { msgsPerSec: number; ratioToCore: number; errors: number; firstError?: string }>> {
  const nr = new NodeRedProcess();
  try {
    await nr.start();
    const cases = nodeCases();
    const flow: Array<Record<string, unknown>> = [{ id: 'tab', type: 'tab', label: 'bench nodes' }];
    for (const c of cases) flow.push(...(c.configs ?? []), ...timedFlow(c.key, NODE_MSGS, c.msg, c.nodes));
    await nr.deploy(placed(flow));
    const rates: Record<string, { msgsPerSec: number; errors: number; firstError?: string }> = {};
    // Two rounds, the better of each: the first warms the JIT.
    for (let round = 0; round < 2; round++) {
      for (const c of cases) {
        const r = await nr.request('POST', `/run/${c.key}`, {});
        if (r.status !== 200) throw new Error(`${c.key}: ${r.status} ${r.text}\n${nr.log.slice(-2000)}`);
        const rate = (NODE_MSGS / r.json.ms) * 1000;
        if (!rates[c.key] || rate > rates[c.key].msgsPerSec) rates[c.key] = { msgsPerSec: rate, errors: r.json.errors, firstError: r.json.firstError };
        log(`  ${c.key}: ${Math.round(rate)} msgs/s${r.json.errors ? ` (${r.json.errors} errors: ${r.json.firstError})` : ''}`);
      }
    }
    const core = rates.change.msgsPerSec;
    const out: Record<string, { msgsPerSec: number; ratioToCore: number; errors: number; firstError?: string }> = {};
    for (const [k, v] of Object.entries(rates)) out[k] = { msgsPerSec: Math.round(v.msgsPerSec), ratioToCore: Number((v.msgsPerSec / core).toFixed(3)), errors: v.errors, ...(v.firstError ? { firstError: v.firstError } : {}) };
    return out;
  } finally {
    await nr.dispose();
  }
}

/**
 * Telemetry into InfluxDB through node-red-contrib-influxdb and through ours, in one Node-RED:
 *   (A) one reading per msg: our Sensor → llmops-influxdb against the contrib `influxdb out`;
 *   (B) msgs of BATCH readings: ours and the contrib `influxdb batch`, alternating.
 */
async function contribInflux(influxd: Influxd): Promise<{ oursPerReading: number; oursWindowed: number; contribOut: number; contribOutSequential: number; contribBatch: number; oursBatch: number; batchRuns: { ours: number[]; contrib: number[] }; lost: Record<string, number>; contribOutErrors: string }> {
  const nr = new NodeRedProcess({ modules: ['node-red-contrib-influxdb'] });
  try {
    await nr.start();
    const dbs = { ours: 'bench_per_reading_ours', oursWindowed: 'bench_per_reading_ours_w', out: 'bench_per_reading_contrib', outSeq: 'bench_per_reading_contrib_1', batch: 'bench_batch_contrib', oursBatch: 'bench_batch_ours' };
    const client = new InfluxDB({ host: '127.0.0.1', port: influxd.port });
    for (const db of Object.values(dbs)) {
      await influxd.query(`DROP DATABASE ${db}`);
      await client.createDatabase(db);
    }
    const flow: Array<Record<string, unknown>> = [
      { id: 'tab', type: 'tab', label: 'bench influx' },
      { id: 'ours-db', type: 'llmops-influxdb', host: '127.0.0.1', port: influxd.port, protocol: 'http', database: dbs.ours, precision: 'ms', batchSize: BATCH, flushInterval: 200, maxBuffered: 10000000, spill: false, createDatabase: true },
      { id: 'c-out-db', type: 'influxdb', hostname: '127.0.0.1', port: influxd.port, protocol: 'http', database: dbs.out, name: 'out', usetls: false, influxdbVersion: '1.x' },
      { id: 'c-out1-db', type: 'influxdb', hostname: '127.0.0.1', port: influxd.port, protocol: 'http', database: dbs.outSeq, name: 'out1', usetls: false, influxdbVersion: '1.x' },
      { id: 'c-batch-db', type: 'influxdb', hostname: '127.0.0.1', port: influxd.port, protocol: 'http', database: dbs.batch, name: 'batch', usetls: false, influxdbVersion: '1.x' },
      { id: 'ours-w-db', type: 'llmops-influxdb', host: '127.0.0.1', port: influxd.port, protocol: 'http', database: dbs.oursWindowed, precision: 'ms', batchSize: BATCH, flushInterval: 200, maxBuffered: 10000000, spill: false, createDatabase: true },
      { id: 'ours-b-db', type: 'llmops-influxdb', host: '127.0.0.1', port: influxd.port, protocol: 'http', database: dbs.oursBatch, precision: 'ms', batchSize: BATCH, flushInterval: 200, maxBuffered: 10000000, spill: false, createDatabase: true },
      { id: 'ours-b-sensor', type: 'llmops-sensor', z: 'tab', influx: 'ours-b-db', textLines: 5, wires: [[]] },
      { id: 'ours-sensor', type: 'llmops-sensor', z: 'tab', influx: 'ours-db', textLines: 1, wires: [[]] },
      { id: 'ours-w-sensor', type: 'llmops-sensor', z: 'tab', influx: 'ours-w-db', textLines: 1, wires: [[]] },
      { id: 'c-out', type: 'influxdb out', z: 'tab', influxdb: 'c-out-db', measurement: 'gpu', precision: 'ms', retentionPolicy: '', wires: [] },
      { id: 'c-out1', type: 'influxdb out', z: 'tab', influxdb: 'c-out1-db', measurement: 'gpu', precision: 'ms', retentionPolicy: '', wires: [] },
      { id: 'c-batch', type: 'influxdb batch', z: 'tab', influxdb: 'c-batch-db', precision: 'ms', retentionPolicy: '', wires: [] },
      { id: 'c-catch', type: 'catch', z: 'tab', scope: ['c-out', 'c-out1', 'c-batch'], uncaught: false, wires: [['c-errors']] },
      { id: 'c-errors', type: 'function', z: 'tab', func: "const n = (flow.get('errors') || 0) + 1; flow.set('errors', n); if (n === 1) flow.set('firstError', String(msg.error && msg.error.message)); return null;", wires: [[]] },
      { id: 'errin', type: 'http in', z: 'tab', url: '/errors', method: 'get', wires: [['errfn']] },
      { id: 'errfn', type: 'function', z: 'tab', func: "msg.payload = { errors: flow.get('errors') || 0, first: flow.get('firstError') }; return msg;", wires: [['errres']] },
      { id: 'errres', type: 'http response', z: 'tab' },
      ...fireFlow('ours', PER_READING, `{ payload: ${READING_JS} }`, 'ours-sensor'),
      ...fireFlow('ours-w', PER_READING, `{ payload: ${READING_JS} }`, 'ours-w-sensor', WINDOW),
      // The contrib node's documented shape for fields plus tags: [fields, tags]; `time` is the timestamp.
      ...fireFlow('out', PER_READING, `(() => { const r = ${READING_JS}; return { payload: [{ value: r.value, time: r.ts }, { ...r.tags, metric: r.metric, unit: 'W' }] }; })()`, 'c-out', WINDOW),
      ...fireFlow('out1', SEQUENTIAL, `(() => { const r = ${READING_JS}; return { payload: [{ value: r.value, time: r.ts }, { ...r.tags, metric: r.metric, unit: 'W' }] }; })()`, 'c-out1', 1),
      // (B): the same generator on both sides, building each msg of BATCH readings as it sends it.
      ...fireFlow('batch', Math.ceil(POINTS / BATCH), `{ payload: Array.from({ length: Math.min(${BATCH}, ${POINTS} - i * ${BATCH}) }, (_, k) => { const j = i * ${BATCH} + k; const r = (() => { const i = j; return ${READING_JS}; })(); return { measurement: 'gpu', tags: { ...r.tags, metric: r.metric, unit: 'W' }, fields: { value: r.value }, timestamp: r.ts }; }) }`, 'c-batch'),
      ...fireFlow('ours-batch', Math.ceil(POINTS / BATCH), `{ payload: Array.from({ length: Math.min(${BATCH}, ${POINTS} - i * ${BATCH}) }, (_, k) => { const j = i * ${BATCH} + k; const i2 = j; return (() => { const i = i2; return ${READING_JS}; })(); }) }`, 'ours-b-sensor'),
    ];
    await nr.deploy(placed(flow));
    const lost: Record<string, number> = {};
    /** Points/s of what arrived; what never arrived is counted in `lost`. */
    const timed = async (key: string, db: string, n: number, timeoutMs: number) => {
      const start = Date.now();
      const r = await nr.request('POST', `/go/${key}`, {});
      if (r.status !== 200) throw new Error(`${key}: ${r.status} ${r.text}`);
      const { end, count } = await waitForSettled(influxd, db, n, timeoutMs);
      lost[key] = n - count;
      return (count / (end - start)) * 1000;
    };
    const oursPerReading = await timed('ours', dbs.ours, PER_READING, 120000);
    log(`  (A) per reading, ours: ${Math.round(oursPerReading)} points/s, lost ${lost.ours}`);
    const oursWindowed = await timed('ours-w', dbs.oursWindowed, PER_READING, 120000);
    log(`  (A) per reading, ours with ${WINDOW} in flight: ${Math.round(oursWindowed)} points/s, lost ${lost['ours-w']}`);
    const contribOut = await timed('out', dbs.out, PER_READING, 300000);
    log(`  (A) per reading, contrib influxdb out, ${WINDOW} in flight: ${Math.round(contribOut)} points/s, lost ${lost.out}`);
    const contribOutSequential = await timed('out1', dbs.outSeq, SEQUENTIAL, 300000);
    log(`  (A) per reading, contrib influxdb out, one in flight: ${Math.round(contribOutSequential)} points/s, lost ${lost.out1}`);
    // (B) in the same Node-RED, alternating, three rounds each, the better of each side: the machine is shared.
    const batchRuns = { ours: [] as number[], contrib: [] as number[] };
    const batchLost = { ours: 0, contrib: 0 };
    for (let round = 0; round < 3; round++) {
      for (const side of round % 2 ? (['contrib', 'ours'] as const) : (['ours', 'contrib'] as const)) {
        const db = side === 'ours' ? dbs.oursBatch : dbs.batch;
        await influxd.query(`DROP DATABASE ${db}`);
        await client.createDatabase(db);
        const rate = await timed(side === 'ours' ? 'ours-batch' : 'batch', db, POINTS, 300000);
        batchLost[side] += lost[side === 'ours' ? 'ours-batch' : 'batch'];
        // The next rounds reuse the database: a writer still retrying lost points would land them there.
        if (lost[side === 'ours' ? 'ours-batch' : 'batch'] > 0) throw new Error(`(B) ${side} lost points in round ${round + 1}: the later rounds would not be clean`);
        batchRuns[side].push(Math.round(rate));
        log(`  (B) batches of ${BATCH}, ${side === 'ours' ? 'ours' : 'contrib influxdb batch'}: ${Math.round(rate)} points/s, lost ${lost[side === 'ours' ? 'ours-batch' : 'batch']}`);
      }
    }
    lost.batch = batchLost.contrib;
    lost['ours-batch'] = batchLost.ours;
    const contribBatch = Math.max(...batchRuns.contrib);
    const oursBatch = Math.max(...batchRuns.ours);
    const errs = (await nr.request('GET', '/errors')).json;
    return { oursPerReading, oursWindowed, contribOut, contribOutSequential, contribBatch, oursBatch, batchRuns, lost, contribOutErrors: errs.errors ? `${errs.errors} errors, first: ${errs.first}` : '' };
  } finally {
    await nr.dispose();
  }
}

interface StartupSample {
  ms: number;
  rssMB: number;
  opcuaLoaded: boolean;
}

/** Node-RED started with no flows, with or without this suite installed in its user directory. */
async function startupOnce(withSuite: boolean): Promise<StartupSample> {
  const nr = new NodeRedProcess();
  try {
    if (!withSuite) fs.unlinkSync(path.join(nr.userDir, 'node_modules', 'node-red-contrib-llmops'));
    installProbe(nr.userDir);
    const t0 = Date.now();
    await nr.start();
    const ms = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 500));
    const p = (await nr.request('GET', '/llmops-probe')).json;
    if (withSuite && !/llmops-sensor/.test((await nr.request('GET', '/nodes', undefined, { accept: 'application/json' })).text)) throw new Error('the suite did not load');
    return { ms, rssMB: p.rss / 1e6, opcuaLoaded: p.opcuaLoaded };
  } finally {
    await nr.dispose();
  }
}

async function startup() {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const without: StartupSample[] = [];
  const withSuite: StartupSample[] = [];
  // Alternate, three each: the machine is shared.
  for (let k = 0; k < 3; k++) {
    without.push(await startupOnce(false));
    withSuite.push(await startupOnce(true));
  }
  const r = {
    withoutSuiteMs: median(without.map((s) => s.ms)),
    withSuiteMs: median(withSuite.map((s) => s.ms)),
    withoutSuiteRssMB: Number(median(without.map((s) => s.rssMB)).toFixed(1)),
    withSuiteRssMB: Number(median(withSuite.map((s) => s.rssMB)).toFixed(1)),
    nodeOpcuaLoadedAtStartup: withSuite.some((s) => s.opcuaLoaded),
  };
  log(`  start-up: ${r.withoutSuiteMs} ms / ${r.withoutSuiteRssMB} MB without the suite, ${r.withSuiteMs} ms / ${r.withSuiteRssMB} MB with it; node-opcua loaded: ${r.nodeOpcuaLoadedAtStartup}`);
  return r;
}

async function main() {
  const bin = findTool('influxd');
  if (!bin) throw new Error('bench:throughput needs a real influxd: apt-get install -y influxdb');
  const influxd = new Influxd(bin);
  await influxd.start();
  try {
    log(`${POINTS} readings in batches of ${BATCH}`);
    // Alternate and keep the better of two runs each: the machine is shared with the server.
    const raw: number[] = [];
    const ours: number[] = [];
    for (let round = 0; round < 2; round++) {
      await influxd.query('DROP DATABASE bench_raw');
      await influxd.query('DROP DATABASE bench_sensor');
      raw.push(await rawInflux(influxd));
      log(`  raw influx client: ${Math.round(raw[round])} points/s`);
      ours.push(await sensorToInflux(influxd));
      log(`  sensor → InfluxDB: ${Math.round(ours[round])} points/s`);
    }
    const rawBest = Math.max(...raw);
    const oursBest = Math.max(...ours);
    log(`msgs/s of each node (${NODE_MSGS} msgs) next to a core change node`);
    const nodes = await nodeThroughput();
    log(`telemetry against node-red-contrib-influxdb`);
    const contrib = await contribInflux(influxd);
    const start = await startup();
    const result = {
      points: POINTS,
      batch: BATCH,
      sensorToInflux: { pointsPerSec: Math.round(oursBest), runs: ours.map(Math.round) },
      rawInflux: { pointsPerSec: Math.round(rawBest), runs: raw.map(Math.round) },
      ratio: Number((oursBest / rawBest).toFixed(3)),
      nodes,
      perReading: {
        readings: PER_READING,
        inFlight: WINDOW,
        // ours: all msgs sent at once (the buffered writer takes them; nothing lost);
        // contrib and oursWindowed: WINDOW msgs in flight (all at once, the contrib node loses data).
        oursPointsPerSec: Math.round(contrib.oursPerReading),
        oursWindowedPointsPerSec: Math.round(contrib.oursWindowed),
        contribOutPointsPerSec: Math.round(contrib.contribOut),
        contribOutOneInFlight: { readings: SEQUENTIAL, pointsPerSec: Math.round(contrib.contribOutSequential), lost: contrib.lost.out1 },
        ratio: Number((contrib.oursPerReading / contrib.contribOut).toFixed(2)),
        ratioWindowed: Number((contrib.oursWindowed / contrib.contribOut).toFixed(2)),
        oursLost: contrib.lost.ours,
        oursWindowedLost: contrib.lost['ours-w'],
        contribOutLost: contrib.lost.out,
        ...(contrib.contribOutErrors ? { contribErrors: contrib.contribOutErrors } : {}),
      },
      batched: {
        // The same generator and Node-RED for both, alternating, best of three each.
        oursPointsPerSec: Math.round(contrib.oursBatch),
        contribBatchPointsPerSec: Math.round(contrib.contribBatch),
        ratio: Number((contrib.oursBatch / contrib.contribBatch).toFixed(3)),
        runs: contrib.batchRuns,
        oursLost: contrib.lost['ours-batch'],
        contribBatchLost: contrib.lost.batch,
      },
      startup: start,
      target: { ratio: 0.6, perReadingRatio: 10, batchedRatio: 0.9, startupAddedMs: 500, startupAddedRssMB: 30 },
      machine: { cpus: require('os').cpus().length, node: process.version },
    };
    if (json) console.log(JSON.stringify(result));
    else console.log(JSON.stringify(result, null, 2));
  } finally {
    await influxd.dispose();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
