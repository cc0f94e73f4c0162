// Acceptance 4 of issue 3: a Sensor subscribed over OPC UA to the twin's BMS (llmops-twin as its
// own process) keeps delivering after that process is killed and started again, because the
// endpoint re-creates the session and the subscription; its status shows the outage meanwhile.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { helper, nodeModule } from '../helpers/helper';
import { waitFor } from '../helpers/ports';
import { TwinProcess } from '../unit/opcua/twin-process';

const sensor = nodeModule('sensor/sensor.js');
const endpoint = nodeModule('opcua-endpoint/opcua-endpoint.js');

type AnyNode = any;

describe('llmops-sensor with an OPC UA subscription (llmops-twin process)', function () {
  this.timeout(90000);
  let twin: TwinProcess;
  let clientPki: string;

  before(async () => {
    twin = new TwinProcess(['--generator', 'constant', '--rate', '20', '--speed', '5']);
    clientPki = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-client-pki-'));
    await twin.start();
  });
  afterEach(async () => {
    await helper.unload();
    // A test that failed while the twin was down must not take the next ones with it.
    if (!twin.running) await twin.start();
  });
  after(async () => {
    await twin?.dispose();
    fs.rmSync(clientPki, { recursive: true, force: true });
  });

  function flow(items: unknown[]) {
    return [
      { id: 'ep', type: 'llmops-opcua-endpoint', endpointUrl: twin.endpointUrl, securityMode: 'None', securityPolicy: 'None', pkiDir: clientPki, backoffInitialMs: 100, backoffMaxMs: 400 },
      { id: 's1', type: 'llmops-sensor', source: 'opcua', endpoint: 'ep', items, samplingInterval: 100, publishingInterval: 200, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ];
  }

  /** Collects what the Sensor sends and shows. */
  function watch() {
    const s1: AnyNode = helper.getNode('s1');
    const out: AnyNode = helper.getNode('out');
    const seen = { msgs: [] as Array<{ at: number; msg: any }>, statuses: [] as Array<{ at: number; fill: string; text: string }> };
    out.on('input', (msg: any) => seen.msgs.push({ at: Date.now(), msg }));
    s1.on('call:status', (call: any) => seen.statuses.push({ at: Date.now(), fill: call.args[0]?.fill, text: String(call.args[0]?.text ?? '') }));
    return seen;
  }

  it('sends readings with the configured metric names, units and layers', async () => {
    await helper.load([sensor, endpoint], flow([
      { nodeId: 'CDU1.SupplyTemperature', metric: 'cdu.supplyTemperature', tags: '{"cdu":"CDU1"}' },
      { nodeId: 'ns=1;s=Rack01.Power', metric: 'rack.power' },
      { nodeId: 'CDU1.PumpSpeed', metric: 'cdu.pumpSpeed', unit: '%', layer: 'rack' },
    ]));
    const seen = watch();
    await waitFor('readings of all three items', () => {
      const metrics = new Set(seen.msgs.flatMap((m) => m.msg.payload.map((r: any) => r.metric)));
      return metrics.size === 3 ? metrics : undefined;
    });
    const all = seen.msgs.flatMap((m) => m.msg.payload);
    const supply = all.find((r: any) => r.metric === 'cdu.supplyTemperature');
    assert.deepEqual([supply.layer, supply.unit, supply.tags], ['rack', '°C', { cdu: 'CDU1' }]);
    const pump = all.find((r: any) => r.metric === 'cdu.pumpSpeed');
    assert.deepEqual([pump.layer, pump.unit], ['rack', '%']);
    assert.equal(seen.msgs[0].msg.topic, 'opcua');
    assert.match(seen.msgs[0].msg.text, /CDU|Rack|rack|cdu/);
  });

  it('keeps delivering after the twin process is killed and restarted, showing the outage meanwhile', async () => {
    await helper.load([sensor, endpoint], flow([{ nodeId: 'Rack01.Power', metric: 'rack.power' }, { nodeId: 'CDU1.SupplyTemperature', metric: 'cdu.supplyTemperature' }]));
    const seen = watch();
    await waitFor('readings before the outage', () => seen.msgs.length >= 2);
    await twin.stop('SIGKILL');
    const killedAt = Date.now();
    // The client sees the socket close at once; one clean-clone CI run (Node-RED 5, loaded) did not show it within 20 s.
    await waitFor('the outage on the status', () => seen.statuses.some((s) => s.at >= killedAt && s.fill === 'red' && /outage|unreachable/.test(s.text)), 40000);
    await twin.start();
    const restartedAt = Date.now();
    await waitFor('readings from the restarted twin', () => seen.msgs.filter((m) => m.at >= restartedAt).length >= 2, 30000);
    await waitFor('a green status again', () => seen.statuses.some((s) => s.at >= restartedAt && s.fill === 'green'), 10000);
    const outage = seen.statuses.find((s) => s.at >= killedAt && s.fill === 'red');
    assert.match(outage!.text, /OPC UA (outage|unreachable)/);
  });

  it('reports items the server does not know and still delivers the others', async () => {
    await helper.load([sensor, endpoint], flow([{ nodeId: 'CDU1.NoSuchPoint', metric: 'x.y', unit: '°C', layer: 'rack' }, { nodeId: 'CDU1.Flow', metric: 'cdu.flow' }]));
    const seen = watch();
    const s1: AnyNode = helper.getNode('s1');
    const errors: string[] = [];
    s1.on('call:error', (call: any) => errors.push(String(call.args[0])));
    await waitFor('a flow reading', () => seen.msgs.some((m) => m.msg.payload.some((r: any) => r.metric === 'cdu.flow')));
    await waitFor('the refused item reported', () => errors.some((e) => /CDU1\.NoSuchPoint/.test(e)));
    await waitFor('a yellow status naming it', () => seen.statuses.some((s) => s.fill === 'yellow' && /refused/.test(s.text)));
  });

  it('reads every item now when a msg arrives', async () => {
    await helper.load([sensor, endpoint], flow([{ nodeId: 'CDU1.FlowSetpoint', metric: 'cdu.flowSetpoint', unit: 'L/min', layer: 'rack' }]));
    const seen = watch();
    await waitFor('the first reading', () => seen.msgs.length >= 1);
    const before = seen.msgs.length;
    helper.getNode('s1').receive({ payload: 'tick' });
    await waitFor('a reading for the tick', () => seen.msgs.length > before);
    assert.equal(seen.msgs[seen.msgs.length - 1].msg.payload[0].metric, 'cdu.flowSetpoint');
  });
});
