// The Thermal Predictor: forecasts one temperature `horizonS` ahead from the features of
// features.ts with a model from regression.ts, refitted on a sliding window as the answers
// arrive (a forecast made at t is scored, and becomes a training pair, at t + horizonS).
// It reports a prediction interval from its own recent live errors, its live MAE next to the
// persistence forecast's ("it will be what it is now"), and says "not ready" until it has seen
// enough. The whole state is plain JSON, for Node-RED context and for a warm start.

import type { Reading } from '../telemetry/catalogue';
import { FeatureBuilder, type FeatureOptions } from './features';
import { fitModel, predictModel, type FittedModel, type ModelKind } from './regression';

/** What can be forecast, as the feature signal that measures it. */
export const TARGETS = {
  gpuMaxC: { label: 'hottest GPU', unit: '°C' },
  hbmMaxC: { label: 'hottest HBM', unit: '°C' },
  returnC: { label: 'CDU return', unit: '°C' },
  rackInletMaxC: { label: 'hottest rack inlet', unit: '°C' },
} as const;
export type TargetName = keyof typeof TARGETS;
export type Reference = 'coolant' | 'supply' | 'none';

const AUTO_REFERENCE: Record<TargetName, Reference> = { gpuMaxC: 'coolant', hbmMaxC: 'coolant', returnC: 'supply', rackInletMaxC: 'none' };

export interface PredictorOptions {
  target: TargetName;
  horizonS: number;
  /** Training pairs are at least this far apart (s); faster samples only update the features. */
  sampleS: number;
  /** Sliding window of training pairs (s). */
  windowS: number;
  /** Training pairs needed before forecasts are issued. */
  minSamples: number;
  /** Refit at most this often (s). */
  refitS: number;
  model: ModelKind;
  ridge: number;
  /**
   * What the target is learnt relative to. The GPU's rise above its own coolant is what the load
   * decides; the supply temperature and the coolant's rise to the hottest server are what the
   * valve decides. `coolant`: supply + half the hottest server's coolant ΔT (GPU, HBM);
   * `supply`: the supply temperature (CDU return); `none` (rack inlet air); `auto` picks by target.
   * The forecast adds the reference the loop is heading for (the supply setpoint when known).
   */
  relativeTo: Reference | 'auto';
  /** Coverage of the prediction interval (0–1). */
  intervalLevel: number;
  /** Live errors kept for the interval and the MAE. */
  errorWindow: number;
  /**
   * Residual feedback: the forecast of the load-decided part is corrected by `biasGain` × the mean
   * error of the model's last `biasSamples` scored forecasts (0 = off). The level a model fitted on
   * a long window has learnt lags the plant's; its recent errors say by how much.
   */
  biasSamples: number;
  biasGain: number;
  features: Partial<FeatureOptions>;
}

export const DEFAULT_PREDICTOR: PredictorOptions = {
  target: 'gpuMaxC',
  horizonS: 300,
  sampleS: 10,
  windowS: 7200,
  minSamples: 60,
  refitS: 60,
  model: 'linear',
  // Strong on purpose: with ~50 collinear telemetry features, a light penalty refits noise (tuned in bench:cooling).
  ridge: 10,
  relativeTo: 'auto',
  intervalLevel: 0.9,
  errorWindow: 120,
  biasSamples: 90,
  biasGain: 0.5,
  features: {},
};

export interface Forecast {
  target: TargetName;
  horizonS: number;
  /** When the forecast was made (s, the caller's clock). */
  t: number;
  /** False while learning: `predicted` and `interval` are null then, and a valve must not act. */
  ready: boolean;
  /** Why not ready, or 'ok'. */
  state: 'ok' | 'learning' | 'missing-target' | 'missing-features';
  predicted: number | null;
  current: number;
  interval: { low: number; high: number; level: number } | null;
  /** Supply temperature the forecast assumes (°C), when relative to supply or coolant. */
  assumedSupplyC: number | null;
  /** How far above the supply the forecast puts the hottest coolant (K): the loop now. */
  assumedCoolantOffsetK: number | null;
  model: { kind: ModelKind; samples: number; mae: number | null; persistenceMae: number | null; r2: number | null; scored: number };
}

interface Pending {
  t: number;
  x: number[];
  ref: number;
}
interface Issued {
  t: number;
  predicted: number;
  current: number;
  /** The forecast of the target relative to the supply (= predicted when not relative). */
  relative: number;
  /** The residual-feedback correction included in `relative` (K). */
  bias?: number;
}

