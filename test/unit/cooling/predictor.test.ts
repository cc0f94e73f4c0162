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
    // No residual feedback: a forecast scored between the two samples would move it.
    const p = new ThermalPredictor({ ...FAST, biasSamples: 0 });
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

  it('does not restore training rows saved with another feature layout', () => {
    const p = new ThermalPredictor(FAST);
    run(p, 2500);
    const other = ThermalPredictor.fromJSON(p.toJSON(), { features: { trailingS: [300] } });
    assert.equal(other.samples, 0);
    // A state saved before the layout was stored: its rows' length must match.
    const old = JSON.parse(JSON.stringify(p.toJSON()));
    delete old.featureNames;
    delete old.modelErrors;
    assert.equal(ThermalPredictor.fromJSON(old).samples, p.samples);
    assert.equal(ThermalPredictor.fromJSON(old, { features: { trailingS: [300] } }).samples, 0);
  });

  it('residual feedback: after the plant shifts, its recent errors pull the forecast back', () => {
    // A long window learns the old level for a long time; the feedback corrects by the recent errors.
    const opts = { ...FAST, windowS: 20000, biasSamples: 30, biasGain: 1 };
    const mae = (o: Partial<PredictorOptions>) => {
      const p = new ThermalPredictor(o);
      for (const s of plant(4000)) p.observe(s.readings, s.t);
      const errs: number[] = [];
      const issued: Array<{ t: number; v: number }> = [];
      const rng = seededRng(5);
      for (let t = 4000; t < 7000; t += 10) {
        // The same load, 6 K hotter (fouled cold plates, say).
        const s = sample({ queueTokens: 5000, gpuMaxC: 30 + 2 + 20 + 10 + 6 + (rng() - 0.5), supplyC: 30, serverDeltaTK: 4 });
        const f = p.observe(s, t);
        while (issued.length > 0 && issued[0].t + 300 <= t) errs.push(Math.abs(issued.shift()!.v - f.current));
        if (f.predicted !== null && t >= 5500) issued.push({ t, v: f.predicted });
      }
      return errs.reduce((a, b) => a + b, 0) / errs.length;
    };
    const without = mae({ ...opts, biasSamples: 0 });
    const withFeedback = mae(opts);
    assert.ok(withFeedback < 0.5 * without, `with ${withFeedback} vs without ${without}`);
  });

  it('its interval is the uncorrected model\'s and still holds the forecast', () => {
    const p = new ThermalPredictor({ ...FAST, biasSamples: 30, biasGain: 1 });
    const q = new ThermalPredictor({ ...FAST, biasSamples: 0 });
    let a = null as ReturnType<ThermalPredictor['observe']> | null;
    let b = null as ReturnType<ThermalPredictor['observe']> | null;
    for (const s of plant(3000)) {
      a = p.observe(s.readings, s.t);
      b = q.observe(s.readings, s.t);
    }
    assert.ok(a!.interval && b!.interval);
    // Same model, same errors before the feedback: the same bound for the valve.
    assert.ok(Math.abs(a!.interval!.high - Math.max(b!.interval!.high, a!.predicted!)) < 1e-9);
    assert.ok(a!.interval!.low <= a!.predicted! && a!.predicted! <= a!.interval!.high);
    assert.ok(a!.predicted !== b!.predicted, 'the feedback moved the forecast');
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
