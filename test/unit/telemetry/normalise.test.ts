import assert from 'node:assert/strict';
import * as vm from 'vm';
import { describeRejected, normaliseReadings } from '../../../core/telemetry/normalise';

const now = Date.UTC(2026, 10, 26, 12, 0, 0);

describe('normaliseReadings', () => {
  it('rejects a reading whose metric is an object without a prototype, saying so without a TypeError', () => {
    const { readings, rejected } = normaliseReadings([{ metric: Object.create(null) }], { now: 0 });
    assert.equal(readings.length, 0);
    assert.match(rejected[0].reason, /reading with metric an object has no value/);
  });

  it('fills layer, unit and timestamp of a known metric', () => {
    const { readings, rejected } = normaliseReadings({ metric: 'gpu.temperature', value: 78.4, tags: { gpu: 3, rack: 'R2' } }, { now });
    assert.deepEqual(rejected, []);
    assert.deepEqual(readings, [{ layer: 'gpu', metric: 'gpu.temperature', value: 78.4, unit: '°C', ts: now, tags: { gpu: '3', rack: 'R2' } }]);
  });

  it('accepts readings built in another realm, as a Function node builds them', () => {
    const foreign = vm.runInNewContext('[{ metric: "gpu.power", value: 400, tags: { gpu: "1" } }]');
    const { readings, rejected } = normaliseReadings(foreign, { now });
    assert.deepEqual(rejected, []);
    assert.equal(readings[0].value, 400);
    assert.deepEqual(readings[0].tags, { gpu: '1' });
  });

  it('refuses class instances and maps, which are not readings', () => {
    const { rejected } = normaliseReadings([new Map([['value', 1]]), new Date()], { now });
    assert.equal(rejected.length, 2);
  });

  it('turns a bare number into a reading of the configured metric', () => {
    const { readings } = normaliseReadings(312, { metric: 'cdu.flow', now });
    assert.equal(readings[0].metric, 'cdu.flow');
    assert.equal(readings[0].unit, 'L/min');
    assert.equal(readings[0].layer, 'rack');
  });

  it('refuses a bare number when no metric is configured', () => {
    const { readings, rejected } = normaliseReadings(5, { now });
    assert.equal(readings.length, 0);
    assert.match(rejected[0].reason, /needs a metric/);
  });

  it('accepts unit aliases and writes the canonical unit', () => {
    const { readings } = normaliseReadings({ metric: 'loop.flow', value: 40, unit: 'LPM', layer: 'rack' }, { now });
    assert.equal(readings[0].unit, 'L/min');
  });

  it('rejects an unknown unit and keeps the good readings of the batch', () => {
    const { readings, rejected } = normaliseReadings(
      [
        { metric: 'gpu.power', value: 400 },
        { metric: 'gpu.power', value: 410, unit: 'furlongs' },
        { metric: 'gpu.power', value: 420 },
      ],
      { now },
    );
    assert.deepEqual(readings.map((r) => r.value), [400, 420]);
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0].index, 1);
    assert.match(rejected[0].reason, /unit "furlongs" is unknown/);
  });

  for (const [label, value] of [
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a string', 'hot'],
    ['null', null],
    ['an object', { nested: { garbage: [1, 2] } }],
  ] as Array<[string, unknown]>) {
    it(`rejects a value that is ${label}`, () => {
      const { readings, rejected } = normaliseReadings({ metric: 'gpu.power', value }, { now });
      assert.equal(readings.length, 0);
      assert.match(rejected[0].reason, /not a (finite )?number/);
    });
  }

  it('rejects a 10 MB string without echoing it', () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const { rejected } = normaliseReadings(huge, { now });
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0].reason.length < 300, 'the reason stays short');
  });

  it('rejects prototype-pollution keys and leaves Object.prototype alone', () => {
    const input = JSON.parse('[{"metric":"gpu.power","value":1,"tags":{"__proto__":{"polluted":1}}},{"__proto__":{"x":1},"metric":"gpu.power","value":2}]');
    const { readings, rejected } = normaliseReadings(input, { now });
    assert.equal(readings.length, 0);
    assert.equal(rejected.length, 2);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('rejects a timestamp in seconds, which would land in 1970', () => {
    const { rejected } = normaliseReadings({ metric: 'gpu.power', value: 1, ts: 1764158400 }, { now });
    assert.match(rejected[0].reason, /seconds instead of milliseconds/);
  });

  it('parses ISO timestamps', () => {
    const { readings } = normaliseReadings({ metric: 'gpu.power', value: 1, ts: '2026-11-26T12:00:00Z' }, { now: 0 });
    assert.equal(readings[0].ts, now);
  });

  it('needs a unit and a layer for a metric outside the catalogue', () => {
    const { rejected } = normaliseReadings({ metric: 'my.custom', value: 1 }, { now });
    assert.match(rejected[0].reason, /needs a unit/);
    const second = normaliseReadings({ metric: 'my.custom', value: 1, unit: 'W' }, { now });
    assert.match(second.rejected[0].reason, /needs a layer/);
  });

  it('merges default tags under the reading’s own tags', () => {
    const { readings } = normaliseReadings({ metric: 'gpu.power', value: 1, tags: { gpu: '1' } }, { now, tags: { rack: 'R1', gpu: '0' } });
    assert.deepEqual(readings[0].tags, { rack: 'R1', gpu: '1' });
  });

  it('summarises rejections for a person, naming the first few', () => {
    const text = describeRejected(
      [1, 2, 3, 4, 5].map((i) => ({ index: i, reason: 'value "x" is not a number' })),
      10,
    );
    assert.match(text, /^5 of 10 readings rejected: #1: value "x" is not a number/);
    assert.match(text, /and 2 more$/);
  });
});
