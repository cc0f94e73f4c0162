// Acceptance 5 of issue 3: the example flow "facility twin → Sensor → InfluxDB" in a real Node-RED
// process with a real influxd; a query finds readings of all five layers.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { LAYERS } from '../../core/telemetry/catalogue';
import { Influxd } from '../helpers/influxd';
import { NodeRedProcess } from '../helpers/nodered';
import { waitFor } from '../helpers/ports';
import { requireTool } from '../helpers/require-tool';

const DB = 'llmops_twin_test';
const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'facility-telemetry.json');

/** The shipped example, pointed at the test's influxd and made quick. */
function exampleFlow(influxPort: number): any[] {
  const nodes = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  for (const n of nodes) {
    if (n.type === 'llmops-influxdb') Object.assign(n, { port: influxPort, database: DB, flushInterval: 200, spill: false });
    if (n.type === 'llmops-sensor') n.interval = 1;
    if (n.type === 'llmops-facility') n.speed = 10;
  }
  return nodes;
}

describe('facility twin → Sensor → InfluxDB (real Node-RED, real influxd)', function () {
  this.timeout(120000);
  let influxd: Influxd;
  let nr: NodeRedProcess | undefined;

  before(function () {
    const bin = requireTool(this, 'influxd', 'apt-get install -y influxdb');
    influxd = new Influxd(bin);
  });
  after(async () => {
    await nr?.dispose();
    await influxd?.dispose();
  });

  it('stores readings of all five layers, found by a query per layer', async () => {
    await influxd.start();
    nr = new NodeRedProcess();
    await nr.start();
    await nr.deploy(exampleFlow(influxd.port));
    const counts = await waitFor(
      'points in every layer',
      async () => {
        const c: Record<string, number> = {};
        for (const layer of LAYERS) c[layer] = await influxd.count(DB, layer);
        return LAYERS.every((l) => c[l] > 0) ? c : undefined;
      },
      60000,
      500,
    ).catch(async (err) => {
      throw new Error(`${err.message}\n--- Node-RED log ---\n${nr?.log}`);
    });
    for (const layer of LAYERS) assert.ok(counts[layer] > 0, layer);
    const gpu = await influxd.query(`SELECT max("value") FROM "gpu" WHERE "metric"='gpu.temperature'`, DB);
    const maxGpuC = gpu.results[0].series[0].values[0][1];
    assert.ok(maxGpuC > 20 && maxGpuC < 95, `max GPU ${maxGpuC} °C`);
  });
});
