// Sensor → InfluxDB with a real influxd and a real Node-RED process: every reading arrives,
// through an outage of the database and through a restart of Node-RED.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { Influxd } from '../helpers/influxd';
import { NodeRedProcess } from '../helpers/nodered';
import { waitFor } from '../helpers/ports';
import { requireTool } from '../helpers/require-tool';

const DB = 'llmops_test';

function telemetryFlow(influxPort: number, opts: { spill?: boolean } = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'telemetry' },
    { id: 'db', type: 'llmops-influxdb', host: '127.0.0.1', port: influxPort, protocol: 'http', database: DB, precision: 'ms', batchSize: 5000, flushInterval: 200, maxBuffered: 1000000, spill: !!opts.spill, createDatabase: true },
    { id: 'in', type: 'http in', z: 'tab', url: '/readings', method: 'post', wires: [['sensor']] },
    { id: 'sensor', type: 'llmops-sensor', z: 'tab', influx: 'db', wires: [['ok']] },
    { id: 'ok', type: 'change', z: 'tab', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'accepted', tot: 'str' }], wires: [['res']] },
    { id: 'res', type: 'http response', z: 'tab', statusCode: '200' },
  ];
}

const T0 = Date.UTC(2026, 10, 26, 0, 0, 0);
/** n readings with distinct (series, timestamp), starting at reading number `from`. */
function readings(from: number, n: number) {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { metric: 'gpu.power', value: 300 + (i % 400), ts: T0 + Math.floor(i / 8), tags: { gpu: String(i % 8), server: 'S01' } };
  });
}

async function post(nr: NodeRedProcess, body: unknown) {
  const r = await nr.request('POST', '/readings', body);
  assert.equal(r.status, 200, r.text);
}

describe('Sensor → InfluxDB (real influxd, real Node-RED)', function () {
  this.timeout(120000);
  let influxd: Influxd;
  let nr: NodeRedProcess | undefined;

  before(function () {
    const bin = requireTool(this, 'influxd', 'apt-get install -y influxdb');
    influxd = new Influxd(bin);
  });
  afterEach(async () => {
    await nr?.dispose();
    nr = undefined;
  });
  after(async () => {
    await influxd?.dispose();
  });

  it('stores 100,000 readings exactly once each', async () => {
    await influxd.start();
    await influxd.query(`DROP DATABASE ${DB}`);
    nr = new NodeRedProcess();
    await nr.start();
    await nr.deploy(telemetryFlow(influxd.port));
    for (let i = 0; i < 100000; i += 5000) await post(nr, readings(i, 5000));
    const n = await waitFor('100,000 points', async () => ((await influxd.count(DB, 'gpu')) === 100000 ? 100000 : undefined), 60000, 250).catch(async (e) => {
      throw new Error(`${e.message}; count is ${await influxd.count(DB, 'gpu')}`);
    });
    assert.equal(n, 100000);
  });

  it('loses nothing when influxd is stopped for 10 s mid-stream and restarted', async () => {
    await influxd.start();
    await influxd.query(`DROP DATABASE ${DB}`);
    nr = new NodeRedProcess();
    await nr.start();
    await nr.deploy(telemetryFlow(influxd.port));
    const chunk = 1000;
    let sent = 0;
    const sendFor = async (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        await post(nr!, readings(sent, chunk));
        sent += chunk;
        await new Promise((r) => setTimeout(r, 40));
      }
    };
    await sendFor(1500);
    await influxd.stop();
    const stoppedAt = Date.now();
    await sendFor(10000);
    assert.ok(Date.now() - stoppedAt >= 10000);
    await influxd.start();
    await sendFor(1500);
    const total = sent;
    assert.ok(total >= 20000, `sent ${total}`);
    await waitFor(`${total} points`, async () => ((await influxd.count(DB, 'gpu')) === total ? true : undefined), 60000, 250).catch(async (e) => {
      throw new Error(`${e.message}; count is ${await influxd.count(DB, 'gpu')} of ${total}`);
    });
    assert.match(nr.log, /InfluxDB unreachable, buffering and retrying/);
  });

  it('keeps the outage backlog on disk through a killed Node-RED and writes it after the restart', async () => {
    await influxd.start();
    await influxd.query(`DROP DATABASE ${DB}`);
    const port = influxd.port;
    await influxd.stop();
    nr = new NodeRedProcess();
    await nr.start();
    await nr.deploy(telemetryFlow(port, { spill: true }));
    for (let i = 0; i < 20000; i += 5000) await post(nr, readings(i, 5000));
    const spillFile = path.join(nr.userDir, 'llmops', 'influx-spill', 'db.jsonl');
    await waitFor('the backlog on disk', () => fs.existsSync(spillFile) && fs.readFileSync(spillFile, 'utf8').split('\n').length - 1 === 20000, 20000);
    await nr.stop('SIGKILL');
    await influxd.start();
    assert.equal(await influxd.count(DB, 'gpu'), 0, 'nothing was written before the restart');
    await nr.start();
    await waitFor('20,000 points after the restart', async () => ((await influxd.count(DB, 'gpu')) === 20000 ? true : undefined), 60000, 250).catch(async (e) => {
      throw new Error(`${e.message}; count is ${await influxd.count(DB, 'gpu')}`);
    });
    await waitFor('the spill file to be removed', () => !fs.existsSync(spillFile), 10000);
  });
});
