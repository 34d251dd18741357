import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { DynamoDbFeatureRegistryStore } from '../../../layers/features/registry-store.ts';
import { buildTrainingSet, type TrainingSetManifest } from '../../../layers/features/training-set.ts';
import {
  append,
  createTable,
  type LakehouseClients,
  lakehouseContext,
  openTable,
  readTable,
} from '../../../layers/lakehouse/index.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { loadGeneratedData } from '../../layers/features/lakehouse-fixtures.ts';
import { generateData } from '../../layers/features/pit-data.ts';

async function api(
  platform: LocalPlatform,
  method: string,
  path: string,
  fields: Record<string, unknown> = {},
) {
  const url = new URL(path, platform.url);
  if (method === 'GET') for (const [k, v] of Object.entries(fields)) url.searchParams.append(k, String(v));
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body: JSON.stringify(fields) }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(200);
  return body;
}

describe('lineage end to end', () => {
  let platform: LocalPlatform;
  let lake: LakehouseClients;
  let dir: string;
  let manifest: TrainingSetManifest;
  let runId: string;

  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
    lake = lakehouseContext(platform.config);
    dir = mkdtempSync(join(tmpdir(), 'mlops-lineage-e2e-'));
    const features = new DynamoDbFeatureRegistryStore(
      createDocumentClient(createDynamoDbClient(platform.config)),
      'mlops_feature_registry',
    );
    // Source tables and a feature service, then a training set built from them by the feature store.
    const data = generateData(dir, 3, 60);
    await loadGeneratedData(lake, features, data, (name) => `s3://mlops-lakehouse/features/${name}`);
    const entities = openTable(lake, 's3://mlops-lakehouse/training/entities');
    await createTable(entities, {
      columns: [
        { name: 'customer_id', type: 'string' },
        { name: 'merchant_id', type: 'long' },
        { name: 'event_timestamp', type: 'timestamp' },
        { name: 'label', type: 'integer' },
      ],
    });
    await append(entities, data.entityRows);
    manifest = await buildTrainingSet(
      { registry: features, openTable: (uri) => openTable(lake, uri) },
      {
        service: 'generated',
        entities: { kind: 'table', uri: 's3://mlops-lakehouse/training/entities' },
        out: 's3://mlops-lakehouse/training/churn',
      },
    );

    // A real run that logs the training set as its input table and the code revision.
    const experiment = await api(platform, 'POST', '/api/2.0/mlflow/experiments/create', { name: 'churn' });
    const run = await api(platform, 'POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: experiment.experiment_id,
      start_time: Date.now(),
      tags: [{ key: 'mlflow.source.git.commit', value: '9f1c2e7' }],
    });
    runId = (run.run as { info: { run_id: string } }).info.run_id;
    await api(platform, 'POST', '/api/2.0/mlflow/runs/log-inputs', {
      run_id: runId,
      datasets: [
        {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: {
            name: 'churn-training',
            digest: 'd1',
            source_type: 'delta',
            source: JSON.stringify({ table: manifest.output.table, version: manifest.output.version }),
          },
        },
      ],
    });
    await api(platform, 'POST', '/api/2.0/mlflow/registered-models/create', { name: 'churn' });
    await api(platform, 'POST', '/api/2.0/mlflow/model-versions/create', {
      name: 'churn',
      source: `mlflow-artifacts:/${experiment.experiment_id}/${runId}/artifacts/model`,
      run_id: runId,
    });
  });

  afterAll(async () => {
    lake.destroy();
    await platform.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('follows model version → run → training set table@version → source tables@version → feature views', async () => {
    const lineage = await api(platform, 'GET', '/api/2.0/mlops/lineage', { name: 'churn', version: '1' });
    expect(lineage).toMatchObject({
      model_version: { name: 'churn', version: '1', run_id: runId },
      run: { run_id: runId, found: true, status: 'RUNNING' },
      training_sets: [
        {
          table: 's3://mlops-lakehouse/training/churn',
          version: manifest.output.version,
          source_tables: manifest.sourceTables,
          feature_service: manifest.featureService,
          feature_views: manifest.featureViews,
        },
      ],
      source_tables: manifest.sourceTables,
      feature_service: manifest.featureService,
      feature_views: manifest.featureViews,
      git_sha: '9f1c2e7',
    });
    expect(manifest.sourceTables.length).toBeGreaterThan(0);
    expect(manifest.sourceTables.every((table) => table.version > 0)).toBe(true);
  });

  it("follows the same chain from a prediction row's model_version", async () => {
    const predictions = openTable(lake, 's3://mlops-lakehouse/predictions/churn');
    await createTable(predictions, {
      columns: [
        { name: 'customer_id', type: 'string' },
        { name: 'score', type: 'double' },
        { name: 'model_version', type: 'string' },
      ],
    });
    await append(predictions, [{ customer_id: 'c1', score: 0.42, model_version: 'models:/churn/1' }]);
    const { rows } = await readTable(predictions, { where: "customer_id = 'c1'" });
    const fromRow = await api(platform, 'GET', '/api/2.0/mlops/lineage', {
      model_version: String(rows[0]?.model_version),
    });
    const fromVersion = await api(platform, 'GET', '/api/2.0/mlops/lineage', { name: 'churn', version: '1' });
    expect(fromRow).toEqual(fromVersion);
  });
});
