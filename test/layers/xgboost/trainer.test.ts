import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluator, toMatrix } from '../../../layers/xgboost/evaluator.ts';
import { auc, evaluateMetric } from '../../../layers/xgboost/metrics.ts';
import { buildModelPackage, readModelPackage } from '../../../layers/xgboost/model-package.ts';
import { type TrainResult, train } from '../../../layers/xgboost/trainer.ts';
import { maxUlps } from './float32-ulps.ts';
import { runPython, xgboostMissing } from './python-xgboost.ts';

interface Split {
  x: (number | null)[][];
  y: number[];
}
interface TaskData {
  params: Record<string, number | string>;
  train: Split;
  valid: Split;
  test: Split;
}
interface Check {
  pred: number[][];
  margin: number[][];
  container: number[][];
  base_score: string;
  trees_before: number;
  trees_after: number;
  continued_pred_finite: boolean;
}

const TASKS = ['regression', 'binary', 'multiclass', 'early'] as const;

function labelled(split: Split) {
  return { matrix: toMatrix(split.x, 8), labels: Float32Array.from(split.y) };
}

function testMetric(task: string, predictions: Float32Array, labels: number[]): number {
  if (task === 'regression') return evaluateMetric('rmse', predictions, labels);
  if (task === 'multiclass') return 1 - evaluateMetric('merror', predictions, labels, 3);
  return auc(predictions, labels);
}

describe.runIf(!xgboostMissing)('train (hist) against real xgboost 1.7', () => {
  let dir: string;
  const data = new Map<string, TaskData>();
  const results = new Map<string, TrainResult>();
  let checks: Record<string, Check>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mlops-xgb-train-'));
    runPython('kit_models.py', ['data', dir]);
    for (const task of TASKS) {
      const d = JSON.parse(readFileSync(join(dir, `${task}.data.json`), 'utf8')) as TaskData;
      data.set(task, d);
      const result = train({ params: d.params, train: labelled(d.train), validation: labelled(d.valid) });
      results.set(task, result);
      // Through the package, as SageMaker receives it: the extracted xgboost-model is what xgboost loads.
      const pkg = readModelPackage(buildModelPackage(result.model));
      mkdirSync(join(dir, task));
      writeFileSync(join(dir, task, 'xgboost-model'), pkg.modelText);
    }
    checks = JSON.parse(runPython('kit_models.py', ['check', dir, ...TASKS])) as Record<string, Check>;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(TASKS)('writes %s models that xgboost loads and predicts like the kit', (task) => {
    const evaluator = createEvaluator(results.get(task)!.model);
    const matrix = toMatrix(data.get(task)!.test.x, 8);
    // Margins bit for bit; outputs within one float32 ulp (libm's expf against Math.exp).
    expect(Array.from(evaluator.margins(matrix))).toEqual(checks[task]!.margin.flat());
    expect(maxUlps(evaluator.predict(matrix), checks[task]!.pred.flat())).toBeLessThanOrEqual(1);
    expect(maxUlps(evaluator.predict(matrix), checks[task]!.container.flat())).toBeLessThanOrEqual(1);
  });

  it.each(TASKS)('lets xgboost continue training from the %s model', (task) => {
    const groups = task === 'multiclass' ? 3 : 1;
    expect(checks[task]!.trees_before).toBe(results.get(task)!.model.trees.length);
    expect(checks[task]!.trees_after).toBe(checks[task]!.trees_before + 3 * groups);
    expect(checks[task]!.continued_pred_finite).toBe(true);
  });

  it('writes base_score so that xgboost reads it back unchanged', () => {
    expect(Math.fround(Number(checks.regression!.base_score))).toBe(Math.fround(5.123456789));
  });

  it.each(TASKS)('reaches xgboost hist quality within 1%% on %s', (task) => {
    const d = data.get(task)!;
    const kit = testMetric(
      task,
      createEvaluator(results.get(task)!.model).predict(toMatrix(d.test.x, 8)),
      d.test.y,
    );
    const reference = (JSON.parse(readFileSync(join(dir, `${task}.xgb.json`), 'utf8')) as { metric: number })
      .metric;
    // RMSE: lower is better; AUC and accuracy: higher is better.
    if (task === 'regression') expect(kit).toBeLessThanOrEqual(reference * 1.01);
    else expect(kit).toBeGreaterThanOrEqual(reference * 0.99);
  });

  it('stops early on the validation metric and keeps the rounds up to the best one', () => {
    const result = results.get('early')!;
    expect(result.history.length).toBeLessThan(200);
    expect(result.history.length).toBe(result.bestIteration + 1 + 5);
    expect(result.model.trees).toHaveLength(result.bestIteration + 1);
    const best = Math.min(...result.history.map((h) => h.validation!));
    expect(result.history[result.bestIteration]!.validation).toBe(best);
    expect(result.model.attributes.best_ntree_limit).toBe(String(result.bestIteration + 1));
  });
});
