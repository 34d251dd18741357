import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchTable } from '../../../functions/tracking/dispatch.ts';
import { ARTIFACT_ROUTES, TRACKING_ROUTES } from '../../../functions/tracking/routes.ts';
import { type MlflowHttp, startMlflowHttp } from './mlflow-http.ts';

const API = '/api/2.0/mlflow';

describe('tracking function over the local platform', () => {
  let http: MlflowHttp;

  beforeAll(async () => {
    http = await startMlflowHttp();
  });
  afterAll(async () => {
    await http.stop();
  });

  it('serves the default experiment 0 without any setup', async () => {
    const reply = await http.call('GET', `${API}/experiments/get`, undefined, { experiment_id: '0' });
    expect(reply.status).toBe(200);
    expect(reply.body.experiment).toMatchObject({
      experiment_id: '0',
      name: 'Default',
      lifecycle_stage: 'active',
      artifact_location: 'mlflow-artifacts:/0',
    });
  });

  it('creates a run that reads back with its logged metrics, params and tags', async () => {
    const created = await http.call('POST', `${API}/runs/create`, { experiment_id: '0', run_name: 'first' });
    expect(created.status).toBe(200);
    const runId = (created.body.run as { info: { run_id: string } }).info.run_id;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    const logged = await http.call('POST', `${API}/runs/log-batch`, {
      run_id: runId,
      metrics: [
        { key: 'loss', value: 0.9, timestamp: 10, step: 1 },
        { key: 'loss', value: 0.4, timestamp: 20, step: 2 },
      ],
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'team', value: 'ml' }],
    });
    expect(logged).toMatchObject({ status: 200, body: {} });
    const run = await http.call('GET', `${API}/runs/get`, undefined, { run_id: runId });
    expect(run.body.run).toMatchObject({
      info: { run_id: runId, run_uuid: runId, run_name: 'first', status: 'RUNNING' },
      data: {
        metrics: [{ key: 'loss', value: 0.4, timestamp: 20, step: 2 }],
        params: [{ key: 'lr', value: '0.1' }],
        tags: expect.arrayContaining([
          { key: 'team', value: 'ml' },
          { key: 'mlflow.runName', value: 'first' },
        ]),
      },
    });
  });

  it('answers ENDPOINT_NOT_FOUND in MLflow format for an unknown path under the MLflow prefix', async () => {
    const reply = await http.call('GET', `${API}/does-not-exist`);
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({
      error_code: 'ENDPOINT_NOT_FOUND',
      message: `No endpoint GET ${API}/does-not-exist`,
    });
  });

  it('answers 405 in MLflow format for a known path with the wrong method', async () => {
    const reply = await http.call('GET', `${API}/experiments/create`);
    expect(reply.status).toBe(405);
    expect(reply.body.error_code).toBe('ENDPOINT_NOT_FOUND');
  });

  it('serves the /ajax-api alias of the tracking routes', async () => {
    const reply = await http.call('GET', '/ajax-api/2.0/mlflow/experiments/get', undefined, {
      experiment_id: '0',
    });
    expect(reply.status).toBe(200);
    expect(reply.body.experiment).toMatchObject({ experiment_id: '0' });
  });
});

describe('dispatchTable', () => {
  it('refuses a declared route without an endpoint', () => {
    expect(() => dispatchTable([{ method: 'GET', path: '/x', scope: 'read' }], {})).toThrow(
      'no endpoint for declared route GET /x',
    );
  });

  it('maps every declared tracking and artifact route', async () => {
    const { trackingEndpoints } = await import('../../../functions/tracking/tracking-api.ts');
    const { artifactEndpoints } = await import('../../../functions/tracking/artifacts-api.ts');
    const tracking = dispatchTable(TRACKING_ROUTES, trackingEndpoints({} as never, {} as never));
    const artifacts = dispatchTable(ARTIFACT_ROUTES, artifactEndpoints({} as never));
    expect(Object.keys(tracking).sort()).toEqual(TRACKING_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    expect(Object.keys(artifacts).sort()).toEqual(ARTIFACT_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });
});

describe('getRun (run lookup for other capabilities)', () => {
  let http: MlflowHttp;

  beforeAll(async () => {
    http = await startMlflowHttp();
  });
  afterAll(async () => {
    await http.stop();
  });

  it('reads a run created through the API, and answers undefined for unknown or malformed ids', async () => {
    const { createTrackingStore, getRun } = await import('../../../functions/tracking/run-lookup.ts');
    const created = await http.call('POST', `${API}/runs/create`, {
      experiment_id: '0',
      run_name: 'lineage',
    });
    const runId = (created.body.run as { info: { run_id: string } }).info.run_id;
    const store = createTrackingStore(http.platform.config);
    expect((await getRun(store, runId))?.info).toMatchObject({
      runId,
      runName: 'lineage',
      experimentId: '0',
    });
    expect(await getRun(store, 'f'.repeat(32))).toBeUndefined();
    expect(await getRun(store, '../etc')).toBeUndefined();
  });
});

describe('tracking on a local platform started with --token', () => {
  it('refuses MLflow calls without the bearer token and serves them with it (MLFLOW_TRACKING_TOKEN)', async () => {
    const { startLocalPlatform } = await import('../../../infra/local/platform.ts');
    const platform = await startLocalPlatform({ port: 0, token: 's3cret' });
    try {
      const url = `${platform.url}${API}/experiments/get?experiment_id=0`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const ok = await fetch(url, { headers: { authorization: 'Bearer s3cret' } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ experiment: { experiment_id: '0' } });
    } finally {
      await platform.stop();
    }
  });
});
