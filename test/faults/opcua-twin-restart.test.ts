// Issue 11, faults: the BMS (`llmops-twin` as its own process) is killed with SIGKILL and started
// again, twice, under a running Sensor (OPC UA subscription) and Coolant Valve (auto, writing
// setpoints and the CDU heartbeat) in a real Node-RED process. Meanwhile an operator override far
// outside the limits arrives. Expected: the outage shows on both nodes' status and raises the
// valve's alarm; no setpoint outside the valve's limits ever reaches the BMS; afterwards the
// session and the subscription come back (readings flow), the alarm clears, and the heartbeat the
// CDU watchdog needs resumes.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NodeRedProcess } from '../helpers/nodered';
import { waitFor } from '../helpers/ports';
import { TwinProcess } from '../unit/opcua/twin-process';
import { CRASH_IN_LOG, cduValve, placed } from './flows';

const LIMITS = { flowMinLpm: 50, flowMaxLpm: 500, supplyMinC: 18, supplyMaxC: 45 };

/** Records what the flow's nodes send and show into flow context; GET /state reads it. */
const RECORD = (key: string, what: string) => `const list = flow.get('${key}') || []; list.push({ at: Date.now(), ${what} }); if (list.length > 5000) list.shift(); flow.set('${key}', list); return null;`;

function flow(endpointUrl: string, pkiDir: string) {
  return placed([
    { id: 'tab', type: 'tab', label: 'bms outage' },
    { id: 'ep', type: 'llmops-opcua-endpoint', name: 'bms', endpointUrl, securityMode: 'None', securityPolicy: 'None', pkiDir, trustUnknownServerCertificate: false, namespaceUri: '', backoffInitialMs: 100, backoffMaxMs: 1000 },
    {
      id: 'sensor',
      type: 'llmops-sensor',
      z: 'tab',
      name: 'cdu',
      source: 'opcua',
      endpoint: 'ep',
      items: [
        { nodeId: 'CDU1.SupplyTemperature', metric: 'cdu.supplyTemperature' },
        { nodeId: 'CDU1.Heartbeat', metric: 'cdu.heartbeat', unit: 'count', layer: 'rack' },
      ],
      samplingInterval: 100,
      publishingInterval: 250,
      wires: [['rec-readings']],
    },
    cduValve({ staleAfterS: 60, flowRampLpmPerMin: 600, supplyRampCPerMin: 60, wires: [['rec-setpoints'], ['rec-audit']] }),
    { id: 'rec-readings', type: 'function', z: 'tab', func: RECORD('readings', 'metrics: msg.payload.map((r) => r.metric + "=" + r.value)'), outputs: 1, wires: [[]] },
    { id: 'rec-setpoints', type: 'function', z: 'tab', func: RECORD('setpoints', 'flowLpm: msg.payload.flowLpm, supplyTempC: msg.payload.supplyTempC, reason: msg.payload.reason'), outputs: 1, wires: [[]] },
    { id: 'rec-audit', type: 'function', z: 'tab', func: RECORD('audit', 'event: msg.payload.event, text: msg.payload.text'), outputs: 1, wires: [[]] },
    { id: 'watch', type: 'status', z: 'tab', scope: ['sensor', 'valve'], wires: [['rec-status']] },
    { id: 'rec-status', type: 'function', z: 'tab', func: RECORD('statuses', 'node: msg.status.source.id, fill: msg.status.fill, text: msg.status.text'), outputs: 1, wires: [[]] },
    { id: 'ovin', type: 'http in', z: 'tab', url: '/override', method: 'post', wires: [['ov', 'ovok']] },
    { id: 'ov', type: 'change', z: 'tab', rules: [{ t: 'move', p: 'payload', pt: 'msg', to: 'override', tot: 'msg' }], wires: [['valve']] },
    { id: 'ovok', type: 'http response', z: 'tab', statusCode: '200' },
    { id: 'stin', type: 'http in', z: 'tab', url: '/state', method: 'get', wires: [['st']] },
    { id: 'st', type: 'function', z: 'tab', func: "msg.payload = { readings: flow.get('readings') || [], setpoints: flow.get('setpoints') || [], audit: flow.get('audit') || [], statuses: flow.get('statuses') || [] }; return msg;", outputs: 1, wires: [['stout']] },
    { id: 'stout', type: 'http response', z: 'tab', statusCode: '200' },
  ] as Array<Record<string, unknown>>);
}

interface Rec {
  at: number;
  [k: string]: any;
}
interface State {
  readings: Rec[];
  setpoints: Rec[];
  audit: Rec[];
  statuses: Rec[];
}

/** `write CDU1.FlowSetpoint = 320: Good` lines of the twin's log. */
function writesInLog(log: string): Array<{ point: string; value: number; status: string }> {
  return [...log.matchAll(/^write (\S+) = (\S+): (\S+)$/gm)].map((m) => ({ point: m[1], value: Number(m[2]), status: m[3] }));
}

