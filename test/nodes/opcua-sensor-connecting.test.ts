// A Sensor on an OPC UA endpoint whose session is still connecting: a poll msg has nothing to
// read yet. That is a state, not a fault: the status says so and nothing is logged as an error.
// The "server" here accepts TCP connections and never answers, so the session stays connecting.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { helper, nodeModule, translate } from '../helpers/helper';
import { waitFor } from '../helpers/ports';

const sensor = nodeModule('sensor/sensor.js');
const endpoint = nodeModule('opcua-endpoint/opcua-endpoint.js');

type AnyNode = any;

describe('llmops-sensor polled while its OPC UA session is connecting', function () {
  this.timeout(30000);
  let silent: net.Server;
  let port: number;
  let clientPki: string;
  const sockets = new Set<net.Socket>();

  before(async () => {
    clientPki = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-client-pki-'));
    silent = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    port = (silent.address() as net.AddressInfo).port;
  });
  afterEach(async () => {
    await helper.unload();
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
    fs.rmSync(clientPki, { recursive: true, force: true });
  });

  it('shows "connecting" for a poll msg and logs no error', async () => {
    await helper.load([sensor, endpoint], [
      { id: 'ep', type: 'llmops-opcua-endpoint', endpointUrl: `opc.tcp://127.0.0.1:${port}/`, securityMode: 'None', securityPolicy: 'None', pkiDir: clientPki },
      { id: 's1', type: 'llmops-sensor', source: 'opcua', endpoint: 'ep', items: [{ nodeId: 'CDU1.FlowSetpoint' }], wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const s1: AnyNode = helper.getNode('s1');
    const errors: string[] = [];
    const statuses: Array<{ fill: string; text: string }> = [];
    s1.on('call:error', (call: any) => errors.push(String(call.args[0])));
    s1.on('call:status', (call: any) => statuses.push({ fill: call.args[0]?.fill, text: String(call.args[0]?.text ?? '') }));
    // The connection is accepted, so the session waits for the server's answer: connecting.
    await waitFor('a TCP connection from the session', () => sockets.size > 0);
    s1.receive({ payload: 'tick' });
    // A refused read is reported within a few event-loop turns; give it ample time to show up.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(errors, []);
    assert.match(statuses.at(-1)?.text ?? '', new RegExp(translate('sensor.status.opcua-connecting')));
  });
});
