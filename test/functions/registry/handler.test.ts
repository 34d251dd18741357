import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunLookup, RunSummary } from '../../../functions/registry/lineage.ts';
import { routeKey } from '../../../infra/platform/api.ts';
import { FUNCTIONS } from '../../../infra/platform/functions.ts';
import { type Harness, R, startHarness, V } from './registry-harness.ts';

const RUNS: Record<string, RunSummary> = {
  'run-7': {
    runId: 'run-7',
    experimentId: '3',
    status: 'FINISHED',
    artifactUri: 'mlflow-artifacts:/3/run-7/artifacts',
    tags: {
      'mlflow.source.git.commit': 'feedbeef',
      'mlops.lineage.source_tables': 'raw.customers@40,raw.orders@7',
    },
    datasets: [
      { name: 'churn_train@12', context: 'training' },
      { name: 'holdout', source: '{"table":"churn_eval","version":5}', context: 'evaluation' },
    ],
  },
};
const runs: RunLookup = {
  getRun: async (runId) => RUNS[runId],
  loggedModelArtifactUri: async (modelId) =>
    modelId === 'm-0123' ? 'mlflow-artifacts:/3/models/m-0123/artifacts' : undefined,
};

describe('registry handler', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ runs });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('serves every route declared for it', async () => {
    for (const route of FUNCTIONS.registry.routes) {
      const response = await h.call(route.method, route.path, {});
      expect(response.body.error_code, routeKey(route)).not.toBe('ENDPOINT_NOT_FOUND');
    }
  });

  it('records lineage from the run and the version tags, and answers it by version and by prediction row', async () => {
    await h.call('POST', `${R}/create`, { name: 'churn' });
    await h.call('POST', `${V}/create`, {
      name: 'churn',
      source: 'mlflow-artifacts:/3/run-7/artifacts/model',
      run_id: 'run-7',
      tags: [
        { key: 'mlops.lineage.feature_service', value: 'churn@3' },
        { key: 'mlops.lineage.feature_views', value: 'customer_stats@2,order_stats@1' },
      ],
    });
    const expected = {
      run: { run_id: 'run-7', experiment_id: '3', found: true, status: 'FINISHED' },
      source: 'mlflow-artifacts:/3/run-7/artifacts/model',
      training_sets: [{ table: 'churn_train', version: 12 }],
      source_tables: [
        { table: 'raw.customers', version: 40 },
        { table: 'raw.orders', version: 7 },
      ],
      feature_service: { name: 'churn', version: 3 },
      feature_views: [
        { name: 'customer_stats', version: 2 },
        { name: 'order_stats', version: 1 },
      ],
      git_sha: 'feedbeef',
      promoted_from: null,
    };
    const byVersion = await h.call('GET', '/api/2.0/mlops/lineage', { name: 'churn', version: '1' });
    expect(byVersion.status).toBe(200);
    expect(byVersion.body).toMatchObject({ ...expected, model_version: { name: 'churn', version: '1' } });
    for (const modelVersion of ['models:/churn/1', 'churn/1']) {
      const byRow = await h.call('GET', '/api/2.0/mlops/lineage', { model_version: modelVersion });
      expect(byRow.body, modelVersion).toEqual(byVersion.body);
    }
    const bare = await h.call('GET', '/api/2.0/mlops/lineage', { model_version: '1', name: 'churn' });
    expect(bare.body).toEqual(byVersion.body);
  });

  it('resolves models:/ and runs:/ sources to artifact URIs for get-download-uri, as MLflow does', async () => {
    await h.call('POST', `${R}/create`, { name: 'sources' });
    await h.call('POST', `${V}/create`, { name: 'sources', source: 'models:/m-0123', model_id: 'm-0123' });
    await h.call('POST', `${V}/create`, { name: 'sources', source: 'runs:/run-7/model' });
    await h.call('POST', `${V}/create`, { name: 'sources', source: 'models:/m-unknown' });
    const uri = async (version: string) =>
      (await h.call('GET', `${V}/get-download-uri`, { name: 'sources', version })).body.artifact_uri;
    expect(await uri('1')).toBe('mlflow-artifacts:/3/models/m-0123/artifacts');
    expect(await uri('2')).toBe('mlflow-artifacts:/3/run-7/artifacts/model');
    expect(await uri('3')).toBe('models:/m-unknown');
  });

  it('lists the audit trail oldest first, page by page', async () => {
    await h.call('POST', `${R}/create`, { name: 'paged' });
    for (let i = 0; i < 3; i += 1)
      await h.call('POST', `${R}/set-tag`, { name: 'paged', key: 'k', value: String(i) });
    const first = await h.call('GET', '/api/2.0/mlops/audit', { name: 'paged', max_results: 2 });
    const second = await h.call('GET', '/api/2.0/mlops/audit', {
      name: 'paged',
      max_results: 2,
      page_token: first.body.next_page_token,
    });
    const records = [
      ...(first.body.records as { after?: unknown }[]),
      ...(second.body.records as { after?: unknown }[]),
    ];
    expect(records.map((r) => r.after)).toEqual([{ tags: {} }, '0', '1', '2']);
  });
});
