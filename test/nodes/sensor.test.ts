import assert from 'node:assert/strict';
import { helper, nodeModule } from '../helpers/helper';

const sensor = nodeModule('sensor/sensor.js');
const influx = nodeModule('influxdb/influxdb.js');
const facility = nodeModule('facility/facility.js');

type AnyNode = any;

function flow(extra: Record<string, unknown> = {}) {
  return [
    { id: 's1', type: 'llmops-sensor', name: 'sensor', wires: [['out']], ...extra },
    { id: 'out', type: 'helper' },
  ];
}

/** Sends one msg and resolves with what came out and what the node reported through done(err). */
function exchange(payload: unknown): Promise<{ out?: any; error?: string }> {
  const s1: AnyNode = helper.getNode('s1');
  const out: AnyNode = helper.getNode('out');
  return new Promise((resolve) => {
    let result: { out?: any; error?: string } = {};
    let settled = false;
    const finish = () => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    out.once('input', (msg: any) => {
      result = { ...result, out: msg };
    });
    s1.once('call:error', (call: any) => {
      result = { ...result, error: String(call.args[0]?.message ?? call.args[0]) };
    });
    s1.receive({ payload });
    // done() is synchronous in this node: one macrotask later everything has happened.
    setTimeout(finish, 20);
  });
}

