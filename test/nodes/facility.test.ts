// llmops-facility: the twin inside Node-RED, read by the Sensor's twin source, commanded through
// its methods, and serving its BMS over OPC UA when given a port.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OpcuaSession } from '../../core/opcua/session';
import { LAYERS } from '../../core/telemetry/catalogue';
import { helper, nodeModule } from '../helpers/helper';
import { freePort, waitFor } from '../helpers/ports';

const sensor = nodeModule('sensor/sensor.js');
const facility = nodeModule('facility/facility.js');

type AnyNode = any;

function flow(fac: Record<string, unknown> = {}, sensorProps: Record<string, unknown> = {}) {
  return [
    { id: 'fac', type: 'llmops-facility', workload: 'constant', ratePerS: 20, seed: 3, servers: 4, speed: 20, timestamps: 'wall', ...fac },
    { id: 's1', type: 'llmops-sensor', source: 'twin', facility: 'fac', interval: 0.2, wires: [['out']], ...sensorProps },
    { id: 'out', type: 'helper' },
  ];
}

function collect() {
  const out: AnyNode = helper.getNode('out');
  const s1: AnyNode = helper.getNode('s1');
  const seen = { msgs: [] as any[], statuses: [] as Array<{ fill: string; text: string }> };
  out.on('input', (msg: any) => seen.msgs.push(msg));
  s1.on('call:status', (call: any) => seen.statuses.push({ fill: call.args[0]?.fill, text: String(call.args[0]?.text ?? '') }));
  return seen;
}

describe('llmops-facility with the Sensor twin source', function () {
  this.timeout(30000);
  const dirs: string[] = [];
  afterEach(async () => {
    await helper.unload();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('sends readings of all five layers at the Sensor interval', async () => {
    await helper.load([sensor, facility], flow());
    const seen = collect();
    await waitFor('two reading sets', () => seen.msgs.length >= 2);
    const layers = new Set(seen.msgs[0].payload.map((r: any) => r.layer));
    assert.deepEqual([...layers].sort(), [...LAYERS].sort());
    assert.equal(seen.msgs[0].topic, 'twin');
  });

  it('shows simulated time, serving servers, IT kW and cooling kW on the Sensor status', async () => {
    await helper.load([sensor, facility], flow());
    const seen = collect();
    const status = await waitFor('a running status', () => seen.statuses.find((s) => /^t \d\d:\d\d:\d\d · \d+ servers · IT \d+ kW · cooling [\d.]+ kW/.test(s.text)));
    assert.equal(status.fill, 'green');
  });

  it('stamps readings with the wall clock by default', async () => {
    await helper.load([sensor, facility], flow());
    const seen = collect();
    const before = Date.now();
    await waitFor('a reading set', () => seen.msgs.length >= 1);
    assert.ok(seen.msgs[0].payload[0].ts >= before - 1000);
  });

  it('stamps readings with simulated time when asked', async () => {
    await helper.load([sensor, facility], flow({ timestamps: 'simulated' }));
    const seen = collect();
    await waitFor('a reading set', () => seen.msgs.length >= 1);
    // Synthetic workloads start at 2024-01-01T00:00:00Z.
    assert.ok(seen.msgs[0].payload[0].ts < Date.UTC(2024, 0, 2));
  });

  it('sends a reading set for every input msg', async () => {
    await helper.load([sensor, facility], flow({}, { interval: 0 }));
    const seen = collect();
    helper.getNode('s1').receive({ payload: 'tick' });
    await waitFor('one reading set', () => seen.msgs.length === 1);
  });

  it('takes a server-count command the way a facility does (plan.servers follows)', async () => {
    await helper.load([sensor, facility], flow());
    const fac: AnyNode = helper.getNode('fac');
    fac.setServerCount(2);
    const plan = fac.telemetry().find((r: any) => r.metric === 'plan.servers' && Object.keys(r.tags).length === 0);
    assert.equal(plan.value, 2);
  });

  it('refuses a clock outside the clock set', async () => {
    await helper.load([sensor, facility], flow());
    const fac: AnyNode = helper.getNode('fac');
    const instance = fac.instances()[0].id;
    assert.throws(() => fac.setFrequency(instance, 1234));
    fac.setFrequency(instance, 1400);
    assert.equal(fac.instances()[0].freqMHz, 1400);
  });

  it('reports completions with their true output length', async () => {
    await helper.load([sensor, facility], flow());
    const fac: AnyNode = helper.getNode('fac');
    const done: any[] = [];
    fac.onCompletion((c: any) => done.push(c));
    await waitFor('a completion', () => done.length > 0, 20000);
    assert.ok(done[0].outputTokens >= 1);
  });

  it('serves its BMS over OPC UA when given a port; writes reach the twin', async () => {
    const port = await freePort();
    const pki = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-fac-pki-'));
    const clientPki = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-client-pki-'));
    dirs.push(pki, clientPki);
    await helper.load([sensor, facility], flow({ opcuaPort: port, opcuaPkiDir: pki }));
    const fac: AnyNode = helper.getNode('fac');
    await waitFor('the OPC UA server', () => fac.opcua());
    const session = new OpcuaSession({ endpointUrl: `opc.tcp://127.0.0.1:${port}/`, pkiDir: clientPki, backoff: { initialMs: 100, maxMs: 300 } });
    session.open();
    try {
      await waitFor('a session', () => session.state === 'connected');
      const r = await session.writeWithReadback('CDU1.FlowSetpoint', 300);
      assert.equal(r.status, 'Good');
      assert.equal(fac.bmsRead()['CDU1.FlowSetpoint'], 300);
    } finally {
      await session.close(5000);
    }
  });

  it('shows why on the Sensor when the trace file is missing', async () => {
    await helper.load([sensor, facility], flow({ workload: 'trace', traceFile: '/nonexistent/trace.csv' }));
    const seen = collect();
    await waitFor('a red status', () => seen.statuses.find((s) => s.fill === 'red' && /nonexistent/.test(s.text)));
  });
});
