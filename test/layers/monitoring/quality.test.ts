import { describe, expect, it } from 'vitest';
import { QualityAccumulator } from '../../../layers/monitoring/quality.ts';
import { python, scipyAvailable } from './python-reference.ts';
import { Generator } from './synthetic.ts';

function classification(seed: number, n: number) {
  const g = new Generator(seed);
  const scores: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    // Scores rounded to two decimals so that ties occur.
    const score = Math.round(g.next() * 100) / 100;
    scores.push(score);
    labels.push(g.next() < score ? 1 : 0);
  }
  return { scores, labels };
}

describe.runIf(scipyAvailable)('quality metrics against SciPy and NumPy', () => {
  it('gives AUC as the Mann-Whitney U of scipy.stats.mannwhitneyu, accuracy and log loss', () => {
    const { scores, labels } = classification(4, 3000);
    const accumulator = new QualityAccumulator('binary-classification');
    scores.forEach((s, i) => {
      accumulator.add(s, labels[i]);
    });
    const expected = python<{ auc: number; accuracy: number; logLoss: number }>(
      `s = np.array(data['scores']); y = np.array(data['labels'])
u = scipy.stats.mannwhitneyu(s[y == 1], s[y == 0]).statistic
p = np.clip(s, 1e-15, 1 - 1e-15)
out = {'auc': float(u / ((y == 1).sum() * (y == 0).sum())),
       'accuracy': float(((s >= 0.5).astype(int) == y).mean()),
       'logLoss': float(-np.mean(scipy.special.xlogy(y, p) + scipy.special.xlogy(1 - y, 1 - p)))}`,
      { scores, labels },
    );
    const metrics = accumulator.finish();
    expect(metrics.labeled).toBe(3000);
    expect(metrics.auc).toBeCloseTo(expected.auc, 12);
    expect(metrics.accuracy).toBeCloseTo(expected.accuracy, 12);
    expect(metrics.logLoss).toBeCloseTo(expected.logLoss, 10);
  });

  it('gives RMSE and MAE as NumPy does', () => {
    const g = new Generator(8);
    const truth = g.normals(2000, 50, 10);
    const predicted = truth.map((y) => y + g.normal(0.5, 3));
    const accumulator = new QualityAccumulator('regression');
    predicted.forEach((p, i) => {
      accumulator.add(p, truth[i]);
    });
    const expected = python<{ rmse: number; mae: number }>(
      `p = np.array(data[0]); y = np.array(data[1])
out = {'rmse': float(np.sqrt(np.mean((p - y) ** 2))), 'mae': float(np.mean(np.abs(p - y)))}`,
      [predicted, truth],
    );
    const metrics = accumulator.finish();
    expect(metrics.rmse).toBeCloseTo(expected.rmse, 10);
    expect(metrics.mae).toBeCloseTo(expected.mae, 10);
  });
});

describe('QualityAccumulator', () => {
  it('gives the same metrics merged from chunks as in one pass', () => {
    const { scores, labels } = classification(12, 2500);
    const whole = new QualityAccumulator('binary-classification');
    const parts = [
      new QualityAccumulator('binary-classification'),
      new QualityAccumulator('binary-classification'),
    ];
    scores.forEach((s, i) => {
      whole.add(s, labels[i]);
      parts[i % 2]!.add(s, labels[i]);
    });
    parts[0]!.merge(parts[1]!);
    const a = whole.finish();
    const b = parts[0]!.finish();
    expect(b.labeled).toBe(a.labeled);
    expect(b.auc).toBeCloseTo(a.auc!, 12);
    expect(b.logLoss).toBeCloseTo(a.logLoss!, 10);
    expect(b.accuracy).toBe(a.accuracy);
  });

  it('skips rows without a label and reports null AUC when one class is absent', () => {
    const accumulator = new QualityAccumulator('binary-classification');
    accumulator.add(0.9, 1);
    accumulator.add(0.8, null);
    accumulator.add(null, 0);
    const metrics = accumulator.finish();
    expect(accumulator.skippedRows).toBe(2);
    expect(metrics).toMatchObject({ labeled: 1, auc: null, accuracy: 1 });
    expect(new QualityAccumulator('regression').finish()).toEqual({
      task: 'regression',
      labeled: 0,
      rmse: null,
      mae: null,
    });
  });

  it('throws RangeError for a label that is not 0 or 1', () => {
    expect(() => new QualityAccumulator('binary-classification').add(0.4, 2)).toThrow(
      "a binary classifier's label must be 0 or 1, got 2",
    );
  });
});
