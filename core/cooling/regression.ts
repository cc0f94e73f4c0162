// The model behind the Thermal Predictor: a least-squares fit from ml-regression on standardised
// features with a small ridge penalty. Telemetry features are strongly collinear (a GPU's power,
// its temperature and the rack's power move together), and a plain fit on a short sliding window
// then swings wildly between refits; the penalty, added as extra rows of the design matrix, keeps
// the plain library fit and makes it stable. The polynomial option adds the squares and pairwise
// products of the strongest features (degree 2).

import { MultivariateLinearRegression } from 'ml-regression';

export type ModelKind = 'linear' | 'polynomial';

/** A fitted model as plain data: enough to predict, persist and restore. */
export interface FittedModel {
  kind: ModelKind;
  /** Feature names after expansion, for people reading a model. */
  names: string[];
  mean: number[];
  scale: number[];
  yMean: number;
  weights: number[];
  /** Indices (into the raw features) that the polynomial terms are built from. */
  polyIndex: number[];
  /** In-sample fit. */
  r2: number;
  samples: number;
}

export interface FitOptions {
  kind: ModelKind;
  /** Ridge strength relative to the sample count (dimensionless). */
  ridge: number;
  /** Raw features that enter the degree-2 terms (polynomial only). */
  polyFeatures: number;
}

export const DEFAULT_FIT: FitOptions = { kind: 'linear', ridge: 0.05, polyFeatures: 4 };

/** Fits `y ≈ f(x)`; rows with any non-finite value are skipped. Returns null when too few rows remain. */
export function fitModel(x: number[][], y: number[], names: string[], o: FitOptions = DEFAULT_FIT): FittedModel | null {
  const rows: number[][] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(y[i]) && x[i].every(Number.isFinite)) {
      rows.push(x[i]);
      ys.push(y[i]);
    }
  }
  if (rows.length < 3) return null;
  const polyIndex = o.kind === 'polynomial' ? strongest(rows, ys, o.polyFeatures) : [];
  const expanded = rows.map((r) => expand(r, polyIndex));
  const allNames = expandNames(names, polyIndex);
  const d = expanded[0].length;
  const n = expanded.length;
  const mean = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  for (const r of expanded) for (let k = 0; k < d; k++) mean[k] += r[k] / n;
  for (const r of expanded) for (let k = 0; k < d; k++) scale[k] += (r[k] - mean[k]) ** 2 / n;
  for (let k = 0; k < d; k++) scale[k] = Math.sqrt(scale[k]) || 1;
  const yMean = ys.reduce((a, b) => a + b, 0) / n;
  const z = expanded.map((r) => r.map((v, k) => (v - mean[k]) / scale[k]));
  const yc = ys.map((v) => [v - yMean]);
  const penalty = Math.sqrt(Math.max(o.ridge, 1e-9) * n);
  for (let k = 0; k < d; k++) {
    const row = new Array<number>(d).fill(0);
    row[k] = penalty;
    z.push(row);
    yc.push([0]);
  }
  const mlr = new MultivariateLinearRegression(z, yc, { intercept: false, statistics: false });
  const weights = mlr.weights.map((w) => (Number.isFinite(w[0]) ? w[0] : 0));
  const model: FittedModel = { kind: o.kind, names: allNames, mean, scale, yMean, weights, polyIndex, r2: 0, samples: n };
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    ssRes += (ys[i] - predictExpanded(model, expanded[i])) ** 2;
    ssTot += (ys[i] - yMean) ** 2;
  }
  model.r2 = ssTot > 0 ? 1 - ssRes / ssTot : 0;
  return model;
}

/** The model's estimate for raw features `x` (NaN when a feature is missing). */
export function predictModel(m: FittedModel, x: number[]): number {
  if (!x.every(Number.isFinite)) return Number.NaN;
  return predictExpanded(m, expand(x, m.polyIndex));
}

function predictExpanded(m: FittedModel, e: number[]): number {
  let y = m.yMean;
  for (let k = 0; k < e.length; k++) y += (m.weights[k] * (e[k] - m.mean[k])) / m.scale[k];
  return y;
}

function expand(x: number[], polyIndex: number[]): number[] {
  if (polyIndex.length === 0) return x;
  const out = x.slice();
  for (let a = 0; a < polyIndex.length; a++) {
    for (let b = a; b < polyIndex.length; b++) out.push(x[polyIndex[a]] * x[polyIndex[b]]);
  }
  return out;
}

function expandNames(names: string[], polyIndex: number[]): string[] {
  const out = names.slice();
  for (let a = 0; a < polyIndex.length; a++) {
    for (let b = a; b < polyIndex.length; b++) out.push(`${names[polyIndex[a]]}·${names[polyIndex[b]]}`);
  }
  return out;
}

/** The `k` raw features most correlated (in absolute value) with y. */
function strongest(rows: number[][], ys: number[], k: number): number[] {
  const d = rows[0].length;
  const n = rows.length;
  const ym = ys.reduce((a, b) => a + b, 0) / n;
  const scores: Array<[number, number]> = [];
  for (let j = 0; j < d; j++) {
    let xm = 0;
    for (const r of rows) xm += r[j] / n;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
      const dx = rows[i][j] - xm;
      const dy = ys[i] - ym;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
    scores.push([j, sxx > 0 && syy > 0 ? Math.abs(sxy) / Math.sqrt(sxx * syy) : 0]);
  }
  return scores.sort((a, b) => b[1] - a[1]).slice(0, Math.min(k, d)).map(([j]) => j);
}
