// The two cooling example flows run as shipped (the valve's BMS on a free port): the predictor
// says it is learning, the valve (advisory) sends setpoints, and the override inject wins.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { helper, nodeModule } from '../helpers/helper';
import { freePort, waitFor } from '../helpers/ports';

const dir = path.join(__dirname, '..', '..', 'examples');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const inject = require('@node-red/nodes/core/common/20-inject.js');
const modules = [...['sensor/sensor.js', 'facility/facility.js', 'opcua-endpoint/opcua-endpoint.js', 'thermal-predictor/thermal-predictor.js', 'coolant-valve/coolant-valve.js'].map(nodeModule), inject];

function load(file: string, tweak: (n: any) => void = () => undefined) {
  const flow = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  assert.ok(flow.some((n: any) => n.type === 'comment' && n.info), `${file} explains itself in a comment node`);
  const nodes = flow.filter((n: any) => n.type !== 'tab' && n.type !== 'comment');
  for (const n of nodes) {
    if (n.type === 'debug') n.type = 'helper';
    if (n.type === 'llmops-sensor') n.interval = 1;
    tweak(n);
  }
  return nodes;
}

describe('cooling example flows', function () {
  this.timeout(40000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-cooling-example-'));
  });
  afterEach(() => helper.unload());
  after(() => fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));

  it('thermal-predictor.json: forecasts arrive, learning first', async () => {
    const nodes = load('thermal-predictor.json');
    await helper.load(modules, nodes);
    const debug = nodes.find((n: any) => n.type === 'helper');
    const got: any[] = [];
    helper.getNode(debug.id).on('input', (m: any) => got.push(m));
    const first = await waitFor('a forecast msg', () => got[0], 20000);
    assert.equal(first.payload.target, 'gpuMaxC');
    assert.equal(first.payload.ready, false);
  });

  it('coolant-valve.json: advisory setpoints, and the override inject wins', async () => {
    const port = await freePort();
    const nodes = load('coolant-valve.json', (n) => {
      if (n.type === 'llmops-facility') Object.assign(n, { opcuaPort: port, opcuaPkiDir: path.join(tmp, 'server') });
      if (n.type === 'llmops-opcua-endpoint') Object.assign(n, { endpointUrl: `opc.tcp://127.0.0.1:${port}/`, pkiDir: path.join(tmp, 'client'), backoffInitialMs: 100, backoffMaxMs: 500 });
    });
    await helper.load(modules, nodes);
    const setpoints = nodes.find((n: any) => n.name === 'setpoints');
    const got: any[] = [];
    helper.getNode(setpoints.id).on('input', (m: any) => got.push(m));
    const first = await waitFor('setpoints', () => got[0], 20000);
    assert.equal(first.payload.mode, 'advisory');
    const override = nodes.find((n: any) => n.type === 'inject' && /override/.test(n.name));
    helper.getNode(override.id).receive({ __user_inject_props__: override.props });
    const o = await waitFor('the override', () => got.find((m) => m.payload.reason === 'override'), 10000);
    assert.ok(o.payload.flowLpm > 0);
  });
});
