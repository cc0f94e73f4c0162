// The example flow "twin BMS over OPC UA → Sensor" runs as shipped (on a free port): the Sensor
// delivers every item it lists from the facility's own OPC UA server.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { helper, nodeModule } from '../helpers/helper';
import { freePort, waitFor } from '../helpers/ports';

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'opcua-bms-sensor.json');
const modules = [nodeModule('sensor/sensor.js'), nodeModule('facility/facility.js'), nodeModule('opcua-endpoint/opcua-endpoint.js')];

describe('example flow: twin BMS over OPC UA → Sensor', function () {
  this.timeout(30000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-example-'));
  });
  after(async () => {
    await helper.unload();
    // The twin's server may still be writing its PKI as it stops.
    fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('delivers every listed item with its metric name', async () => {
    const port = await freePort();
    const nodes = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')).filter((n: any) => n.type !== 'tab' && n.type !== 'comment');
    for (const n of nodes) {
      if (n.type === 'llmops-facility') Object.assign(n, { opcuaPort: port, opcuaPkiDir: path.join(tmp, 'server') });
      if (n.type === 'llmops-opcua-endpoint') Object.assign(n, { endpointUrl: `opc.tcp://127.0.0.1:${port}/`, pkiDir: path.join(tmp, 'client'), backoffInitialMs: 100, backoffMaxMs: 500 });
      if (n.type === 'debug') n.type = 'helper';
    }
    const sensor = nodes.find((n: any) => n.type === 'llmops-sensor');
    const expected = new Set(sensor.items.map((i: any) => i.metric));
    await helper.load(modules, nodes);
    const out: any = helper.getNode(sensor.wires[0][0]);
    const seen = new Set<string>();
    out.on('input', (msg: any) => msg.payload.forEach((r: any) => seen.add(r.metric)));
    await waitFor('every item', () => [...expected].every((m) => seen.has(m as string)), 20000);
    assert.deepEqual([...seen].sort(), [...expected].sort());
  });
});
