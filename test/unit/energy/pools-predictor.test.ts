import assert from 'node:assert/strict';
import { allPools, classify, classOf, checkThresholds, DEFAULT_THRESHOLDS } from '../../../core/energy/pools';
import { OutputLengthPredictor } from '../../../core/energy/predictor';
import { EnergyInputError } from '../../../core/energy/errors';

describe('energy pools', () => {
  it('puts prompts below 256 in S, below 1024 in M and the rest in L', () => {
    assert.deepEqual([0, 255, 256, 1023, 1024, 9000].map((n) => classOf(n, DEFAULT_THRESHOLDS.input)), [0, 0, 1, 1, 2, 2]);
  });

  it('puts outputs below 100 in S, below 350 in M and the rest in L', () => {
    assert.deepEqual([99, 100, 349, 350].map((n) => classify(DEFAULT_THRESHOLDS, 10, n)), ['SS', 'SM', 'SM', 'SL']);
  });

  it('names nine pools with the default thresholds, input-major', () => {
    assert.deepEqual(allPools(DEFAULT_THRESHOLDS), ['SS', 'SM', 'SL', 'MS', 'MM', 'ML', 'LS', 'LM', 'LL']);
  });

  it('accepts edited thresholds', () => {
    assert.equal(classify({ input: [512], output: [200] }, 600, 100), 'MS');
  });

  it('rejects thresholds that are not ascending', () => {
    assert.throws(() => checkThresholds({ input: [1024, 256], output: [100] }), EnergyInputError);
  });
});

describe('output-length predictor', () => {
  const make = () => new OutputLengthPredictor({ inputBounds: [256, 1024], outputBounds: [100, 350], prior: 128 });

  it('predicts the prior before any completion', () => {
    assert.equal(make().predict(500), 128);
  });

  it('learns the median output of each input class separately', () => {
    const p = make();
    for (let i = 0; i < 50; i++) {
      p.learn(undefined, 100, 40 + (i % 3));
      p.learn(undefined, 2000, 500 + (i % 3));
    }
    assert.equal(p.predict(100), 41);
    assert.equal(p.predict(2000), 501);
  });

  it('caps the prediction by the request maxOutputTokens', () => {
    const p = make();
    for (let i = 0; i < 20; i++) p.learn(undefined, 2000, 600);
    assert.equal(p.predict(2000, 50), 50);
  });

  it('follows a change of output lengths once the window has turned over', () => {
    const p = new OutputLengthPredictor({ inputBounds: [256], outputBounds: [100], window: 64 });
    for (let i = 0; i < 64; i++) p.learn(undefined, 10, 20);
    for (let i = 0; i < 64; i++) p.learn(undefined, 10, 300);
    assert.equal(p.predict(10), 300);
  });

  it('reports the share of predictions in the wrong output class', () => {
    const p = make();
    for (let i = 0; i < 20; i++) p.learn(undefined, 100, 50);
    p.predictFor('a', 100);
    p.predictFor('b', 100);
    p.learn('a', 100, 60); // predicted 50 (S), actual S
    p.learn('b', 100, 400); // predicted 50 (S), actual L
    const s = p.stats();
    assert.equal(s.scored, 2);
    assert.equal(s.mispredictionRate, 0.5);
  });
});