export interface PredictorState {
  version: 1;
  options: PredictorOptions;
  train: Array<{ t: number; x: number[]; y: number }>;
  pending: Pending[];
  issued: Issued[];
  errors: number[];
  persistenceErrors: number[];
  relativeErrors: number[];
  /** Errors of the model before the residual feedback (load-decided part), newest last. */
  modelErrors?: number[];
  model: FittedModel | null;
  lastFitT: number;
  lastSampleT: number;
  features?: ReturnType<FeatureBuilder['toJSON']>;
  /** The feature vector's names when saved: training rows of another layout are not restored. */
  featureNames?: string[];
}

export class ThermalPredictor {
  readonly o: PredictorOptions;
  private readonly features: FeatureBuilder;
  private train: PredictorState['train'] = [];
  private pending: Pending[] = [];
  private issued: Issued[] = [];
  private errors: number[] = [];
  private persistenceErrors: number[] = [];
  /** Errors of the part the load decides (target − supply): the valve cannot act them away. */
  private relativeErrors: number[] = [];
  private modelErrors: number[] = [];
  private model: FittedModel | null = null;
  private lastFitT = -Infinity;
  private lastSampleT = -Infinity;

  constructor(options: Partial<PredictorOptions> = {}) {
    this.o = { ...DEFAULT_PREDICTOR, ...options };
    if (!(this.o.horizonS > 0)) throw new RangeError(`horizonS must be > 0, got ${this.o.horizonS}`);
    if (!(this.o.target in TARGETS)) throw new RangeError(`unknown target "${this.o.target}"`);
    if (this.o.relativeTo === 'auto') this.o.relativeTo = AUTO_REFERENCE[this.o.target];
    this.features = new FeatureBuilder({ relativeTemperatures: this.o.relativeTo !== 'none', ...this.o.features });
  }

  /**
   * Takes one sample of readings at `tS` (s) and returns the forecast for `tS + horizonS`.
   * `supplySetpointC` is where the CDU's supply is heading (the valve's last write), if known.
   */
  observe(readings: readonly Reading[], tS: number, supplySetpointC?: number): Forecast {
    const s = this.features.add(readings, tS);
    const current = s[this.o.target];
    const supply = s.supplyC;
    const ref = this.reference(s);
    this.score(tS, current, ref);
    this.resolve(tS, current, ref);
    const x = this.features.vector();
    const sampleDue = tS - this.lastSampleT >= this.o.sampleS - 1e-9;
    if (sampleDue && Number.isFinite(current) && Number.isFinite(ref)) {
      this.lastSampleT = tS;
      this.pending.push({ t: tS, x, ref });
    }
    if (tS - this.lastFitT >= this.o.refitS && this.train.length >= Math.min(this.o.minSamples, 10)) this.refit(tS);
    return this.forecast(tS, x, current, supply, ref - supply, supplySetpointC, sampleDue);
  }

  /** Feeds history (oldest first) without issuing forecasts that count in the MAE; then refits. */
  warmStart(samples: Iterable<{ tS: number; readings: readonly Reading[] }>): number {
    let n = 0;
    for (const smp of samples) {
      const s = this.features.add(smp.readings, smp.tS);
      const current = s[this.o.target];
      const ref = this.reference(s);
      this.resolve(smp.tS, current, ref);
      if (smp.tS - this.lastSampleT >= this.o.sampleS - 1e-9 && Number.isFinite(current) && Number.isFinite(ref)) {
        this.lastSampleT = smp.tS;
        this.pending.push({ t: smp.tS, x: this.features.vector(), ref });
      }
      n++;
    }
    if (this.train.length >= 3) this.refit(this.lastSampleT);
    return n;
  }

  get samples(): number {
    return this.train.length;
  }

  /** Mean absolute live error of the issued forecasts (null before the first is scored). */
  get mae(): number | null {
    return meanAbs(this.errors);
  }

  get persistenceMae(): number | null {
    return meanAbs(this.persistenceErrors);
  }

  /** The fitted model (coefficients by feature name), for people and dashboards. */
  get fitted(): FittedModel | null {
    return this.model;
  }

  featureNames(): string[] {
    return this.features.names();
  }

