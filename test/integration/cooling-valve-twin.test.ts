// Acceptance 2 of issue 8: the twin (`llmops-twin` process, OPC UA Basic256Sha256 SignAndEncrypt
// with a username) ← Coolant Valve in a real Node-RED process. The twin's CDU follows the
// setpoints the valve writes; when the Node-RED process is killed, the heartbeat stops and the
// CDU falls back to its local setpoints after its 30 s timeout (twin time; the twin runs 5× here).
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OpcuaSession, type StateChange } from '../../core/opcua/session';
import { NodeRedProcess } from '../helpers/nodered';
import { waitFor } from '../helpers/ports';
import { TwinProcess } from '../unit/opcua/twin-process';

const USER = 'valve';
const PASSWORD = 'c00lant!';
const SPEED = 5;

function trust(certFile: string, pkiDir: string): void {
  const dir = path.join(pkiDir, 'trusted', 'certs');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(certFile, path.join(dir, path.basename(certFile)));
}

describe('Coolant Valve → twin CDU over SignAndEncrypt (Node-RED and llmops-twin processes)', function () {
  this.timeout(120000);
  let twin: TwinProcess;
  let nr: NodeRedProcess;
  let clientPki: string;
  let observer: OpcuaSession;

  before(async () => {
    twin = new TwinProcess(['--security', 'sign-encrypt', '--user', `${USER}:${PASSWORD}`, '--no-anonymous', '--generator', 'constant', '--rate', '20', '--speed', String(SPEED)]);
    clientPki = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-valve-pki-'));
    const clientCert = await new OpcuaSession({ endpointUrl: 'opc.tcp://unused', pkiDir: clientPki }).ensureCertificate();
    trust(clientCert, twin.pkiDir);
    await twin.start();
    trust(path.join(twin.pkiDir, 'own', 'certs', 'llmops-twin.pem'), clientPki);
    observer = new OpcuaSession({ endpointUrl: twin.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', username: USER, password: PASSWORD, pkiDir: clientPki, backoff: { initialMs: 100, maxMs: 500 } });
    observer.open();
    await waitFor('the observer session', () => observer.state === 'connected', 30000);
    nr = new NodeRedProcess();
    await nr.start();
  });

  after(async () => {
    await observer?.close(5000);
    await nr?.dispose();
    await twin?.dispose();
    fs.rmSync(clientPki, { recursive: true, force: true });
  });

  const read = async (id: string) => (await observer.read([id]))[0].value;

  it('the CDU follows the valve, and falls back to local control 30 s after Node-RED is killed', async () => {
    // Before any controller: the CDU's watchdog has it in Local mode.
    await waitFor('Local mode before the valve', async () => (await read('CDU1.ControlMode')) === 'Local', 30000);
    const forecast = { target: 'gpuMaxC', horizonS: 300, t: 0, ready: true, predicted: 60, interval: { low: 58, high: 62 }, assumedSupplyC: 25, assumedCoolantOffsetK: 1 };
    await nr.deploy([
      { id: 'tab', type: 'tab', label: 'cooling' },
      {
        id: 'ep', z: 'tab', type: 'llmops-opcua-endpoint', endpointUrl: twin.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256',
        pkiDir: clientPki, backoffInitialMs: 200, backoffMaxMs: 1000, credentials: { username: USER, password: PASSWORD },
      },
      {
        id: 'tick', z: 'tab', type: 'inject', repeat: '1', once: true, onceDelay: '0.1', topic: '',
        props: [{ p: 'payload', v: JSON.stringify(forecast), vt: 'json' }, { p: 'heatKW', v: '30', vt: 'num' }], wires: [['valve']],
      },
      {
        id: 'valve', z: 'tab', type: 'llmops-coolant-valve', endpoint: 'ep', mode: 'auto', periodS: 1, gpuTargetC: 83, marginK: 2, staleAfterS: 30,
        flowRampLpmPerMin: 600, supplyRampCPerMin: 20, safeFlowLpm: 400, safeSupplyC: 25, wires: [[], []],
      },
    ]);
    // The valve takes over: Remote mode, its setpoints in the registers, the loop moving to them.
    await waitFor('Remote mode under the valve', async () => (await read('CDU1.ControlMode')) === 'Remote', 30000);
    await waitFor('a warmer supply setpoint written', async () => ((await read('CDU1.SupplyTemperatureSetpoint')) as number) > 30, 30000);
    const flowSp = (await read('CDU1.FlowSetpoint')) as number;
    assert.ok(flowSp >= 50 && flowSp <= 500);
    const supply0 = (await read('CDU1.SupplyTemperature')) as number;
    await waitFor('the supply following its setpoint', async () => ((await read('CDU1.SupplyTemperature')) as number) > supply0 + 1, 30000);
    const hb0 = (await read('CDU1.Heartbeat')) as number;
    await waitFor('heartbeats', async () => ((await read('CDU1.Heartbeat')) as number) > hb0 + 1, 10000);

    // Kill the Node-RED side: no close handlers, no goodbye.
    await nr.stop('SIGKILL');
    const killed = Date.now();
    assert.equal(await read('CDU1.ControlMode'), 'Remote', 'still remote right after the kill');
    await waitFor('Local mode after the heartbeat timeout', async () => (await read('CDU1.ControlMode')) === 'Local', 60000, 100);
    const realS = (Date.now() - killed) / 1000;
    assert.equal(await read('CDU1.RemoteTimeout'), true);
    // 30 s of twin time at 5× is 6 s; allow for the last heartbeat and polling.
    assert.ok(realS * SPEED >= 25 && realS * SPEED <= 45, `fell back after ${(realS * SPEED).toFixed(1)} s of twin time`);
    const supplyAtFallback = (await read('CDU1.SupplyTemperature')) as number;
    await waitFor('the supply heading back to the local 25 °C', async () => ((await read('CDU1.SupplyTemperature')) as number) < supplyAtFallback - 0.5, 30000);
  });
});
