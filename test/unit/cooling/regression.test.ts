import assert from 'node:assert/strict';
import { fitModel, predictModel } from '../../../core/cooling/regression';

function grid(n: number, f: (a: number, b: number) => number) {
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = (i % 10) - 5;
    const b = Math.floor(i / 10) - 5;
    x.push([a, b]);
    y.push(f(a, b));
  }
  return { x, y };
}

describe('cooling regression (ml-regression, standardised ridge)', () => {
  it('recovers a linear relation with a light penalty', () => {
    const { x, y } = grid(100, (a, b) => 3 + 2 * a - b);
    const m = fitModel(x, y, ['a', 'b'], { kind: 'linear', ridge: 1e-6, polyFeatures: 2 });
    assert.ok(m);
    assert.ok(Math.abs(predictModel(m, [1, 2]) - 3) < 1e-3);
    assert.ok(m.r2 > 0.9999);
  });

  it('shrinks toward the mean as the penalty grows', () => {
    const { x, y } = grid(100, (a) => 10 * a);
    const light = fitModel(x, y, ['a', 'b'], { kind: 'linear', ridge: 1e-6, polyFeatures: 2 });
    const heavy = fitModel(x, y, ['a', 'b'], { kind: 'linear', ridge: 100, polyFeatures: 2 });
    assert.ok(light && heavy);
    assert.ok(Math.abs(predictModel(heavy, [4, 0])) < Math.abs(predictModel(light, [4, 0])));
  });

  it('stays finite with two identical (collinear) features', () => {
    const x = Array.from({ length: 50 }, (_, i) => [i, i]);
    const y = x.map(([a]) => 2 * a);
    const m = fitModel(x, y, ['a', 'a2'], { kind: 'linear', ridge: 0.01, polyFeatures: 2 });
    assert.ok(m);
    assert.ok(Number.isFinite(predictModel(m, [10, 10])));
    assert.ok(Math.abs(predictModel(m, [10, 10]) - 20) < 1);
  });

  it('skips rows with missing values', () => {
    const { x, y } = grid(60, (a, b) => a + b);
    x[3] = [Number.NaN, 1];
    y[5] = Number.NaN;
    const m = fitModel(x, y, ['a', 'b'], { kind: 'linear', ridge: 1e-6, polyFeatures: 2 });
    assert.equal(m?.samples, 58);
  });

  it('returns null with too few rows', () => {
    assert.equal(fitModel([[1], [2]], [1, 2], ['a']), null);
  });

  it('the polynomial option fits a square that the linear one cannot', () => {
    const { x, y } = grid(100, (a) => a * a);
    const lin = fitModel(x, y, ['a', 'b'], { kind: 'linear', ridge: 1e-6, polyFeatures: 2 });
    const poly = fitModel(x, y, ['a', 'b'], { kind: 'polynomial', ridge: 1e-6, polyFeatures: 2 });
    assert.ok(lin && poly);
    assert.ok(poly.r2 > 0.999, `poly r2 ${poly.r2}`);
    assert.ok(lin.r2 < 0.3, `linear r2 ${lin.r2}`);
    assert.ok(poly.names.includes('a·a'));
  });

  it('predicts NaN when a feature is missing', () => {
    const { x, y } = grid(30, (a) => a);
    const m = fitModel(x, y, ['a', 'b']);
    assert.ok(m);
    assert.ok(Number.isNaN(predictModel(m, [Number.NaN, 0])));
  });
});
