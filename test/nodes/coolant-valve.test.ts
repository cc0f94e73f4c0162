// llmops-coolant-valve inside Node-RED against the twin's BMS on a real node-opcua server in this
// process: writes with read-back, heartbeat, advisory, override, a read-back mismatch, the alarm
// when the session is lost.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BmsServer } from '../../core/opcua/bms-server';
import { Facility, type BmsValue } from '../../core/twin/facility';
import { twinParams } from '../../core/twin/params';
import { constantRate } from '../../core/twin/workload';
import { helper, nodeModule } from '../helpers/helper';
import { freePort, waitFor } from '../helpers/ports';

const valveNode = nodeModule('coolant-valve/coolant-valve.js');
const endpointNode = nodeModule('opcua-endpoint/opcua-endpoint.js');

type AnyNode = any;

/** A CDU whose flow setpoint register keeps `skew` L/min off what was written (a faulty gateway). */
function skewed(f: Facility, skew: number) {
  return {
    bmsPoints: () => f.bmsPoints(),
    bmsRead: () => {
      const r = f.bmsRead();
      r['CDU1.FlowSetpoint'] = (r['CDU1.FlowSetpoint'] as number) + skew;
      return r;
    },
    bmsWrite: (id: string, v: BmsValue) => f.bmsWrite(id, v),
  };
}

function forecast(predicted: number, extra: Record<string, unknown> = {}) {
  return { target: 'gpuMaxC', horizonS: 300, t: 0, ready: true, predicted, interval: { low: predicted - 2, high: predicted + 2 }, assumedSupplyC: 40, assumedCoolantOffsetK: 2, ...extra };
}

