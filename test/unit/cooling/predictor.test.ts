import assert from 'node:assert/strict';
import { ThermalPredictor, type PredictorOptions } from '../../../core/cooling/predictor';
import { seededRng } from '../../../core/twin/rng';
import { sample } from './readings';

/**
 * A plant whose hottest GPU follows the queued tokens 300 s later (the heat that is coming),
 * with noise: queue levels change every 200 s at random.
 */
function* plant(seconds: number, seed = 3, supplyAt: (t: number) => number = () => 30) {
  const rng = seededRng(seed);
  const queue: number[] = [];
  let level = 5000;
  for (let t = 0; t < seconds; t += 10) {
    if (t % 200 === 0) level = 1000 + rng() * 9000;
    queue.push(level);
    const past = queue[Math.max(0, queue.length - 31)];
    const supply = supplyAt(t);
    const gpu = supply + 2 + 20 + past / 500 + (rng() - 0.5);
    yield { t, readings: sample({ queueTokens: level, gpuMaxC: gpu, supplyC: supply, serverDeltaTK: 4 }) };
  }
}

function run(p: ThermalPredictor, seconds: number, seed = 3) {
  let last = null as ReturnType<ThermalPredictor['observe']> | null;
  for (const s of plant(seconds, seed)) last = p.observe(s.readings, s.t);
  return last!;
}

const FAST: Partial<PredictorOptions> = { minSamples: 30, refitS: 30, ridge: 0.01 };

