// The twin's BMS on a real node-opcua server in this process, read and written by a real client.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { BmsServer, listenAddress } from '../../../core/opcua/bms-server';
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

  it('offers no policy that encrypts with RSA PKCS#1 v1.5, for channels or passwords (what NODE-OPCUA-W27 is about)', async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const ua = require('node-opcua');
    const client = ua.OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
    await client.connect(`opc.tcp://127.0.0.1:${port}/`);
    try {
      const endpoints = await client.getEndpoints();
      const policies = new Set<string>();
      for (const e of endpoints) {
        policies.add(String(e.securityPolicyUri));
        for (const t of e.userIdentityTokens ?? []) if (t.securityPolicyUri) policies.add(String(t.securityPolicyUri));
      }
      const used = [...policies].map((u) => u.split('#')[1]).sort();
      assert.deepEqual(used, ['Basic256Sha256', 'None']);
    } finally {
      await client.disconnect();
    }
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

describe('BMS server: where it listens and what it advertises', function () {
  this.timeout(30000);
  let tmp: string;
  let server: BmsServer | undefined;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-bms-host-'));
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const start = async (host?: string) => {
    const port = await freePort();
    const facility = new Facility(twinParams({ cluster: { servers: 2, initialActiveServers: 2 } }), constantRate(5, { durationS: 300, seed: 2 }), 2);
    server = new BmsServer({ source: facility, port, host, security: 'none', pkiDir: path.join(tmp, 'server') });
    return { port, info: await server.start() };
  };

  it('listens on 127.0.0.1 by default and advertises that address', async () => {
    const { port, info } = await start();
    assert.equal(info.endpointUrl, `opc.tcp://127.0.0.1:${port}/`);
  });

  it('is not reachable on the machine\'s other addresses when bound to 127.0.0.1', async function () {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!external) return this.skip();
    const { port } = await start('127.0.0.1');
    const outcome = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: external.address, port }, () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    assert.equal(outcome, 'ECONNREFUSED');
  });

  /** What node-opcua logs while a fresh client connects to `url` (its warnings go to console.log). */
  const logWhileConnecting = async (url: string): Promise<string[]> => {
    const logged: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    };
    const client = new OpcuaSession({ endpointUrl: url, pkiDir: path.join(tmp, 'client'), backoff: { initialMs: 100, maxMs: 300 } });
    try {
      client.open();
      await waitFor('a session', () => client.state === 'connected');
    } finally {
      console.log = original;
      await client.close(5000);
    }
    return logged;
  };

  it('lets a client that dials the advertised URL find its endpoints without a warning', async () => {
    const { info } = await start();
    const logged = await logWhileConnecting(info.endpointUrl);
    assert.deepEqual(logged.filter((l) => /Cannot find suitable endpoints/.test(l)), []);
  });

  it('on every interface, lets a local client dialling 127.0.0.1 find its endpoints without a warning', async () => {
    const { port } = await start('0.0.0.0');
    const logged = await logWhileConnecting(`opc.tcp://127.0.0.1:${port}/`);
    assert.deepEqual(logged.filter((l) => /Cannot find suitable endpoints/.test(l)), []);
  });

  it('listens on every interface for 0.0.0.0 and advertises this machine\'s name, with localhost and 127.0.0.1 beside it', () => {
    assert.deepEqual(listenAddress('0.0.0.0'), { alternates: ['localhost', '127.0.0.1'] });
    assert.deepEqual(listenAddress('::'), { alternates: ['localhost', '127.0.0.1'] });
  });

  it('advertises an IPv6 address in brackets', () => {
    assert.equal(listenAddress('::1').advertised, '[::1]');
  });
});