describe('llmops-coolant-valve (Node-RED, in-process OPC UA BMS)', function () {
  this.timeout(30000);
  let tmp: string;
  let facility: Facility;
  let server: BmsServer | undefined;
  let port: number;

  async function startServer(source: ConstructorParameters<typeof BmsServer>[0]['source'] = facility) {
    server = new BmsServer({ source, port, host: '127.0.0.1', security: 'none', pkiDir: path.join(tmp, 'server') });
    await server.start();
  }

  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-valve-'));
    facility = new Facility(twinParams({ cluster: { servers: 4, initialActiveServers: 4 } }), constantRate(10, { durationS: 600, seed: 2 }), 2);
    facility.advance(5);
    port = await freePort();
  });
  afterEach(async () => {
    await helper.unload();
    await server?.stop();
    server = undefined;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function flow(valve: Record<string, unknown>) {
    return [
      { id: 'ep', type: 'llmops-opcua-endpoint', endpointUrl: `opc.tcp://127.0.0.1:${port}/`, securityMode: 'None', securityPolicy: 'None', pkiDir: path.join(tmp, 'client'), backoffInitialMs: 100, backoffMaxMs: 300 },
      { id: 'v', type: 'llmops-coolant-valve', endpoint: 'ep', mode: 'auto', periodS: 0.2, safeFlowLpm: 400, safeSupplyC: 25, wires: [['out'], ['audit']], ...valve },
      { id: 'out', type: 'helper' },
      { id: 'audit', type: 'helper' },
    ];
  }

  function watch() {
    const seen = { out: [] as any[], audit: [] as any[], statuses: [] as Array<{ fill: string; text: string }> };
    helper.getNode('out').on('input', (m: any) => seen.out.push(m));
    helper.getNode('audit').on('input', (m: any) => seen.audit.push(m));
    helper.getNode('v').on('call:status', (c: any) => seen.statuses.push({ fill: c.args[0]?.fill, text: String(c.args[0]?.text ?? '') }));
    return seen;
  }

  const send = (msg: Record<string, unknown>) => helper.getNode('v').receive({ heatKW: 20, ...msg });

  it('writes the setpoints it computes, reads them back and keeps the CDU remote with its heartbeat', async () => {
    await startServer();
    await helper.load([valveNode, endpointNode], flow({}));
    const seen = watch();
    await waitFor('a connected session', () => seen.statuses.some((s) => /waiting|L\/min/.test(s.text)));
    const hb0 = facility.bmsRead()['CDU1.Heartbeat'] as number;
    send({ payload: forecast(70) });
    const msg = await waitFor('setpoints with read-back', () => seen.out.find((m) => m.payload.readBack.flowLpm !== null));
    const round2 = (x: number) => Math.round(x * 100) / 100;
    // What was read back is what this msg wrote (the valve ramps on every period, so the BMS may
    // already hold a later write by the time the test reads it).
    assert.equal(msg.payload.readBack.flowLpm, round2(msg.payload.flowLpm));
    assert.equal(msg.payload.readBack.supplyTempC, round2(msg.payload.supplyTempC));
    // And the BMS holds a setpoint the valve sent out.
    const bms = facility.bmsRead();
    await waitFor('the BMS flow setpoint among those sent', () => seen.out.some((m) => round2(m.payload.flowLpm) === bms['CDU1.FlowSetpoint']));
    assert.equal(msg.payload.mode, 'auto');
    assert.ok(seen.audit.some((m) => m.payload.event === 'write' && m.payload.point === 'CDU1.FlowSetpoint'));
    await waitFor('heartbeat increments', () => (facility.bmsRead()['CDU1.Heartbeat'] as number) >= hb0 + 3);
    assert.equal(facility.bmsRead()['CDU1.ControlMode'], 'Remote');
  });

  it('in advisory mode sends setpoints and writes nothing', async () => {
    await startServer();
    await helper.load([valveNode, endpointNode], flow({ mode: 'advisory' }));
    const seen = watch();
    const before = facility.bmsRead();
    send({ payload: forecast(60) });
    const msg = await waitFor('advisory setpoints', () => seen.out[0]);
    assert.equal(msg.payload.mode, 'advisory');
    await new Promise((r) => setTimeout(r, 600));
    const after = facility.bmsRead();
    assert.equal(after['CDU1.FlowSetpoint'], before['CDU1.FlowSetpoint']);
    assert.equal(after['CDU1.Heartbeat'], before['CDU1.Heartbeat']);
    assert.equal(seen.audit.filter((m) => m.payload.event === 'write').length, 0);
  });

  it('ignores a forecast whose target is not text (an object without a prototype) instead of failing on it', async () => {
    await startServer();
    await helper.load([valveNode, endpointNode], flow({ mode: 'advisory' }));
    const seen = watch();
    const errors: string[] = [];
    helper.getNode('v').on('call:error', (c: any) => errors.push(String(c.args[0]?.message ?? c.args[0])));
    send({ payload: forecast(60, { target: Object.create(null) }) });
    const msg = await waitFor('a decision', () => seen.out[0]);
    // No forecast was taken: the valve says it has none, and nothing went wrong on the way.
    assert.notEqual(msg.payload.reason, 'optimised');
    assert.deepEqual(errors.filter((e) => /TypeError|Cannot convert/.test(e)), []);
  });

  it('an override wins over the forecast until released', async () => {
    await startServer();
    await helper.load([valveNode, endpointNode], flow({ flowRampLpmPerMin: 100000, supplyRampCPerMin: 100000 }));
    const seen = watch();
    await waitFor('a connected session', () => seen.statuses.some((s) => /waiting|L\/min/.test(s.text)));
    send({ payload: forecast(70), override: { flowLpm: 333, supplyC: 31 } });
    await waitFor('the override on the CDU', () => facility.bmsRead()['CDU1.FlowSetpoint'] === 333);
    send({ payload: forecast(70) });
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(facility.bmsRead()['CDU1.SupplyTemperatureSetpoint'], 31);
    assert.ok(seen.audit.some((m) => m.payload.event === 'override'));
    send({ payload: forecast(70), override: 'release' });
    await waitFor('optimised again', () => seen.out.some((m) => m.payload.reason === 'optimised'));
  });

  it('without fresh forecasts it heads for the safe setpoint', async () => {
    await startServer();
    await helper.load([valveNode, endpointNode], flow({ staleAfterS: 1, flowRampLpmPerMin: 100000, supplyRampCPerMin: 100000 }));
    const seen = watch();
    await waitFor('a connected session', () => seen.statuses.some((s) => /waiting|L\/min/.test(s.text)));
    send({ payload: forecast(60) });
    await waitFor('a stale decision', () => seen.out.some((m) => m.payload.reason === 'stale'), 5000);
    await waitFor('safe setpoints on the CDU', () => facility.bmsRead()['CDU1.FlowSetpoint'] === 400 && facility.bmsRead()['CDU1.SupplyTemperatureSetpoint'] === 25);
  });

  it('reports a read-back that differs from what it wrote', async () => {
    await startServer(skewed(facility, 7) as never);
    await helper.load([valveNode, endpointNode], flow({}));
    const seen = watch();
    const warnings: string[] = [];
    helper.getNode('v').on('call:warn', (c: any) => warnings.push(String(c.args[0])));
    send({ payload: forecast(70) });
    const ev = await waitFor('a mismatch event', () => seen.audit.find((m) => m.payload.event === 'mismatch'));
    assert.equal(ev.payload.point, 'CDU1.FlowSetpoint');
    assert.ok(Math.abs(ev.payload.readBack - ev.payload.value - 7) < 0.02);
    await waitFor('a yellow status', () => seen.statuses.some((s) => s.fill === 'yellow' && /mismatch/.test(s.text)));
    assert.ok(warnings.some((w) => /CDU1\.FlowSetpoint/.test(w)));
  });

  it('raises an alarm when the OPC UA session is lost and recovers when it returns', async () => {
    await startServer();
    await helper.load([valveNode, endpointNode], flow({}));
    const seen = watch();
    const errors: string[] = [];
    helper.getNode('v').on('call:error', (c: any) => errors.push(String(c.args[0])));
    await waitFor('a connected session', () => seen.statuses.some((s) => /waiting|L\/min/.test(s.text)));
    await server!.stop();
    await waitFor('an alarm event', () => seen.audit.some((m) => m.payload.event === 'alarm'), 15000);
    assert.ok(errors.some((e) => /ALARM/.test(e)));
    await waitFor('a red status', () => seen.statuses.some((s) => s.fill === 'red' && /session lost/.test(s.text)));
    await startServer();
    await waitFor('recovered', () => seen.audit.some((m) => m.payload.event === 'recovered'), 20000);
  });

  it('refuses auto mode without an endpoint on its status', async () => {
    await helper.load([valveNode], [{ id: 'v', type: 'llmops-coolant-valve', mode: 'auto', wires: [[], []] }]);
    const statuses: any[] = [];
    helper.getNode('v').on('call:status', (c: any) => statuses.push(c.args[0]));
    helper.getNode('v').receive({ payload: forecast(70), heatKW: 10 });
    await waitFor('an error status', () => statuses.some((s) => s.fill === 'red'));
  });
});
