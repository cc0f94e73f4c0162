import assert from 'node:assert/strict';
import { FeatureBuilder, reduceReadings } from '../../../core/cooling/features';
import { reading, sample } from './readings';

describe('cooling features', () => {
  it('prefers the cluster-wide (untagged) reading over the sum of per-device ones', () => {
    const s = reduceReadings([reading('queue.tokens', 900), reading('queue.tokens', 100, { instance: 'a' })]);
    assert.equal(s.queueTokens, 900);
  });

  it('sums per-device readings when no cluster-wide one is sent', () => {
    const s = reduceReadings([reading('queue.tokens', 100, { instance: 'a' }), reading('queue.tokens', 250, { instance: 'b' })]);
    assert.equal(s.queueTokens, 350);
  });

  it('takes the hottest GPU and the mean supply', () => {
    const s = reduceReadings(sample({ queueTokens: 0, gpuMaxC: 71, supplyC: 30 }));
    assert.equal(s.gpuMaxC, 71);
    assert.equal(s.supplyC, 30);
  });

  it('counts only arrivals for the arrival rate', () => {
    const s = reduceReadings([reading('throughput.requests', 50, { direction: 'arrived' }), reading('throughput.requests', 7, { instance: 'x', direction: 'finished' })]);
    assert.equal(s.arrivalsPerS, 50);
  });

  it('gives each named pool its queued tokens', () => {
    const s = reduceReadings([reading('queue.tokens', 10, { pool: 'LS' }), reading('queue.tokens', 5, { pool: 'LS' }), reading('queue.tokens', 7, { pool: 'SS' })], ['LS', 'SS', 'LL']);
    assert.deepEqual([s['queueTokens.LS'], s['queueTokens.SS'], s['queueTokens.LL']], [15, 7, 0]);
  });

  it('ignores readings that are not numbers', () => {
    const s = reduceReadings([{ ...reading('gpu.temperature', 1), value: Number.NaN }, null as never, reading('gpu.temperature', 60, { gpu: 'g' })]);
    assert.equal(s.gpuMaxC, 60);
  });

  it('carries a signal forward when a sample lacks it', () => {
    const f = new FeatureBuilder();
    f.add(sample({ queueTokens: 5, gpuMaxC: 70, supplyC: 30 }), 0);
    f.add([reading('queue.tokens', 9)], 10);
    assert.equal(f.signal('gpuMaxC'), 70);
    assert.equal(f.signal('queueTokens'), 9);
  });

  it('has one value per name', () => {
    const f = new FeatureBuilder({ pools: ['LS'] });
    f.add(sample({ queueTokens: 5, gpuMaxC: 70, supplyC: 30 }), 0);
    assert.equal(f.vector().length, f.names().length);
  });

  it('turns the change over a lag into a rate per minute', () => {
    const f = new FeatureBuilder({ lagsS: [60] });
    for (let t = 0; t <= 60; t += 10) f.add(sample({ queueTokens: t * 100, gpuMaxC: 70, supplyC: 30 }), t);
    const v = f.vector();
    assert.equal(v[f.names().indexOf('queueTokens.rate60s')], 6000);
  });

  it('expresses liquid temperatures above the supply when relative, and drops the supply level', () => {
    const f = new FeatureBuilder({ relativeTemperatures: true });
    f.add(sample({ queueTokens: 0, gpuMaxC: 75, supplyC: 40 }), 0);
    const names = f.names();
    assert.equal(f.vector()[names.indexOf('gpuMaxC-supplyC')], 35);
    assert.ok(!names.includes('supplyC'));
  });

  it('divides the queued tokens by the planned servers (heat coming per server)', () => {
    const f = new FeatureBuilder();
    f.add(sample({ queueTokens: 8000, plannedServers: 4, gpuMaxC: 70, supplyC: 30 }), 0);
    assert.equal(f.vector()[f.names().indexOf('queuePerPlannedServer')], 2000);
  });
});
