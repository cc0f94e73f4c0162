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

  it('a trailing mean weighs samples by time and spans a gap as the straight line across it', () => {
    const f = new FeatureBuilder({ trailingS: [60] });
    // Queue 0 at t = 0, 1000 at t = 10, then no sample until t = 100 (queue 10000): the line q = 100 t.
    f.add(sample({ queueTokens: 0, plannedServers: 1, gpuMaxC: 70, supplyC: 30 }), 0);
    f.add(sample({ queueTokens: 1000, plannedServers: 1, gpuMaxC: 70, supplyC: 30 }), 10);
    f.add(sample({ queueTokens: 10000, plannedServers: 1, gpuMaxC: 70, supplyC: 30 }), 100);
    // Mean of q = 100 t over 40–100 s: 7000 (a sample-and-hold mean would give 1000 or 10000).
    assert.ok(Math.abs(f.trailingMean('queuePerPlannedServer', 60) - 7000) < 1e-9);
    assert.equal(f.vector()[f.names().indexOf('queuePerPlannedServer.mean60s')], f.trailingMean('queuePerPlannedServer', 60));
    // A window longer than the samples kept averages what there is: 0–10 s at 500, 10–100 s at 5500.
    assert.ok(Math.abs(f.trailingMean('queuePerPlannedServer', 1000) - (500 * 10 + 5500 * 90) / 100) < 1e-9);
    // Uneven spacing: the mean is over time, not over samples.
    const g = new FeatureBuilder({ trailingS: [30] });
    for (const [t, q] of [[0, 0], [1, 0], [2, 0], [3, 0], [30, 0], [31, 3100]] as const) g.add(sample({ queueTokens: q, plannedServers: 1, gpuMaxC: 70, supplyC: 30 }), t);
    assert.ok(Math.abs(g.trailingMean('queuePerPlannedServer', 30) - (3100 / 2) / 30) < 1e-9);
  });

  it('a trailing mean of a liquid temperature is taken above the supply when the features are relative', () => {
    const f = new FeatureBuilder({ trailingS: [20], relativeTemperatures: true });
    f.add(sample({ queueTokens: 0, gpuMaxC: 70, supplyC: 30 }), 0);
    f.add(sample({ queueTokens: 0, gpuMaxC: 80, supplyC: 40 }), 10);
    f.add(sample({ queueTokens: 0, gpuMaxC: 90, supplyC: 40 }), 20);
    // Rises above the supply 40, 40, 50 K: trapezoids (40 · 10 + 45 · 10) / 20.
    assert.equal(f.vector()[f.names().indexOf('gpuMaxC-supplyC.mean20s')], 42.5);
    assert.equal(f.vector().length, f.names().length);
  });

  it('restores samples saved before the derived signals were kept with them', () => {
    const f = new FeatureBuilder({ trailingS: [60] });
    f.restore({ history: [{ t: 0, s: { tokensPerS: 1000, plannedServers: 4, queueTokens: 400 } }, { t: 10, s: { tokensPerS: 1000, plannedServers: 4, queueTokens: 400 } }] });
    assert.equal(f.trailingMean('queuePerPlannedServer', 60), 100);
  });
});