describe('llmops-sensor node', () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('gives a Complete node the normalised readings and their text also when its output is not wired', async () => {
    await helper.load(sensor, [{ id: 's1', type: 'llmops-sensor', name: 'sensor', wires: [[]] }]);
    const hooks = require(require.resolve('@node-red/util', { paths: [require.resolve('node-red')] })).hooks;
    const completed: any[] = [];
    hooks.add('onComplete.sensorUnwired', (ev: any) => {
      if (ev.node.id === 's1') completed.push(ev.msg);
    });
    try {
      helper.getNode('s1').receive({ payload: { metric: 'gpu.temperature', value: 78.4, tags: { gpu: '3' } } });
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      hooks.remove('onComplete.sensorUnwired');
    }
    assert.equal(completed.length, 1);
    assert.ok(Array.isArray(completed[0].payload));
    assert.equal(completed[0].payload[0].unit, '°C');
    assert.match(completed[0].text, /GPU temperature, GPU 3: 78\.4 °C/);
  });

  it('loads with its name', async () => {
    await helper.load(sensor, flow());
    assert.equal(helper.getNode('s1').name, 'sensor');
  });

  it('sends normalised readings and their text', async () => {
    await helper.load(sensor, flow());
    const { out, error } = await exchange([
      { metric: 'gpu.temperature', value: 78.4, tags: { gpu: 3, rack: 'R2' } },
      { metric: 'cdu.flow', value: 320, tags: { cdu: 'CDU1' } },
    ]);
    assert.equal(error, undefined);
    assert.equal(out.payload.length, 2);
    assert.deepEqual(
      out.payload.map((r: any) => [r.layer, r.metric, r.unit]),
      [
        ['gpu', 'gpu.temperature', '°C'],
        ['rack', 'cdu.flow', 'L/min'],
      ],
    );
    assert.equal(out.text.split('\n')[0], 'GPU temperature, GPU 3, rack R2: 78.4 °C (target ≤ 83 °C, max 87 °C)');
    assert.match(out.text.split('\n')[1], /^CDU flow, CDU1: 320 L\/min/);
  });

  it('uses the configured metric, unit, layer and tags for bare numbers', async () => {
    await helper.load(sensor, flow({ metric: 'loop.dp', unit: 'kPa', layer: 'rack', tags: '{"rack":"R7"}' }));
    const { out } = await exchange(112.5);
    assert.deepEqual(out.payload[0].tags, { rack: 'R7' });
    assert.equal(out.payload[0].unit, 'kPa');
    assert.equal(out.payload[0].layer, 'rack');
  });

  it('applies edited normal ranges in the text', async () => {
    await helper.load(sensor, flow({ ranges: [{ metric: 'gpu.temperature', target: '75', min: '', max: '' }] }));
    const { out } = await exchange({ metric: 'gpu.temperature', value: 78 });
    assert.match(out.text, /target ≤ 75 °C\) · above target/);
  });

  it('keeps the good readings of a batch and reports the bad ones as an error', async () => {
    await helper.load(sensor, flow());
    const { out, error } = await exchange([{ metric: 'gpu.power', value: 400 }, { metric: 'gpu.power', value: 'NaN' }, { metric: 'gpu.power', value: 410 }]);
    assert.deepEqual(out.payload.map((r: any) => r.value), [400, 410]);
    assert.match(error!, /1 of 3 readings rejected: #1: value "NaN" is not a number/);
  });

  it('passes a batch of 20,000 readings through in one message', async () => {
    await helper.load(sensor, flow());
    const batch = Array.from({ length: 20000 }, (_, i) => ({ metric: 'gpu.power', value: 300 + (i % 400), tags: { gpu: String(i % 8) } }));
    const { out } = await exchange(batch);
    assert.equal(out.payload.length, 20000);
    assert.match(out.text, /… and 19950 more readings$/);
  });

  describe('bad input ends in an error and no output, never a crash', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['a string', 'hello', /not a reading/],
      ['NaN', NaN, /needs a metric/],
      ['null', null, /msg.payload is empty/],
      ['nested garbage', { a: { b: [{ c: null }] } }, /has no metric|no value/],
      ['a 10 MB string', 'x'.repeat(10 * 1024 * 1024), /not a reading/],
      ['an array of garbage', [[], {}, 'x', null, true], /5 of 5 readings rejected/],
      ['binary data', Buffer.from([1, 2, 3]), /binary data/],
    ];
    for (const [label, payload, reason] of cases) {
      it(label, async () => {
        await helper.load(sensor, flow());
        const { out, error } = await exchange(payload);
        assert.equal(out, undefined);
        assert.match(error ?? '', reason);
      });
    }
  });

  it('writes to the InfluxDB config node it is given', async () => {
    await helper.load([sensor, influx], [
      { id: 'db', type: 'llmops-influxdb', host: '127.0.0.1', port: 1, database: 'x', batchSize: 10, flushInterval: 60000, maxBuffered: 100, spill: false },
      ...flow({ influx: 'db', measurementPrefix: 'llm_' }),
    ]);
    const db: AnyNode = helper.getNode('db');
    const written: any[] = [];
    db.writePoints = (pts: any[]) => {
      written.push(...pts);
      return pts.length;
    };
    await exchange([{ metric: 'gpu.power', value: 400, tags: { gpu: '1' } }]);
    assert.equal(written.length, 1);
    assert.equal(written[0].measurement, 'llm_gpu');
    assert.deepEqual(written[0].tags, { gpu: '1', metric: 'gpu.power', unit: 'W' });
    assert.deepEqual(written[0].fields, { value: 400 });
  });

  describe('output options', () => {
    /** Sends one msg and collects every msg that comes out within a macrotask. */
    function collect(payload: unknown): Promise<any[]> {
      const got: any[] = [];
      helper.getNode('out').on('input', (m: any) => got.push(m));
      helper.getNode('s1').receive({ payload });
      return new Promise((r) => setTimeout(() => r(got), 20));
    }
    const readings = [
      { metric: 'rack.power', value: 41.5, tags: { rack: 'Rack01' } },
      { metric: 'rack.power', value: 39, tags: { rack: 'Rack02' } },
      { metric: 'throughput.tokens', value: 1200, tags: { instance: 'S01.I0', server: 'S01' } },
      { metric: 'throughput.tokens', value: 5100 },
    ];

    it('sends one msg per reading with the metric and tag values as topic and the value as payload', async () => {
      await helper.load(sensor, flow({ output: 'reading' }));
      const got = await collect(readings);
      assert.deepEqual(
        got.map((m) => [m.topic, m.payload]),
        [
          ['rack.power · Rack01', 41.5],
          ['rack.power · Rack02', 39],
          ['throughput.tokens · S01.I0 · S01', 1200],
          ['throughput.tokens', 5100],
        ],
      );
      assert.deepEqual([got[0].reading.metric, got[0].reading.unit, got[0].reading.tags], ['rack.power', 'kW', { rack: 'Rack01' }]);
    });

    it('rounds the payload of each reading to the decimals asked for, not the reading itself', async () => {
      await helper.load(sensor, flow({ output: 'reading', decimals: '1' }));
      const [m] = await collect([{ metric: 'slo.attainment', value: 99.4567, unit: '%', layer: 'workload' }]);
      assert.equal(m.payload, 99.5);
      assert.equal(m.reading.value, 99.4567);
    });

    it('sends only the metrics of its filter, name{} meaning the readings without tags', async () => {
      await helper.load(sensor, flow({ output: 'reading', metrics: 'rack.power{rack=Rack02}, throughput.tokens{}' }));
      const got = await collect(readings);
      assert.deepEqual(got.map((m) => m.topic), ['rack.power · Rack02', 'throughput.tokens']);
    });

    it('filters the readings of the one-msg output and its text too', async () => {
      await helper.load(sensor, flow({ metrics: 'rack.power' }));
      const [out] = await collect(readings);
      assert.deepEqual(out.payload.map((r: any) => r.value), [41.5, 39]);
      assert.equal(out.text.split('\n').length, 2);
    });

    it('stores every reading in InfluxDB whatever the filter lets out', async () => {
      await helper.load([sensor, influx], [
        { id: 'db', type: 'llmops-influxdb', host: '127.0.0.1', port: 1, database: 'x', batchSize: 10, flushInterval: 60000, maxBuffered: 100, spill: false },
        ...flow({ influx: 'db', output: 'reading', metrics: 'throughput.tokens{}' }),
      ]);
      const written: any[] = [];
      helper.getNode('db').writePoints = (pts: any[]) => (written.push(...pts), pts.length);
      const got = await collect(readings);
      assert.equal(got.length, 1);
      assert.equal(written.length, 4);
    });

    it('sends the twin readings one msg each on a poll, as the dashboard charts take them', async () => {
      await helper.load([sensor, facility], [
        { id: 'fac', type: 'llmops-facility', workload: 'constant', ratePerS: 2, seed: 3, servers: 2, speed: 1, timestamps: 'simulated' },
        ...flow({ source: 'twin', facility: 'fac', interval: 0, output: 'reading', metrics: 'servers.active' }),
      ]);
      const got: any[] = [];
      helper.getNode('out').on('input', (m: any) => got.push(m));
      helper.getNode('s1').receive({});
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got.map((m) => m.topic).sort(), ['servers.active · powered', 'servers.active · serving']);
      assert.ok(got.every((m) => typeof m.payload === 'number'));
    });

    it('reports a metric filter it cannot read and sends every metric', async () => {
      await helper.load(sensor, flow({ metrics: 'rack.power{rack}' }));
      const s1: AnyNode = helper.getNode('s1');
      const [out] = await collect(readings);
      assert.equal(out.payload.length, 4);
      assert.match(String(s1.error.firstCall?.args[0] ?? ''), /rack\.power\{rack\}/);
    });
  });
});
