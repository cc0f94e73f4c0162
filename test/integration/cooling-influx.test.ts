// Acceptance 1 of issue 8 (warm start): a Thermal Predictor with an InfluxDB config node reads the
// last hours of telemetry from a real influxd, learns from them and forecasts from its first msg;
// the same history replayed without InfluxDB leaves it learning.
import assert from 'node:assert/strict';
import { InfluxDB } from 'influx';
import { historyQuery, samplesFromRows } from '../../core/cooling/history';
import { ThermalPredictor } from '../../core/cooling/predictor';
import { readingToPoint } from '../../core/influx/points';
import { LAYERS } from '../../core/telemetry/catalogue';
import { helper, nodeModule } from '../helpers/helper';
import { Influxd } from '../helpers/influxd';
import { waitFor } from '../helpers/ports';
import { requireTool } from '../helpers/require-tool';
import { sample } from '../unit/cooling/readings';

const predictorNode = nodeModule('thermal-predictor/thermal-predictor.js');
const influxNode = nodeModule('influxdb/influxdb.js');
const DB = 'llmops_cooling_test';

/** An hour of a plant, ending now, every 10 s: the GPU follows the queue 300 s later. */
function history(endMs: number) {
  const out: ReturnType<typeof sample>[] = [];
  const queue: number[] = [];
  for (let i = 0; i < 360; i++) {
    const level = 2000 + ((i * 7) % 13) * 600;
    queue.push(level);
    const past = queue[Math.max(0, queue.length - 31)];
    const ts = endMs - (360 - i) * 10000;
    out.push(sample({ queueTokens: level, gpuMaxC: 32 + 18 + past / 400, supplyC: 30, serverDeltaTK: 4 }).map((r) => ({ ...r, ts })));
  }
  return out;
}

describe('Thermal Predictor warm start from InfluxDB (real influxd)', function () {
  this.timeout(60000);
  let influxd: Influxd;
  let client: InfluxDB;
  const now = Date.now();

  before(async function () {
    const bin = requireTool(this, 'influxd', 'apt-get install -y influxdb');
    influxd = new Influxd(bin);
    await influxd.start();
    client = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: DB });
    await client.createDatabase(DB);
    const points = history(now).flat().map((r) => readingToPoint(r));
    await client.writePoints(points, { precision: 'ms' });
  });
  after(async () => {
    await helper.unload();
    await influxd?.dispose();
  });

  it('turns the stored rows of every layer back into timed samples', async () => {
    const rows: Record<string, any[]> = {};
    for (const layer of LAYERS) rows[layer] = await client.query(historyQuery(layer, 2));
    const samples = samplesFromRows(rows, 10);
    assert.equal(samples.length, 360);
    const p = new ThermalPredictor({ minSamples: 20, ridge: 0.01 });
    p.warmStart(samples);
    assert.ok(p.samples >= 300, `training pairs ${p.samples}`);
  });

  it('the node forecasts from its first msg after a warm start', async () => {
    await helper.load([predictorNode, influxNode], [
      { id: 'db', type: 'llmops-influxdb', host: '127.0.0.1', port: influxd.port, protocol: 'http', database: DB, precision: 'ms', batchSize: 100, flushInterval: 200, spill: false },
      { id: 'tp', type: 'llmops-thermal-predictor', target: 'gpuMaxC', horizonS: 300, sampleS: 10, minSamples: 20, influxdb: 'db', warmHours: 2, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const got: any[] = [];
    helper.getNode('out').on('input', (m: any) => got.push(m));
    const next = sample({ queueTokens: 5000, gpuMaxC: 65, supplyC: 30, serverDeltaTK: 4 }).map((r) => ({ ...r, ts: now + 10000 }));
    helper.getNode('tp').receive({ payload: next });
    const first = await waitFor('the first forecast', () => got[0]);
    assert.equal(first.payload.ready, true, JSON.stringify(first.payload));
    assert.ok(first.payload.model.samples >= 300);
    assert.equal(first.payload.model.scored, 0, 'history is not counted in the live MAE');
  });

  it('without InfluxDB the same node is still learning', async () => {
    await helper.unload();
    await helper.load([predictorNode], [
      { id: 'tp', type: 'llmops-thermal-predictor', target: 'gpuMaxC', horizonS: 300, sampleS: 10, minSamples: 20, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const got: any[] = [];
    helper.getNode('out').on('input', (m: any) => got.push(m));
    helper.getNode('tp').receive({ payload: sample({ queueTokens: 5000, gpuMaxC: 65, supplyC: 30 }).map((r) => ({ ...r, ts: now + 10000 })) });
    const first = await waitFor('the first msg', () => got[0]);
    assert.equal(first.payload.ready, false);
    assert.equal(first.payload.state, 'learning');
  });
});