  toJSON(): PredictorState {
    return {
      version: 1,
      options: this.o,
      train: this.train,
      pending: this.pending,
      issued: this.issued,
      errors: this.errors,
      persistenceErrors: this.persistenceErrors,
      relativeErrors: this.relativeErrors,
      modelErrors: this.modelErrors,
      model: this.model,
      lastFitT: Number.isFinite(this.lastFitT) ? this.lastFitT : -1e15,
      lastSampleT: Number.isFinite(this.lastSampleT) ? this.lastSampleT : -1e15,
      features: this.features.toJSON(),
      featureNames: this.features.names(),
    };
  }

  /** Restores a state saved with toJSON (the options stored with it win over `overrides`' absence). */
  static fromJSON(state: PredictorState, overrides: Partial<PredictorOptions> = {}): ThermalPredictor {
    if (!state || state.version !== 1) throw new TypeError('not a Thermal Predictor state (version 1)');
    const p = new ThermalPredictor({ ...state.options, ...overrides });
    const sameShape = p.o.target === state.options.target && p.o.horizonS === state.options.horizonS && p.o.relativeTo === state.options.relativeTo;
    // A state saved before featureNames existed has the default layout; its rows must have that length.
    const names = p.featureNames();
    const sameLayout = state.featureNames
      ? state.featureNames.length === names.length && state.featureNames.every((n, k) => n === names[k])
      : (state.train ?? []).every((r) => r.x.length === names.length);
    if (!sameShape || !sameLayout) return p;
    p.train = state.train ?? [];
    p.pending = state.pending ?? [];
    p.issued = state.issued ?? [];
    p.errors = state.errors ?? [];
    p.persistenceErrors = state.persistenceErrors ?? [];
    p.relativeErrors = state.relativeErrors ?? [];
    p.modelErrors = state.modelErrors ?? [];
    p.model = p.o.model === state.options.model ? state.model : null;
    p.lastFitT = state.lastFitT;
    p.lastSampleT = state.lastSampleT;
    p.features.restore(state.features);
    return p;
  }

  // ---- internals ------------------------------------------------------------------------

  /** The reference temperature of a sample (0 when the target is learnt as it is). */
  private reference(s: Record<string, number>): number {
    switch (this.o.relativeTo) {
      case 'coolant':
        return s.supplyC + (Number.isFinite(s.serverDeltaTMaxK) ? s.serverDeltaTMaxK / 2 : 0);
      case 'supply':
        return s.supplyC;
      default:
        return 0;
    }
  }

  /** Pairs features made `horizonS` ago with the target now. */
  private resolve(tS: number, current: number, ref: number): void {
    const h = this.o.horizonS;
    while (this.pending.length > 0 && this.pending[0].t + h <= tS + 1e-9) {
      const p = this.pending.shift() as Pending;
      // A gap in the data (restart, sensor outage) leaves no answer for this pair.
      if (tS - (p.t + h) > Math.max(this.o.sampleS, 5) * 1.5) continue;
      if (!Number.isFinite(current) || !Number.isFinite(ref)) continue;
      this.train.push({ t: p.t, x: p.x, y: current - ref });
    }
    while (this.train.length > 0 && this.train[0].t < tS - this.o.windowS) this.train.shift();
  }

  private score(tS: number, current: number, ref: number): void {
    const h = this.o.horizonS;
    while (this.issued.length > 0 && this.issued[0].t + h <= tS + 1e-9) {
      const f = this.issued.shift() as Issued;
      if (tS - (f.t + h) > Math.max(this.o.sampleS, 5) * 1.5 || !Number.isFinite(current)) continue;
      this.errors.push(f.predicted - current);
      this.persistenceErrors.push(f.current - current);
      if (Number.isFinite(ref)) {
        this.relativeErrors.push(f.relative - (current - ref));
        this.modelErrors.push(f.relative + (f.bias ?? 0) - (current - ref));
      }
      for (const a of [this.errors, this.persistenceErrors, this.relativeErrors, this.modelErrors]) if (a.length > this.o.errorWindow) a.shift();
    }
  }

  private refit(tS: number): void {
    const usable = this.usableColumns();
    const names = this.features.names().filter((_, k) => usable[k]);
    const x = this.train.map((r) => r.x.filter((_, k) => usable[k]));
    const y = this.train.map((r) => r.y);
    const m = fitModel(x, y, names, { kind: this.o.model, ridge: this.o.ridge, polyFeatures: 4 });
    if (m) {
      this.model = m;
      this.columns = usable;
    }
    this.lastFitT = tS;
  }

