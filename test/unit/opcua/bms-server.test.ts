// The twin's BMS on a real node-opcua server in this process, read and written by a real client.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BmsServer } from '../../../core/opcua/bms-server';
import { OpcuaSession } from '../../../core/opcua/session';
import { Facility } from '../../../core/twin/facility';
import { twinParams } from '../../../core/twin/params';
import { constantRate } from '../../../core/twin/workload';
import { freePort, waitFor } from '../../helpers/ports';

describe('BMS server (node-opcua, in process)', function () {
  this.timeout(30000);
  let facility: Facility;
  let server: BmsServer;
  let session: OpcuaSession;
  let tmp: string;
  let port: number;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-bms-'));
    facility = new Facility(twinParams({ cluster: { servers: 4, initialActiveServers: 4 } }), constantRate(10, { durationS: 600, seed: 2 }), 2);
    facility.advance(5);
    port = await freePort();
    server = new BmsServer({ source: facility, port, host: '127.0.0.1', security: 'none', pkiDir: path.join(tmp, 'server') });
    await server.start();
    session = new OpcuaSession({ endpointUrl: `opc.tcp://127.0.0.1:${port}/`, pkiDir: path.join(tmp, 'client'), backoff: { initialMs: 100, maxMs: 300 } });
    session.open();
    await waitFor('a session', () => session.state === 'connected');
  });
  after(async () => {
    await session?.close(5000);
    await server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('serves every BMS point of the twin in namespace 1', async () => {
    const ids = facility.bmsPoints().map((p) => `ns=1;s=${p.nodeId}`);
    const values = await session.read(ids);
    assert.equal(values.length, 11 + 3 * 2); // 11 CDU points, 3 per rack, 4 servers in 2 racks
    assert.deepEqual(values.filter((v) => !v.good), []);
  });

  it('gives each point its type: Double, Boolean or String', async () => {
    const [supply, alarm, mode] = await session.read(['CDU1.SupplyTemperature', 'CDU1.LowFlowAlarm', 'CDU1.ControlMode']);
    assert.equal(typeof supply.value, 'number');
    assert.equal(typeof alarm.value, 'boolean');
    assert.ok(['Remote', 'Local', 'Manual'].includes(mode.value as string));
  });

  it('describes the server it runs: endpoint, namespace, points', () => {
    const info = server.describe()!;
    assert.equal(info.namespaceIndex, 1);
    assert.equal(info.namespaceUri, 'urn:node-red-contrib-llmops:twin:bms');
    assert.equal(info.points, facility.bmsPoints().length);
    assert.deepEqual(info.endpoints.map((e) => `${e.securityMode}/${e.securityPolicy}`).sort(), ['None/None', 'SignAndEncrypt/Basic256Sha256']);
  });

  it('writes a setpoint through the twin', async () => {
    assert.equal(await session.write('CDU1.SupplyTemperatureSetpoint', 30), 'Good');
    assert.equal(facility.bmsRead()['CDU1.SupplyTemperatureSetpoint'], 30);
  });

  it('refuses a setpoint outside the twin range with BadOutOfRange and keeps the register', async () => {
    await session.write('CDU1.FlowSetpoint', 250);
    assert.equal(await session.write('CDU1.FlowSetpoint', 49), 'BadOutOfRange');
    assert.equal(facility.bmsRead()['CDU1.FlowSetpoint'], 250);
  });

  it('refuses a value of the wrong type', async () => {
    const status = await session.write('CDU1.FlowSetpoint', 'fast');
    assert.match(status, /^Bad/);
    assert.equal(facility.bmsRead()['CDU1.FlowSetpoint'], 250);
  });

  it('shows the twin values of its last refresh', async () => {
    facility.bmsWrite('CDU1.Heartbeat', 41);
    const [stale] = await session.read(['CDU1.Heartbeat']);
    server.refresh();
    const [fresh] = await session.read(['CDU1.Heartbeat']);
    assert.notEqual(stale.value, 41);
    assert.equal(fresh.value, 41);
  });
});
