import assert from 'node:assert/strict';
import { combine, subWorkload, type GridPoint } from '../../../core/energy/feasibility';
import { evaluateWindow, planSchedule, sliceWorkload, type WindowPoint } from '../../../core/energy/oracle';
import { poolOf } from '../../../core/energy/static-config';
import { constantRate, type Workload } from '../../../core/twin/workload';

const point = (part: number, servers: number, misses: number, energyKWh: number): GridPoint => ({ part, tp: 8, mhz: 1980, servers, requests: 1000, misses, energyKWh });

describe('oracle and feasibility search', () => {
  it('spends the miss budget where it saves the most energy, across parts', () => {
    // Part 0 saves 5 kWh for 100 misses; part 1 saves 1 kWh for 100 misses; budget 100.
    const pts = [point(0, 10, 0, 20), point(0, 8, 100, 15), point(1, 10, 0, 20), point(1, 9, 100, 19)];
    const c = combine(pts, 2, 100, 1)!;
    assert.deepEqual(
      c.points.map((p) => p.servers),
      [8, 10],
    );
    assert.equal(c.energyKWh, 35);
  });

  it('finds no choice when even the largest configuration misses more than the budget', () => {
    assert.equal(combine([point(0, 10, 500, 20)], 1, 100), null);
  });

  it('plans one entry per window in time order', () => {
    const pts: WindowPoint[] = [point(1, 5, 0, 2), point(0, 7, 0, 3), point(0, 6, 50, 2.5), point(1, 4, 80, 1.5)];
    const plan = planSchedule(pts, 2, 60, 300)!;
    assert.deepEqual(plan.schedule, [
      { startS: 0, servers: 6, mhz: 1980 },
      { startS: 300, servers: 5, mhz: 1980 },
    ]);
  });

  it('classifies pools input-major by the default thresholds', () => {
    assert.equal(poolOf(255, 99), 0);
    assert.equal(poolOf(256, 100), 4);
    assert.equal(poolOf(1024, 350), 8);
  });

  it('slices and sub-selects workloads re-indexed from 0, times shifted to the slice', () => {
    const w: Workload = constantRate(2, { durationS: 100, seed: 3 });
    const s = sliceWorkload(w, 50, 60);
    assert.ok(s.requests.length > 0);
    assert.ok(s.requests.every((r, i) => r.id === i && r.arrivalS >= 0 && r.arrivalS < 10));
    const sub = subWorkload(w, [0, 1, 2]);
    assert.ok(sub.requests.every((r, i) => r.id === i && r.inputTokens < 256));
  });

  it('a window with more servers misses no more requests than with fewer', () => {
    const w: Workload = constantRate(20, { durationS: 120, seed: 5 });
    const o = { clocksMHz: [1980], maxServers: 8, windowS: 60, warmS: 10, tailS: 30 };
    const few = evaluateWindow(w, 1, 1, 1980, o);
    const many = evaluateWindow(w, 1, 4, 1980, o);
    assert.ok(many.misses <= few.misses);
    assert.ok(many.energyKWh > few.energyKWh);
  });
});