  private columns: boolean[] | null = null;

  /** Columns finite in every training row (a metric a site never sends is dropped). */
  private usableColumns(): boolean[] {
    const d = this.features.names().length;
    const ok = new Array<boolean>(d).fill(true);
    for (const r of this.train) for (let k = 0; k < d; k++) if (!Number.isFinite(r.x[k])) ok[k] = false;
    return ok;
  }

  private forecast(tS: number, x: number[], current: number, supply: number, offset: number, setpoint: number | undefined, record: boolean): Forecast {
    const base = {
      target: this.o.target,
      horizonS: this.o.horizonS,
      t: tS,
      current,
      model: {
        kind: this.o.model,
        samples: this.train.length,
        mae: this.mae,
        persistenceMae: this.persistenceMae,
        r2: this.model?.r2 ?? null,
        scored: this.errors.length,
      },
    };
    const notReady = (state: Forecast['state']): Forecast => ({ ...base, ready: false, state, predicted: null, interval: null, assumedSupplyC: null, assumedCoolantOffsetK: null });
    if (!Number.isFinite(current)) return notReady('missing-target');
    if (!this.model || this.train.length < this.o.minSamples) return notReady('learning');
    if (!this.columns || this.columns.length !== x.length) this.columns = this.usableColumns();
    const cols = this.columns;
    const raw = predictModel(this.model, x.filter((_, k) => cols[k]));
    if (!Number.isFinite(raw)) return notReady('missing-features');
    const bias = this.bias();
    const y = raw - bias;
    let assumed: number | null = null;
    let assumedOffset: number | null = null;
    let predicted = y;
    if (this.o.relativeTo !== 'none') {
      if (!Number.isFinite(supply) || !Number.isFinite(offset)) return notReady('missing-features');
      assumed = typeof setpoint === 'number' && Number.isFinite(setpoint) ? setpoint : supply;
      assumedOffset = offset;
      predicted = assumed + offset + y;
    }
    if (record) {
      this.issued.push({ t: tS, predicted, current, relative: y, bias });
    }
    // The interval is the uncorrected model's: centred on its forecast, as wide as its own recent
    // errors say. The residual feedback lowers the mean error but lags a change of level, so its
    // errors have a wider tail; the valve guards against the calibrated bound, not the corrected mean.
    const half = this.halfWidth();
    const centre = predicted + bias;
    return {
      ...base,
      ready: true,
      state: 'ok',
      predicted,
      assumedSupplyC: assumed,
      assumedCoolantOffsetK: assumedOffset,
      interval: { low: Math.min(centre - half, predicted), high: Math.max(centre + half, predicted), level: this.o.intervalLevel },
    };
  }

  /** The residual feedback (K): biasGain × the mean of the model's last biasSamples errors. */
  private bias(): number {
    const k = Math.min(Math.round(this.o.biasSamples), this.modelErrors.length);
    if (!(k > 0) || !(this.o.biasGain > 0)) return 0;
    let sum = 0;
    for (let i = this.modelErrors.length - k; i < this.modelErrors.length; i++) sum += this.modelErrors[i];
    return (this.o.biasGain * sum) / k;
  }

  /**
   * Half-width of the interval: the level-quantile of the model's recent live |errors| before the
   * residual feedback (of the load-decided part when relative to the supply: the supply is the
   * valve's to choose), else of the fit's residuals. A state saved before the feedback existed has
   * only the errors of the issued forecasts, which were the model's then.
   */
  private halfWidth(): number {
    const own = this.modelErrors.length >= 20 ? this.modelErrors : this.o.relativeTo !== 'none' ? this.relativeErrors : this.errors;
    const live = own.map(Math.abs);
    if (live.length >= 20) return quantile(live, this.o.intervalLevel);
    const m = this.model;
    if (!m || !this.columns) return Number.NaN;
    const cols = this.columns;
    const res = this.train.map((r) => Math.abs(r.y - predictModel(m, r.x.filter((_, k) => cols[k])))).filter(Number.isFinite);
    return res.length > 0 ? quantile(res, this.o.intervalLevel) : Number.NaN;
  }
}

function meanAbs(a: number[]): number | null {
  if (a.length === 0) return null;
  let s = 0;
  for (const v of a) s += Math.abs(v);
  return s / a.length;
}

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = values.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
