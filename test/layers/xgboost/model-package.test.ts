import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ModelFormatError, ModelPackageError } from '../../../layers/xgboost/errors.ts';
import { createEvaluator, toMatrix } from '../../../layers/xgboost/evaluator.ts';
import {
  buildModelPackage,
  METADATA_FILE,
  MODEL_FILE,
  readModelPackage,
} from '../../../layers/xgboost/model-package.ts';
import { readTar, writeTar } from '../../../layers/xgboost/tar.ts';
import { train } from '../../../layers/xgboost/trainer.ts';

function smallModel() {
  const rows = Array.from({ length: 200 }, (_, i) => [i % 7, (i * 13) % 11, i % 5 === 0 ? null : i / 10]);
  const labels = Float32Array.from(rows, (r) => (r[0] as number) * 2 + ((r[1] as number) > 5 ? 3 : 0));
  return train({
    params: { objective: 'reg:squarederror', num_round: 5, max_depth: 3 },
    train: { matrix: toMatrix(rows, 3), labels },
    featureNames: ['a', 'b', 'c'],
  }).model;
}

describe('buildModelPackage / readModelPackage', () => {
  it('puts exactly one top-level file, xgboost-model, and the metadata under meta/', () => {
    const bytes = buildModelPackage(smallModel(), { metrics: { rmse: 1.5 } });
    const entries = readTar(gunzipSync(bytes));
    const topFiles = entries.filter((e) => !e.path.includes('/'));
    expect(topFiles.map((e) => e.path)).toEqual([MODEL_FILE]);
    expect(entries.map((e) => e.path)).toContain(METADATA_FILE);
    expect(Buffer.from(topFiles[0]!.data!).subarray(0, 2).toString()).toBe('{"');
  });

  it('reads back the model, which predicts as before, and its metadata', () => {
    const model = smallModel();
    const pkg = readModelPackage(buildModelPackage(model, { metrics: { rmse: 1.5 }, params: { eta: 0.3 } }));
    const x = toMatrix(
      [
        [1, 2, 3],
        [4, null, 6],
      ],
      3,
    );
    expect(createEvaluator(pkg.model).predict(x)).toEqual(createEvaluator(model).predict(x));
    expect(pkg.metadata).toMatchObject({
      objective: 'reg:squarederror',
      featureNames: ['a', 'b', 'c'],
      metrics: { rmse: 1.5 },
      params: { eta: '0.3' },
      signature: { outputs: [{ name: 'prediction', type: 'float' }] },
    });
  });

  it('rejects a package with a second top-level file, which SageMaker would load as an ensemble member', () => {
    const tar = writeTar([
      { path: MODEL_FILE, data: Buffer.from('{}') },
      { path: 'metadata.json', data: Buffer.from('{}') },
    ]);
    expect(() => readModelPackage(gzipSync(tar))).toThrow(
      new ModelPackageError(
        'model package must hold exactly one top-level file named xgboost-model, found: xgboost-model, metadata.json',
      ),
    );
  });

  it('rejects an xgboost-model in the binary format with a hint', () => {
    const tar = writeTar([{ path: MODEL_FILE, data: Uint8Array.from([0x62, 0x69, 0x6e]) }]);
    expect(() => readModelPackage(gzipSync(tar))).toThrow(ModelFormatError);
  });

  it('rejects bytes that are not gzip', () => {
    expect(() => readModelPackage(Buffer.from('plain'))).toThrow(
      new ModelPackageError('model package is not gzip-compressed (expected model.tar.gz)'),
    );
  });
});
