// llmops-thermal-predictor inside Node-RED: learning state, forecasts, bad input, model state in context.
import assert from 'node:assert/strict';
import { helper, nodeModule } from '../helpers/helper';
import { waitFor } from '../helpers/ports';
import { sample } from '../unit/cooling/readings';

const predictorNode = nodeModule('thermal-predictor/thermal-predictor.js');

type AnyNode = any;

/** Readings every 10 s where the GPU follows the queue 30 s later. */
function* stream(n: number, t0Ms = Date.UTC(2025, 0, 1)) {
  const queue: number[] = [];
  for (let i = 0; i < n; i++) {
    const level = 2000 + ((i * 37) % 11) * 700;
    queue.push(level);
    const past = queue[Math.max(0, queue.length - 4)];
    yield sample({ queueTokens: level, gpuMaxC: 32 + 20 + past / 500, supplyC: 30, serverDeltaTK: 4 }).map((r) => ({ ...r, ts: t0Ms + i * 10000 }));
  }
}

describe('llmops-thermal-predictor (Node-RED)', function () {
  this.timeout(20000);
  afterEach(() => helper.unload());

  function flow(extra: Record<string, unknown> = {}) {
    return [
      { id: 'tp', type: 'llmops-thermal-predictor', target: 'gpuMaxC', horizonS: 30, sampleS: 10, minSamples: 10, windowS: 3600, intervalPct: 90, wires: [['out']], ...extra },
      { id: 'out', type: 'helper' },
    ];
  }

  async function feed(n: number) {
    const tp: AnyNode = helper.getNode('tp');
    const out: AnyNode = helper.getNode('out');
    const got: any[] = [];
    out.on('input', (m: any) => got.push(m));
    for (const readings of stream(n)) tp.receive({ payload: readings });
    await waitFor(`${n} forecasts`, () => got.length === n);
    return got;
  }

  it('says it is learning and sends no prediction before it has enough samples', async () => {
    await helper.load([predictorNode], flow());
    const statuses: any[] = [];
    helper.getNode('tp').on('call:status', (c: any) => statuses.push(c.args[0]));
    const got = await feed(5);
    assert.equal(got[4].payload.ready, false);
    assert.equal(got[4].payload.predicted, null);
    await waitFor('a learning status', () => statuses.some((s) => s.fill === 'yellow' && /learning/.test(s.text)));
  });

  it('forecasts the target horizonS ahead with an interval and its live MAE', async () => {
    await helper.load([predictorNode], flow());
    const got = await feed(80);
    const last = got[79].payload;
    assert.equal(last.ready, true);
    assert.equal(last.target, 'gpuMaxC');
    assert.equal(last.horizonS, 30);
    assert.ok(last.interval.low <= last.predicted && last.predicted <= last.interval.high);
    assert.ok(Number.isFinite(last.model.mae) && Number.isFinite(last.model.persistenceMae));
    assert.ok(last.model.scored > 0);
    assert.equal(got[79].topic, 'forecast/gpuMaxC');
  });

  it('keeps its model state in the node context', async () => {
    await helper.load([predictorNode], flow());
    await feed(40);
    const state = helper.getNode('tp').context().get('llmops-thermal-predictor');
    assert.equal(state.version, 1);
    assert.ok(state.train.length > 0);
  });

  it('rejects a msg without readings', async () => {
    await helper.load([predictorNode], flow());
    const tp: AnyNode = helper.getNode('tp');
    const errors: string[] = [];
    tp.on('call:error', (c: any) => errors.push(String(c.args[0])));
    tp.receive({ payload: 'hello' });
    await waitFor('an error', () => errors.length > 0);
    assert.match(errors[0], /reading/);
  });

  it('the polynomial model can be chosen in the dialog', async () => {
    await helper.load([predictorNode], flow({ model: 'polynomial' }));
    const got = await feed(60);
    assert.equal(got[59].payload.model.kind, 'polynomial');
  });

  describe('with the second output for Dashboard 2.0 charts', () => {
    async function feedChart(n: number) {
      await helper.load([predictorNode], [
        { id: 'tp', type: 'llmops-thermal-predictor', target: 'gpuMaxC', horizonS: 30, sampleS: 10, minSamples: 10, windowS: 3600, intervalPct: 90, chart: true, outputs: 2, wires: [['out'], ['points']] },
        { id: 'out', type: 'helper' },
        { id: 'points', type: 'helper' },
      ]);
      const tp: AnyNode = helper.getNode('tp');
      const forecasts: any[] = [];
      const points: any[] = [];
      helper.getNode('out').on('input', (m: any) => forecasts.push(m));
      helper.getNode('points').on('input', (m: any) => points.push(m));
      for (const readings of stream(n)) tp.receive({ payload: readings });
      await waitFor(`${n} forecasts`, () => forecasts.length === n);
      return { forecasts, points };
    }

    it('sends only a numeric current point per input while learning', async () => {
      const { points } = await feedChart(5);
      await waitFor('5 points', () => points.length === 5);
      assert.deepEqual(points.map((m) => m.topic), ['current', 'current', 'current', 'current', 'current']);
      assert.ok(points.every((m) => typeof m.payload === 'number' && Number.isFinite(m.payload)));
    });

    it('sends current and predicted as numbers once ready, matching the forecast on output 1', async () => {
      const { forecasts, points } = await feedChart(80);
      const last = forecasts[79].payload;
      assert.equal(last.ready, true);
      await waitFor('the last points', () => points.filter((m) => m.topic === 'predicted').length > 0 && points.length >= 80);
      const predicted = points.filter((m) => m.topic === 'predicted');
      assert.equal(predicted[predicted.length - 1].payload, last.predicted);
      const current = points.filter((m) => m.topic === 'current');
      assert.equal(current[current.length - 1].payload, last.current);
      assert.deepEqual(Object.keys(predicted[0]).filter((k) => k !== '_msgid').sort(), ['payload', 'topic']);
    });
  });
});