describe('faults: OPC UA server (llmops-twin process) killed and restarted twice under a Sensor and a Coolant Valve', function () {
  this.timeout(180000);
  let twin: TwinProcess;
  let nr: NodeRedProcess;
  let clientPki: string;
  const outages: Array<{ killedAt: number; restartedAt: number }> = [];
  let final: State;

  const state = async () => (await nr.request('GET', '/state')).json as State;
  const since = (list: Rec[], t: number) => list.filter((r) => r.at >= t);

  before(async () => {
    clientPki = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-fault-client-pki-'));
    twin = new TwinProcess(['--generator', 'constant', '--rate', '20', '--speed', '5']);
    await twin.start();
    nr = new NodeRedProcess();
    await nr.start();
    await nr.deploy(flow(twin.endpointUrl, clientPki));
    await waitFor('readings and valve writes before the outage', async () => {
      const s = await state();
      return s.readings.length > 2 && s.audit.some((a) => a.event === 'write');
    }, 30000).catch(async (e) => {
      throw new Error(`${e.message}\n${JSON.stringify(await state()).slice(0, 3000)}\n--- Node-RED ---\n${nr.log.slice(-3000)}\n--- twin ---\n${twin.log.slice(-2000)}`);
    });
    for (let k = 0; k < 2; k++) {
      // The session notices the dead socket before the process has been reaped: start the clock first.
      const killedAt = Date.now();
      await twin.stop('SIGKILL');
      await waitFor('the outage on both statuses and the valve alarm', async () => {
        const s = await state();
        const red = (id: string) => since(s.statuses, killedAt).some((x) => x.node === id && x.fill === 'red');
        return red('sensor') && red('valve') && since(s.audit, killedAt).some((a) => a.event === 'alarm');
      }, 30000).catch(async (e) => {
        const s = await state();
        throw new Error(`${e.message}\nstatuses since the kill: ${JSON.stringify(since(s.statuses, killedAt)).slice(0, 1500)}\naudit: ${JSON.stringify(since(s.audit, killedAt)).slice(0, 800)}\n--- Node-RED ---\n${nr.log.slice(-1500)}`);
      });
      // An operator asks for far more than the limits allow while the BMS is away.
      assert.equal((await nr.request('POST', '/override', { flowLpm: 900, supplyTempC: 5 })).status, 200);
      await twin.start();
      const restartedAt = Date.now();
      outages.push({ killedAt, restartedAt });
      await waitFor('readings, writes and a recovered alarm after the restart', async () => {
        const s = await state();
        return since(s.readings, restartedAt).length > 2 && since(s.audit, restartedAt).some((a) => a.event === 'write') && since(s.audit, restartedAt).some((a) => a.event === 'recovered');
      }, 60000);
      // Release the override so the second round starts from the valve's own choice.
      assert.equal((await nr.request('POST', '/override', { release: true })).status, 200);
    }
    // A few heartbeat periods after the last restart.
    await new Promise((r) => setTimeout(r, 3000));
    final = await state();
  });

  after(async () => {
    await nr?.dispose();
    await twin?.dispose();
    if (clientPki) fs.rmSync(clientPki, { recursive: true, force: true });
  });

  it('showed each outage on the Sensor and the Coolant Valve status (red)', () => {
    for (const o of outages) {
      for (const id of ['sensor', 'valve']) {
        const shown = final.statuses.filter((s) => s.node === id && s.at >= o.killedAt && s.at < o.restartedAt && s.fill === 'red');
        assert.ok(shown.length > 0, `${id}: no red status during the outage at ${o.killedAt}`);
      }
    }
  });

  it('raised the valve alarm at each outage and cleared it after each restart', () => {
    for (const o of outages) {
      assert.ok(final.audit.some((a) => a.event === 'alarm' && a.at >= o.killedAt && a.at < o.restartedAt), 'no alarm');
      assert.ok(final.audit.some((a) => a.event === 'recovered' && a.at >= o.restartedAt), 'no recovery');
    }
  });

  it('clamped the out-of-range override in what the valve chose', () => {
    const chosen = final.setpoints.filter((s) => s.reason === 'override');
    assert.ok(chosen.length > 0, 'the override was never applied');
    for (const s of chosen) {
      assert.ok(s.flowLpm <= LIMITS.flowMaxLpm && s.flowLpm >= LIMITS.flowMinLpm, `flow ${s.flowLpm}`);
      assert.ok(s.supplyTempC <= LIMITS.supplyMaxC && s.supplyTempC >= LIMITS.supplyMinC, `supply ${s.supplyTempC}`);
    }
  });

  it('never wrote a setpoint outside the limits to the BMS (the twin logs every write)', () => {
    const writes = writesInLog(twin.log);
    const flows = writes.filter((w) => w.point === 'CDU1.FlowSetpoint');
    const supplies = writes.filter((w) => w.point === 'CDU1.SupplyTemperatureSetpoint');
    assert.ok(flows.length > 0 && supplies.length > 0, 'no setpoint writes seen');
    const outside = [
      ...flows.filter((w) => !(w.value >= LIMITS.flowMinLpm && w.value <= LIMITS.flowMaxLpm)),
      ...supplies.filter((w) => !(w.value >= LIMITS.supplyMinC && w.value <= LIMITS.supplyMaxC)),
    ];
    assert.deepEqual(outside, []);
  });

  it('got the subscription back: readings after each restart', () => {
    for (const o of outages) assert.ok(since(final.readings, o.restartedAt).length > 0);
  });

  it('resumed the heartbeat: the CDU reads a rising heartbeat after the last restart', () => {
    const last = outages[outages.length - 1].restartedAt;
    const beats = since(final.readings, last)
      .flatMap((r) => r.metrics as string[])
      .filter((m) => m.startsWith('cdu.heartbeat='))
      .map((m) => Number(m.split('=')[1]));
    assert.ok(beats.length >= 2, `heartbeat readings after the restart: ${beats.length}`);
    assert.ok(beats[beats.length - 1] > beats[0], `heartbeat did not rise: ${beats.join(', ')}`);
  });

  it('logged no uncaught exception or unhandled rejection in Node-RED', () => {
    assert.doesNotMatch(nr.log, CRASH_IN_LOG);
  });
});
