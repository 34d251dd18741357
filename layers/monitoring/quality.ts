/**
 * Model quality on predictions joined with their ground-truth labels.
 *
 * Binary classifiers (prediction = probability of the positive class, label 0/1 or boolean):
 * ROC AUC (the Mann–Whitney statistic with mid-ranks for ties), accuracy at `threshold`, and log
 * loss with probabilities clipped to [1e-15, 1 − 1e-15]. Regressors: RMSE and MAE. Accumulators
 * merge, so a window's quality can be computed chunk by chunk.
 */

export type ModelTask = 'binary-classification' | 'regression';

export interface QualityMetrics {
  readonly task: ModelTask;
  /** Predictions that had a label. */
  readonly labeled: number;
  readonly auc?: number | null;
  readonly accuracy?: number | null;
  readonly logLoss?: number | null;
  readonly rmse?: number | null;
  readonly mae?: number | null;
}

const EPSILON = 1e-15;

export class QualityAccumulator {
  readonly task: ModelTask;
  private readonly threshold: number;
  private scores = new Float64Array(1024);
  private labels = new Uint8Array(1024);
  private n = 0;
  private correct = 0;
  private logLossSum = 0;
  private squaredError = 0;
  private absoluteError = 0;
  private skipped = 0;

  /** @param threshold decision threshold for accuracy. @default 0.5 */
  constructor(task: ModelTask, threshold = 0.5) {
    this.task = task;
    this.threshold = threshold;
  }

  /** Rows whose prediction or label was missing or not a number (not counted in the metrics). */
  get skippedRows(): number {
    return this.skipped;
  }

  add(prediction: unknown, label: unknown): void {
    const p = toNumber(prediction);
    const y = toNumber(label);
    if (p === null || y === null) {
      this.skipped++;
      return;
    }
    if (this.task === 'regression') {
      this.n++;
      this.squaredError += (p - y) ** 2;
      this.absoluteError += Math.abs(p - y);
      return;
    }
    if (y !== 0 && y !== 1) {
      throw new RangeError(`a binary classifier's label must be 0 or 1, got ${String(label)}`);
    }
    if (this.n === this.scores.length) this.grow();
    this.scores[this.n] = p;
    this.labels[this.n] = y;
    this.n++;
    if ((p >= this.threshold ? 1 : 0) === y) this.correct++;
    const clipped = Math.min(Math.max(p, EPSILON), 1 - EPSILON);
    this.logLossSum -= y === 1 ? Math.log(clipped) : Math.log(1 - clipped);
  }

  merge(other: QualityAccumulator): void {
    if (other.task !== this.task)
      throw new RangeError(`cannot merge ${other.task} quality into ${this.task}`);
    if (this.task === 'binary-classification') {
      for (let i = 0; i < other.n; i++) {
        if (this.n === this.scores.length) this.grow();
        this.scores[this.n] = other.scores[i] as number;
        this.labels[this.n] = other.labels[i] as number;
        this.n++;
      }
    } else {
      this.n += other.n;
    }
    this.correct += other.correct;
    this.logLossSum += other.logLossSum;
    this.squaredError += other.squaredError;
    this.absoluteError += other.absoluteError;
    this.skipped += other.skipped;
  }

  finish(): QualityMetrics {
    const n = this.n;
    if (this.task === 'regression') {
      return {
        task: this.task,
        labeled: n,
        rmse: n > 0 ? Math.sqrt(this.squaredError / n) : null,
        mae: n > 0 ? this.absoluteError / n : null,
      };
    }
    return {
      task: this.task,
      labeled: n,
      auc: rocAuc(this.scores.subarray(0, n), this.labels.subarray(0, n)),
      accuracy: n > 0 ? this.correct / n : null,
      logLoss: n > 0 ? this.logLossSum / n : null,
    };
  }

  private grow(): void {
    const scores = new Float64Array(this.scores.length * 2);
    scores.set(this.scores);
    const labels = new Uint8Array(this.labels.length * 2);
    labels.set(this.labels);
    this.scores = scores;
    this.labels = labels;
  }
}

/** ROC AUC = (sum of positive ranks − n₊(n₊+1)/2) / (n₊ n₋), mid-ranks for ties; null without both classes. */
export function rocAuc(scores: Float64Array, labels: Uint8Array): number | null {
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] as number;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let rankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    const value = scores[order[i] as number] as number;
    while (j + 1 < n && scores[order[j + 1] as number] === value) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[order[k] as number] === 1) rankSum += midRank;
    i = j + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const x = Number(value);
  return Number.isFinite(x) ? x : null;
}