describe('Thermal Predictor', () => {
  it('says it is learning, with no prediction, before it has enough samples', () => {
    const p = new ThermalPredictor(FAST);
    const f = run(p, 200);
    assert.equal(f.ready, false);
    assert.equal(f.state, 'learning');
    assert.equal(f.predicted, null);
    assert.equal(f.interval, null);
  });

  it('forecasts once enough horizon-later answers have arrived', () => {
    const p = new ThermalPredictor(FAST);
    const f = run(p, 1200);
    assert.equal(f.ready, true);
    assert.ok(Number.isFinite(f.predicted));
    assert.equal(f.horizonS, 300);
    assert.equal(f.target, 'gpuMaxC');
  });

  it('learns the heat that is coming from the queued tokens and beats persistence', () => {
    const p = new ThermalPredictor(FAST);
    run(p, 6000);
    assert.ok(p.mae !== null && p.persistenceMae !== null);
    assert.ok(p.mae < 0.5 * p.persistenceMae, `MAE ${p.mae} vs persistence ${p.persistenceMae}`);
  });

  it('puts most later outcomes inside its interval', () => {
    const p = new ThermalPredictor({ ...FAST, intervalLevel: 0.9 });
    const issued: Array<{ t: number; low: number; high: number }> = [];
    let inside = 0;
    let scored = 0;
    for (const s of plant(6000)) {
      const f = p.observe(s.readings, s.t);
      while (issued.length > 0 && issued[0].t + 300 <= s.t) {
        const i = issued.shift()!;
        scored++;
        if (f.current >= i.low && f.current <= i.high) inside++;
      }
      if (f.interval && s.t > 2000) issued.push({ t: s.t, low: f.interval.low, high: f.interval.high });
    }
    assert.ok(scored > 100);
    assert.ok(inside / scored >= 0.8, `coverage ${inside / scored}`);
  });

  it('adds the supply the loop is heading for (its setpoint) to the learnt rise', () => {
    const p = new ThermalPredictor(FAST);
    let f = run(p, 2000);
    const at30 = f.predicted!;
    f = p.observe(sample({ queueTokens: 5000, gpuMaxC: 60, supplyC: 30, serverDeltaTK: 4 }), 2010, 35);
    const at35 = p.observe(sample({ queueTokens: 5000, gpuMaxC: 60, supplyC: 30, serverDeltaTK: 4 }), 2020, 30).predicted!;
    assert.equal(f.assumedSupplyC, 35);
    assert.ok(Math.abs(f.predicted! - at35 - 5) < 1e-6, `${f.predicted} vs ${at35}`);
    assert.ok(Number.isFinite(at30));
  });

  it('is not thrown off when the plant runs at another supply temperature than it learnt at', () => {
    const p = new ThermalPredictor(FAST);
    for (const s of plant(3000, 3, () => 30)) p.observe(s.readings, s.t);
    const errs: number[] = [];
    const issued: Array<{ t: number; v: number }> = [];
    for (const s of plant(3000, 4, () => 42)) {
      const f = p.observe(s.readings, s.t + 3000);
      while (issued.length > 0 && issued[0].t + 300 <= s.t + 3000) errs.push(Math.abs(issued.shift()!.v - f.current));
      if (f.predicted !== null && s.t < 600) issued.push({ t: s.t + 3000, v: f.predicted });
    }
    const mae = errs.reduce((a, b) => a + b, 0) / errs.length;
    assert.ok(mae < 3, `MAE right after a 12 K supply change: ${mae}`);
  });

  it('refits on a sliding window: a changed plant is learnt again', () => {
    const p = new ThermalPredictor({ ...FAST, windowS: 1500 });
    run(p, 3000);
    // The same queue now makes twice the heat.
    const rng = seededRng(9);
    let level = 5000;
    const queue: number[] = [];
    for (let t = 3010; t < 9000; t += 10) {
      if (t % 200 === 0) level = 1000 + rng() * 9000;
      queue.push(level);
      const gpu = 52 + queue[Math.max(0, queue.length - 31)] / 250;
      p.observe(sample({ queueTokens: level, gpuMaxC: gpu, supplyC: 30, serverDeltaTK: 4 }), t);
    }
    assert.ok(p.mae !== null && p.mae < 2, `MAE after relearning ${p.mae}`);
  });

  it('scores its forecasts against what happened horizonS later', () => {
    const p = new ThermalPredictor(FAST);
    run(p, 1500);
    assert.ok(p.fitted);
    const f = run(p, 10);
    assert.ok(f.model.scored > 0);
    assert.equal(f.model.samples, p.samples);
  });

  it('restores from its JSON state and forecasts the same', () => {
    const p = new ThermalPredictor(FAST);
    run(p, 2500);
    const copy = ThermalPredictor.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
    const s = sample({ queueTokens: 7000, gpuMaxC: 70, supplyC: 30, serverDeltaTK: 4 });
    const a = p.observe(s, 2500);
    const b = copy.observe(s, 2500);
    assert.equal(b.ready, true);
    assert.equal(b.predicted, a.predicted);
    assert.equal(copy.mae, p.mae);
  });

  it('does not reuse a saved state for another target or horizon', () => {
    const p = new ThermalPredictor(FAST);
    run(p, 2500);
    const other = ThermalPredictor.fromJSON(p.toJSON(), { horizonS: 120 });
    assert.equal(other.samples, 0);
  });

  it('refuses a state that is not one', () => {
    assert.throws(() => ThermalPredictor.fromJSON({ version: 9 } as never), TypeError);
  });

  it('is ready at once after a warm start from history', () => {
    const p = new ThermalPredictor(FAST);
    const history = [...plant(3000)].map((s) => ({ tS: s.t - 4000, readings: s.readings }));
    assert.equal(p.warmStart(history), history.length);
    const f = p.observe(sample({ queueTokens: 5000, gpuMaxC: 60, supplyC: 30, serverDeltaTK: 4 }), 0);
    assert.equal(f.ready, true);
    assert.equal(f.model.scored, 0, 'history does not count in the live MAE');
  });

  it('says the target is missing when no reading measures it', () => {
    const p = new ThermalPredictor({ ...FAST, target: 'hbmMaxC' });
    const f = run(p, 2000);
    assert.equal(f.state, 'missing-target');
    assert.equal(f.ready, false);
  });

  it('forecasts rack inlet air as it is (not relative to the coolant)', () => {
    const p = new ThermalPredictor({ ...FAST, target: 'rackInletMaxC' });
    assert.equal(p.o.relativeTo, 'none');
    const f = run(p, 2000);
    assert.equal(f.assumedSupplyC, null);
    assert.ok(f.ready && Math.abs(f.predicted! - 27) < 0.5);
  });

  it('rejects a horizon that is not positive and an unknown target', () => {
    assert.throws(() => new ThermalPredictor({ horizonS: 0 }), RangeError);
    assert.throws(() => new ThermalPredictor({ target: 'x' as never }), RangeError);
  });

  it('the polynomial model forecasts too', () => {
    const p = new ThermalPredictor({ ...FAST, model: 'polynomial' });
    const f = run(p, 2000);
    assert.equal(f.ready, true);
    assert.equal(f.model.kind, 'polynomial');
  });
});
