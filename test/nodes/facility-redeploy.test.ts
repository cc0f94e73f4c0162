// llmops-facility across deploys: a deploy that leaves the facility's configuration alone keeps
// the running twin (its simulated time, its servers, its OPC UA server and the sessions on it);
// a changed configuration starts a new twin; a removed facility stops its OPC UA server and frees
// the port, as does stopping the runtime.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { OpcuaSession, type StateChange } from '../../core/opcua/session';
import { helper, nodeModule } from '../helpers/helper';
import { freePort, waitFor } from '../helpers/ports';

const sensor = nodeModule('sensor/sensor.js');
const facility = nodeModule('facility/facility.js');

type AnyNode = any;

function flow(fac: Record<string, unknown> = {}, sensorProps: Record<string, unknown> = {}) {
  return [
    { id: 'fac', type: 'llmops-facility', workload: 'constant', ratePerS: 5, seed: 3, servers: 4, speed: 20, timestamps: 'simulated', ...fac },
    { id: 's1', type: 'llmops-sensor', source: 'twin', facility: 'fac', interval: 1, wires: [['out']], ...sensorProps },
    { id: 'out', type: 'helper' },
  ];
}

const simulatedS = () => (helper.getNode('fac') as AnyNode).twin().timeS as number;

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('llmops-facility across deploys', function () {
  this.timeout(40000);
  const dirs: string[] = [];
  const tmp = (prefix: string) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    await helper.unload();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('keeps the running twin, and its simulated time, when a full deploy changes another node', async () => {
    await helper.load([sensor, facility], flow());
    await waitFor('the twin past 10 simulated seconds', () => simulatedS() > 10);
    const twin = (helper.getNode('fac') as AnyNode).twin();
    const before = simulatedS();
    await helper.setFlows(flow({}, { interval: 2 }), 'full');
    assert.equal((helper.getNode('fac') as AnyNode).twin(), twin);
    assert.ok(simulatedS() >= before, `simulated time went back from ${before} to ${simulatedS()}`);
    await waitFor('the kept twin to advance', () => simulatedS() > before + 5);
  });

  it('keeps the servers the controllers powered across the deploy', async () => {
    await helper.load([sensor, facility], flow());
    await waitFor('the twin running', () => simulatedS() > 1);
    (helper.getNode('fac') as AnyNode).setServerCount(2);
    await helper.setFlows(flow({}, { interval: 2 }), 'full');
    const kept = (helper.getNode('fac') as AnyNode).servers().filter((s: any) => s.state === 'on' || s.state === 'booting').length;
    assert.equal(kept, 2);
  });

  it('starts a new twin from zero when the facility configuration changes', async () => {
    await helper.load([sensor, facility], flow());
    await waitFor('the twin past 10 simulated seconds', () => simulatedS() > 10);
    const twin = (helper.getNode('fac') as AnyNode).twin();
    await helper.setFlows(flow({ seed: 4 }), 'full');
    await waitFor('the new node', () => (helper.getNode('fac') as AnyNode)?.twin());
    assert.notEqual((helper.getNode('fac') as AnyNode).twin(), twin);
    assert.ok(simulatedS() < 10, `the new twin starts at ${simulatedS()} s`);
  });

  it('keeps its OPC UA server, and the sessions on it, across a deploy', async () => {
    const port = await freePort();
    const pki = tmp('llmops-fac-pki-');
    await helper.load([sensor, facility], flow({ opcuaPort: port, opcuaPkiDir: pki }));
    await waitFor('the OPC UA server', () => (helper.getNode('fac') as AnyNode).opcua());
    const session = new OpcuaSession({ endpointUrl: `opc.tcp://127.0.0.1:${port}/`, pkiDir: tmp('llmops-client-pki-'), backoff: { initialMs: 100, maxMs: 300 } });
    const states: string[] = [];
    session.open();
    try {
      await waitFor('a session', () => session.state === 'connected');
      session.on('state', (s: StateChange) => states.push(s.state));
      await helper.setFlows(flow({ opcuaPort: port, opcuaPkiDir: pki }, { interval: 2 }), 'full');
      assert.equal(await session.write('CDU1.FlowSetpoint', 280), 'Good');
      assert.equal((helper.getNode('fac') as AnyNode).bmsRead()['CDU1.FlowSetpoint'], 280);
      assert.deepEqual(states, []);
    } finally {
      await session.close(5000);
    }
  });

  it('serves OPC UA on the same port again after a configuration change restarts the twin', async () => {
    const port = await freePort();
    const pki = tmp('llmops-fac-pki-');
    await helper.load([sensor, facility], flow({ opcuaPort: port, opcuaPkiDir: pki }));
    await waitFor('the OPC UA server', () => (helper.getNode('fac') as AnyNode).opcua());
    await helper.setFlows(flow({ opcuaPort: port, opcuaPkiDir: pki, seed: 9 }), 'full');
    const info = await waitFor('the new OPC UA server', () => (helper.getNode('fac') as AnyNode).opcua());
    assert.equal(info.endpointUrl, `opc.tcp://127.0.0.1:${port}/`);
  });

  it('stops the OPC UA server and frees the port when the facility is removed', async () => {
    const port = await freePort();
    await helper.load([sensor, facility], flow({ opcuaPort: port, opcuaPkiDir: tmp('llmops-fac-pki-') }));
    await waitFor('the OPC UA server', () => (helper.getNode('fac') as AnyNode).opcua());
    assert.equal(await listening(port), true);
    await helper.setFlows([{ id: 'out', type: 'helper' }], 'full');
    assert.equal(await listening(port), false);
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((r) => again.close(r));
  });

  it('stops the twin and its OPC UA server when the runtime stops', async () => {
    const port = await freePort();
    await helper.load([sensor, facility], flow({ opcuaPort: port, opcuaPkiDir: tmp('llmops-fac-pki-') }));
    await waitFor('the OPC UA server', () => (helper.getNode('fac') as AnyNode).opcua());
    await helper.unload();
    await waitFor('the port closed', async () => !(await listening(port)), 10000);
  });
});
