import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { createEvaluator, toMatrix } from '../../../layers/xgboost/evaluator.ts';
import { logModel, mlflowModelFiles } from '../../../layers/xgboost/mlflow-model.ts';
import { parseXgbModel } from '../../../layers/xgboost/model-json.ts';
import { buildModelPackage, describeModel, readModelPackage } from '../../../layers/xgboost/model-package.ts';
import { train } from '../../../layers/xgboost/trainer.ts';

const rows = Array.from({ length: 100 }, (_, i) => [i % 10, (i * 7) % 5]);
const model = train({
  params: { objective: 'reg:squarederror', num_round: 4, max_depth: 2 },
  train: { matrix: toMatrix(rows, 2), labels: Float32Array.from(rows, (r) => r[0]! * 2) },
  featureNames: ['x1', 'x2'],
}).model;
const metadata = describeModel(model, { metrics: { rmse: 0.5 }, params: { max_depth: 2 } });

describe('mlflowModelFiles', () => {
  it('writes an MLmodel with the xgboost and python_function flavors and the signature', () => {
    const files = mlflowModelFiles(model, metadata, buildModelPackage(model), { modelId: 'm-1' });
    const mlmodel = Buffer.from(files.MLmodel!).toString();
    expect(mlmodel).toContain(
      '  xgboost:\n    code: null\n    data: model.json\n    model_class: xgboost.core.Booster',
    );
    expect(mlmodel).toContain('    loader_module: mlflow.xgboost');
    expect(mlmodel).toContain(
      `  inputs: '[{"type":"double","name":"x1","required":true},{"type":"double","name":"x2","required":true}]'`,
    );
    expect(mlmodel).toContain('model_id: m-1');
    expect(Object.keys(files).sort()).toEqual([
      'MLmodel',
      'mlops-model.json',
      'model.json',
      'model.tar.gz',
      'requirements.txt',
    ]);
  });
});

describe('logModel through the tracking API', () => {
  let platform: LocalPlatform;
  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
  });
  afterAll(async () => platform?.stop());

  it('creates a READY logged model whose artifacts hold the package and the MLflow files', async () => {
    const api = (path: string, init?: RequestInit) => fetch(`${platform.url}${path}`, init);
    const created = (await (
      await api('/api/2.0/mlflow/experiments/create', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'churn' }),
      })
    ).json()) as { experiment_id: string };
    const logged = await logModel({
      trackingUri: platform.url,
      experimentId: created.experiment_id,
      name: 'churn-xgb',
      model,
      metadata,
      packageBytes: buildModelPackage(model, { metrics: { rmse: 0.5 } }),
    });
    const got = (await (await api(`/api/2.0/mlflow/logged-models/${logged.modelId}`)).json()) as {
      model: { info: { status: string; name: string; artifact_uri: string } };
    };
    expect(got.model.info).toMatchObject({ status: 'LOGGED_MODEL_READY', name: 'churn-xgb' });
    const root = got.model.info.artifact_uri.replace(/^mlflow-artifacts:\/*/, '');
    const download = async (path: string) =>
      new Uint8Array(await (await api(`/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`)).arrayBuffer());
    const pkg = readModelPackage(await download('model.tar.gz'));
    const json = parseXgbModel(Buffer.from(await download('model.json')).toString());
    const x = toMatrix([[3, 1]], 2);
    expect(createEvaluator(json).predict(x)).toEqual(createEvaluator(model).predict(x));
    expect(pkg.metadata.metrics).toEqual({ rmse: 0.5 });
    expect(Buffer.from(await download('MLmodel')).toString()).toContain(`model_id: ${logged.modelId}`);
  });
});
