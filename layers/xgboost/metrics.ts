/**
 * Evaluation metrics with XGBoost's names, computed on predictions in output space.
 */
import { TrainingParameterError } from './errors.ts';

export const METRIC_NAMES = ['rmse', 'mae', 'logloss', 'auc', 'error', 'mlogloss', 'merror'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Whether a larger value of the metric is better. */
export function maximizes(metric: MetricName): boolean {
  return metric === 'auc';
}

export function parseMetric(name: string): MetricName {
  if ((METRIC_NAMES as readonly string[]).includes(name)) return name as MetricName;
  throw new TrainingParameterError(`unsupported eval_metric ${name} (supported: ${METRIC_NAMES.join(', ')})`);
}

/**
 * The metric over `predictions` (`rows × width`: one value per row, or class probabilities when
 * `width > 1`) against `labels`.
 */
export function evaluateMetric(
  metric: MetricName,
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  width = 1,
): number {
  const n = labels.length;
  if (n === 0) return Number.NaN;
  switch (metric) {
    case 'rmse': {
      let s = 0;
      for (let i = 0; i < n; i++) s += ((predictions[i] as number) - (labels[i] as number)) ** 2;
      return Math.sqrt(s / n);
    }
    case 'mae': {
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs((predictions[i] as number) - (labels[i] as number));
      return s / n;
    }
    case 'logloss': {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const p = Math.min(Math.max(predictions[i] as number, 1e-16), 1 - 1e-16);
        s -= (labels[i] as number) === 1 ? Math.log(p) : Math.log(1 - p);
      }
      return s / n;
    }
    case 'error': {
      let wrong = 0;
      for (let i = 0; i < n; i++)
        if ((predictions[i] as number) > 0.5 !== ((labels[i] as number) === 1)) wrong++;
      return wrong / n;
    }
    case 'auc':
      return auc(predictions, labels);
    case 'mlogloss': {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const p = predictions[i * width + (labels[i] as number)] as number;
        s -= Math.log(Math.min(Math.max(p, 1e-16), 1 - 1e-16));
      }
      return s / n;
    }
    case 'merror': {
      let wrong = 0;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let k = 1; k < width; k++) {
          if ((predictions[i * width + k] as number) > (predictions[i * width + best] as number)) best = k;
        }
        if (best !== labels[i]) wrong++;
      }
      return wrong / n;
    }
  }
}

/** Area under the ROC curve, ties counted half (the Mann–Whitney statistic). */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (scores[a] as number) - (scores[b] as number),
  );
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if ((labels[order[k] as number] as number) === 1) {
        positives++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
