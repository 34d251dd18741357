import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluator, toMatrix } from '../../../layers/xgboost/evaluator.ts';
import { parseXgbModel } from '../../../layers/xgboost/model-json.ts';
import { readModelPackage } from '../../../layers/xgboost/model-package.ts';
import { float32Repr } from '../../../layers/xgboost/sagemaker-protocol.ts';

const BIN = new URL('../../../bin/mlops.mjs', import.meta.url).pathname;
let dir: string;

function mlops(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Rows of a, b, c with some empty cells, and a 0/1 label. */
function rows(n: number, seed: number): (number | null)[][] {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: n }, () => {
    const a = next() * 4 - 2;
    const b = next() * 4 - 2;
    const c = Math.floor(next() * 5);
    const label = a + 0.5 * b + (next() - 0.5) > 0 ? 1 : 0;
    return [next() < 0.1 ? null : a, next() < 0.1 ? null : b, c, label];
  });
}

function csv(header: string[], data: (number | null)[][]): string {
  return `${header.join(',')}\n${data.map((r) => r.map((v) => (v === null ? '' : String(v))).join(',')).join('\n')}\n`;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlops-model-cli-'));
  writeFileSync(join(dir, 'train.csv'), csv(['a', 'b', 'c', 'label'], rows(400, 1)));
  writeFileSync(join(dir, 'valid.csv'), csv(['a', 'b', 'c', 'label'], rows(150, 2)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mlops model', () => {
  it('trains with xgboost parameter names and early stopping, then predicts one line per row', async () => {
    const run = await mlops([
      'model',
      'train',
      '--input',
      join(dir, 'train.csv'),
      '--label',
      'label',
      '--objective',
      'binary:logistic',
      '--param',
      'max_depth=3',
      '--param',
      'eta=0.5',
      '--param',
      'num_round=200',
      '--param',
      'early_stopping_rounds=3',
      '--validation',
      join(dir, 'valid.csv'),
      '--out',
      join(dir, 'model.json'),
      '--package',
      join(dir, 'model.tar.gz'),
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const model = parseXgbModel(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(model.featureNames).toEqual(['a', 'b', 'c']);
    expect(model.trees.length).toBeLessThan(200);
    const pkg = readModelPackage(readFileSync(join(dir, 'model.tar.gz')));
    expect(Object.keys(pkg.metadata.metrics)).toEqual(['train_logloss', 'validation_logloss']);

    // Columns are taken by name, in the model's order, whatever the file's order.
    writeFileSync(join(dir, 'score.csv'), 'c,label,b,a\n3,0,-1,1.5\n0,1,,\n');
    const predicted = await mlops([
      'model',
      'predict',
      '--model',
      join(dir, 'model.json'),
      '--input',
      join(dir, 'score.csv'),
    ]);
    expect(predicted.code).toBe(0);
    const expected = createEvaluator(model).predict(
      toMatrix(
        [
          [1.5, -1, 3],
          [null, null, 0],
        ],
        3,
      ),
    );
    expect(predicted.stdout).toBe(`${float32Repr(expected[0]!)}\n${float32Repr(expected[1]!)}\n`);
  });

  it('reads Parquet and writes multi:softprob probabilities comma-separated to --output', async () => {
    const data = rows(300, 3);
    const columnData = ['a', 'b', 'c'].map((name, c) => ({
      name,
      data: data.map((r) => r[c] ?? null),
      type: 'DOUBLE' as const,
      nullable: true,
    }));
    columnData.push({
      name: 'label',
      data: data.map((r) => (r[2]! % 3) as number),
      type: 'DOUBLE',
      nullable: true,
    });
    writeFileSync(join(dir, 'train.parquet'), Buffer.from(parquetWriteBuffer({ columnData })));
    const trained = await mlops([
      'model',
      'train',
      '--input',
      join(dir, 'train.parquet'),
      '--label',
      'label',
      '--objective',
      'multi:softprob',
      '--param',
      'num_class=3',
      '--param',
      'num_round=5',
      '--out',
      join(dir, 'multi.json'),
    ]);
    expect(trained.stderr).toBe('');
    writeFileSync(join(dir, 'rows.csv'), '1,2,0\n0.5,,4\n');
    const run = await mlops([
      'model',
      'predict',
      '--model',
      join(dir, 'multi.json'),
      '--input',
      join(dir, 'rows.csv'),
      '--output',
      join(dir, 'out.csv'),
    ]);
    expect(run.code).toBe(0);
    const lines = readFileSync(join(dir, 'out.csv'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const probabilities = lines[0]!.split(',').map(Number);
    expect(probabilities).toHaveLength(3);
    expect(probabilities.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
  });

  it('reports a non-numeric value, a wrong feature count and a malformed model in one line each', async () => {
    writeFileSync(join(dir, 'bad.csv'), 'a,b,c\n1,x,3\n');
    writeFileSync(join(dir, 'wide.csv'), '1,2,3,4\n');
    writeFileSync(join(dir, 'broken.json'), '{"learner": {"objective": {"name": "reg:squarederror"}}}');
    const model = join(dir, 'model.json');
    const [nonNumeric, wide, broken] = await Promise.all([
      mlops(['model', 'predict', '--model', model, '--input', join(dir, 'bad.csv')]),
      mlops(['model', 'predict', '--model', model, '--input', join(dir, 'wide.csv')]),
      mlops(['model', 'predict', '--model', join(dir, 'broken.json'), '--input', join(dir, 'wide.csv')]),
    ]);
    expect(nonNumeric).toMatchObject({ code: 1, stderr: 'mlops: row 1, column b: "x" is not a number\n' });
    expect(wide).toMatchObject({
      code: 1,
      stderr: 'mlops: input has 4 columns but the model has 3 features (a, b, c)\n',
    });
    expect(broken).toMatchObject({ code: 1, stderr: 'mlops: learner has no learner_model_param\n' });
  });
});
