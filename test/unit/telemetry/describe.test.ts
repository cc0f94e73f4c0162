import assert from 'node:assert/strict';
import { conditionOf, describeReading, describeReadings } from '../../../core/telemetry/describe';
import type { Reading } from '../../../core/telemetry/catalogue';

const gpuTemp = (value: number): Reading => ({ layer: 'gpu', metric: 'gpu.temperature', value, unit: '°C', ts: 0, tags: { gpu: '3', rack: 'R2' } });

describe('describeReading', () => {
  it('reads like an operator speaks', () => {
    assert.equal(describeReading(gpuTemp(78.4)), 'GPU temperature, GPU 3, rack R2: 78.4 °C (target ≤ 83 °C, max 87 °C)');
  });

  it('flags a value above target', () => {
    assert.match(describeReading(gpuTemp(84)), /· above target$/);
  });

  it('flags a value outside the normal range', () => {
    assert.match(describeReading(gpuTemp(88)), /· OUT OF RANGE$/);
  });

  it('uses an edited range instead of the catalogue', () => {
    const text = describeReading(gpuTemp(78.4), { 'gpu.temperature': { target: 75 } });
    assert.match(text, /target ≤ 75 °C\) · above target/);
  });

  it('groups thousands only from 10,000 and keeps each metric its decimals, reading after reading', () => {
    const power = (value: number): Reading => ({ layer: 'server', metric: 'loop.power', value, unit: 'W', ts: 0, tags: {} });
    // The formatters are reused between readings: a grouped one must not leak into a small value.
    assert.equal(describeReading(power(12345.678)), 'loop.power: 12,345.68 W');
    assert.equal(describeReading(power(1234.5)), 'loop.power: 1234.50 W');
    assert.equal(describeReading(power(-23456)), 'loop.power: -23,456 W');
    assert.equal(describeReading(power(7)), 'loop.power: 7 W');
    assert.equal(describeReading(gpuTemp(78)), 'GPU temperature, GPU 3, rack R2: 78.0 °C (target ≤ 83 °C, max 87 °C)');
  });

  it('names unknown metrics by their id and keeps the unit', () => {
    const r: Reading = { layer: 'rack', metric: 'loop.flow', value: 40, unit: 'L/min', ts: 0, tags: {} };
    assert.equal(describeReading(r), 'loop.flow: 40 L/min');
  });

  it('cuts long batches and says how many lines were left out', () => {
    const text = describeReadings(Array.from({ length: 60 }, () => gpuTemp(70)), undefined, 10);
    const lines = text.split('\n');
    assert.equal(lines.length, 11);
    assert.equal(lines[10], '… and 50 more readings');
  });
});

describe('conditionOf', () => {
  it('is unknown without a range and normal inside it', () => {
    assert.equal(conditionOf(5, undefined), 'unknown');
    assert.equal(conditionOf(50, { min: 0, max: 100 }), 'normal');
    assert.equal(conditionOf(-1, { min: 0, max: 100 }), 'alarm');
  });
});
