// Online output-length prediction. The true output length of a request is known only when it
// finishes; until then the batcher predicts it from the completions it has seen, per input
// class (prompt length says a lot about the answer length in chat traces). A request's own
// maxOutputTokens caps the prediction. The predictor keeps score of how often its predicted
// output class was wrong (the misprediction rate the Queue Batcher reports).

import { EnergyInputError } from './errors';
import { classOf } from './pools';

export interface PredictorOptions {
  /** Ascending input-class bounds (tokens). */
  inputBounds: number[];
  /** Ascending output-class bounds (tokens), for the misprediction rate. */
  outputBounds: number[];
  /** Which quantile of the recent outputs of an input class to predict (0–1). */
  quantile?: number;
  /** Completions remembered per input class. */
  window?: number;
  /** Prediction before any completion of that class has been seen (tokens). */
  prior?: number;
  /** Predictions remembered while waiting for their completion. */
  maxPending?: number;
}

export interface PredictorStats {
  completions: number;
  /** Completions whose prediction was recorded. */
  scored: number;
  mispredicted: number;
  /** Share of scored completions whose predicted output class was wrong (0–1). */
  mispredictionRate: number;
  /** Mean absolute error of the predicted length (tokens). */
  meanAbsError: number;
  /** Current prediction per input class (tokens). */
  perInputClass: number[];
}

export class OutputLengthPredictor {
  private readonly q: number;
  private readonly window: number;
  private readonly prior: number;
  private readonly maxPending: number;
  private readonly recent: number[][];
  private readonly cursor: number[];
  private readonly cached: number[];
  private readonly dirty: number[];
  private readonly pending = new Map<string, number>();
  private completions = 0;
  private scored = 0;
  private mispredicted = 0;
  private absError = 0;

  constructor(private readonly o: PredictorOptions) {
    this.q = o.quantile ?? 0.5;
    this.window = o.window ?? 512;
    this.prior = o.prior ?? 128;
    this.maxPending = o.maxPending ?? 100_000;
    if (!(this.q >= 0 && this.q <= 1)) throw new EnergyInputError('ERR_BAD_CONFIG', `quantile must be in 0–1, got ${this.q}`);
    const classes = o.inputBounds.length + 1;
    this.recent = Array.from({ length: classes }, () => []);
    this.cursor = new Array(classes).fill(0);
    this.cached = new Array(classes).fill(this.prior);
    this.dirty = new Array(classes).fill(0);
  }

  /** Predicted output length (tokens) of a prompt of `inputTokens`, capped by `maxOutputTokens`. */
  predict(inputTokens: number, maxOutputTokens?: number): number {
    const c = classOf(inputTokens, this.o.inputBounds);
    if (this.dirty[c] > 0) this.refresh(c);
    const guess = this.cached[c];
    return maxOutputTokens !== undefined && maxOutputTokens > 0 ? Math.min(guess, maxOutputTokens) : guess;
  }

  /** Predicts and remembers the prediction under `id` so the completion can score it. */
  predictFor(id: string, inputTokens: number, maxOutputTokens?: number): number {
    const guess = this.predict(inputTokens, maxOutputTokens);
    if (this.pending.size >= this.maxPending) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
    }
    this.pending.set(id, guess);
    return guess;
  }

  /** Learns from a finished request. */
  learn(id: string | undefined, inputTokens: number, outputTokens: number): void {
    const c = classOf(inputTokens, this.o.inputBounds);
    const buf = this.recent[c];
    if (buf.length < this.window) buf.push(outputTokens);
    else {
      buf[this.cursor[c]] = outputTokens;
      this.cursor[c] = (this.cursor[c] + 1) % this.window;
    }
    // Re-sorting a 512-entry window per completion would dominate; refresh every few.
    this.dirty[c]++;
    if (buf.length < 16 || this.dirty[c] >= 32) this.refresh(c);
    this.completions++;
    if (id === undefined) return;
    const guess = this.pending.get(id);
    if (guess === undefined) return;
    this.pending.delete(id);
    this.scored++;
    this.absError += Math.abs(guess - outputTokens);
    if (classOf(guess, this.o.outputBounds) !== classOf(outputTokens, this.o.outputBounds)) this.mispredicted++;
  }

  stats(): PredictorStats {
    for (let c = 0; c < this.cached.length; c++) if (this.dirty[c] > 0) this.refresh(c);
    return {
      completions: this.completions,
      scored: this.scored,
      mispredicted: this.mispredicted,
      mispredictionRate: this.scored > 0 ? this.mispredicted / this.scored : 0,
      meanAbsError: this.scored > 0 ? this.absError / this.scored : 0,
      perInputClass: [...this.cached],
    };
  }

  private refresh(c: number): void {
    const buf = this.recent[c];
    this.dirty[c] = 0;
    if (buf.length === 0) {
      this.cached[c] = this.prior;
      return;
    }
    const sorted = [...buf].sort((a, b) => a - b);
    this.cached[c] = sorted[Math.min(sorted.length - 1, Math.floor(this.q * sorted.length))];
  }
}
