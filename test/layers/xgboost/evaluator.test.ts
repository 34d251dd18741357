import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelInputError } from '../../../layers/xgboost/errors.ts';
import { createEvaluator, toMatrix } from '../../../layers/xgboost/evaluator.ts';
import { expf } from '../../../layers/xgboost/expf.ts';
import { parseXgbModel } from '../../../layers/xgboost/model-json.ts';
import { maxUlps } from './float32-ulps.ts';
import { runPython, xgboostMissing } from './python-xgboost.ts';

interface Case {
  x: (number | null)[][];
  pred: number[][];
  margin: number[][];
  container?: number[][];
  best_ntree_limit?: number;
  total_trees?: number;
}

describe.runIf(!xgboostMissing)('createEvaluator against real xgboost 1.7', () => {
  let dir: string;
  const cases = new Map<string, { text: string; data: Case }>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mlops-xgb-ref-'));
    runPython('reference_models.py', [dir]);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.case.json'))) {
      const name = file.replace('.case.json', '');
      cases.set(name, {
        text: readFileSync(join(dir, `${name}.model.json`), 'utf8'),
        data: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Case,
      });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const names = [
    'reg_hist',
    'reg_exact',
    'reg_cat',
    'reg_logistic',
    'bin_logistic_cat',
    'bin_logistic_base03',
    'bin_logitraw',
    'multi_softprob_cat',
    'multi_softmax',
    'poisson',
    'gamma',
    'tweedie',
    'forest',
    'early_stopped',
  ];
  it.each(names)('predicts %s within one float32 ulp of Booster.predict', (name) => {
    const entry = cases.get(name);
    expect(entry).toBeDefined();
    const model = parseXgbModel(entry!.text);
    const evaluator = createEvaluator(model);
    const matrix = toMatrix(entry!.data.x, model.numFeature);
    expect(maxUlps(evaluator.margins(matrix), entry!.data.margin.flat())).toBeLessThanOrEqual(1);
    expect(maxUlps(evaluator.predict(matrix), entry!.data.pred.flat())).toBeLessThanOrEqual(1);
  });

  it('reads the bare NaN xgboost writes for categorical splits', () => {
    const text = cases.get('reg_cat')!.text;
    expect(text).toMatch(/[,[]NaN[,\]]/);
    const model = parseXgbModel(text);
    expect(model.trees.some((tree) => tree.categoriesNodes.length > 0)).toBe(true);
  });

  it('uses only best_ntree_limit rounds in container mode, like the SageMaker container', () => {
    const { text, data } = cases.get('early_stopped')!;
    const model = parseXgbModel(text);
    const plain = createEvaluator(model);
    const container = createEvaluator(model, { containerMode: true });
    expect(plain.treeCount).toBe(data.total_trees);
    expect(container.treeCount).toBe((data.best_ntree_limit ?? 0) * 3);
    expect(container.treeCount).toBeLessThan(plain.treeCount);
    const matrix = toMatrix(data.x, model.numFeature);
    expect(maxUlps(container.predict(matrix), data.container!.flat())).toBeLessThanOrEqual(1);
  });

  it('computes expf exactly as glibc does', () => {
    const { x, y } = JSON.parse(readFileSync(join(dir, 'expf.json'), 'utf8')) as { x: number[]; y: number[] };
    expect(x.map(expf)).toEqual(y);
  });

  it('treats trailing columns the input lacks as missing', () => {
    const { text, data } = cases.get('reg_hist')!;
    const evaluator = createEvaluator(parseXgbModel(text));
    const short = data.x.map((row) => row.slice(0, 4));
    const padded = data.x.map((row) => [...row.slice(0, 4), null, null]);
    expect(evaluator.predict(toMatrix(short))).toEqual(evaluator.predict(toMatrix(padded)));
  });

  it('throws ModelInputError when the input has more columns than the model', () => {
    const evaluator = createEvaluator(parseXgbModel(cases.get('reg_hist')!.text));
    expect(() => evaluator.predict(toMatrix([[1, 2, 3, 4, 5, 6, 7]]))).toThrow(
      new ModelInputError('input has 7 columns but the model has 6 features'),
    );
  });
});
