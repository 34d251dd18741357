import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { MlflowApiError, MlflowClient, metricValue } from '../../../layers/mlflow-client/index.ts';

describe('MlflowClient against the local platform', () => {
  let platform: LocalPlatform;
  let client: MlflowClient;

  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
    client = new MlflowClient({ trackingUri: platform.url });
  });
  afterAll(async () => {
    await platform.stop();
  });

  it('creates or finds an experiment by name, and answers undefined for a missing one', async () => {
    const id = await client.getOrCreateExperiment('client-exp');
    expect(await client.getOrCreateExperiment('client-exp')).toBe(id);
    expect((await client.getExperiment(id)).name).toBe('client-exp');
    expect(await client.getExperimentByName('nope')).toBeUndefined();
  });

  it('logs a run in chunks MLflow accepts and reads it back, NaN included', async () => {
    const experimentId = await client.getOrCreateExperiment('client-runs');
    const run = await client.createRun({ experimentId, runName: 'chunked', tags: { team: 'ml' } });
    const metrics = Array.from({ length: 2500 }, (_, step) => ({
      key: 'loss',
      value: 1 / (step + 1),
      step,
      timestamp: 1,
    }));
    await client.logBatch(run.info.run_id, {
      metrics: [...metrics, { key: 'odd', value: Number.NaN }],
      params: Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, String(i)])),
    });
    const history = await client.getMetricHistory(run.info.run_id, 'loss');
    expect(history.map((point) => point.step)).toEqual(metrics.map((m) => m.step));
    const read = await client.getRun(run.info.run_id);
    expect(read.data.params).toHaveLength(150);
    expect(Number.isNaN(metricValue(read.data.metrics!.find((m) => m.key === 'odd')!))).toBe(true);
    await client.terminateRun(run.info.run_id);
    const found = await client.searchAllRuns({
      experimentIds: [experimentId],
      filter: "attributes.status = 'FINISHED'",
      maxResults: 1,
    });
    expect(found.map((r) => r.info.run_id)).toEqual([run.info.run_id]);
  });

  it('uploads, lists and downloads artifacts under a run', async () => {
    const run = await client.createRun({ experimentId: '0' });
    await client.uploadArtifact(run.info.artifact_uri, 'model/weights.bin', new Uint8Array([1, 2, 3]));
    expect(await client.listArtifacts(run.info.artifact_uri)).toEqual([{ path: 'model', is_dir: true }]);
    expect([...(await client.downloadArtifact(run.info.artifact_uri, 'model/weights.bin'))]).toEqual([
      1, 2, 3,
    ]);
  });

  it('raises MlflowApiError with the server error_code', async () => {
    await expect(client.getRun('0'.repeat(32))).rejects.toMatchObject({
      name: 'MlflowApiError',
      status: 404,
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
    });
  });
});

describe('MlflowClient retries', () => {
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });

  function scripted(replies: (Response | Error)[]) {
    const calls: string[] = [];
    const sleeps: number[] = [];
    const fetch = (async (url: string) => {
      calls.push(url);
      const next = replies.shift();
      if (next instanceof Error) throw next;
      return next;
    }) as unknown as typeof globalThis.fetch;
    const client = new MlflowClient({
      trackingUri: 'http://tracking.test',
      fetch,
      backoffMs: 10,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    return { client, calls, sleeps };
  }

  it('retries 429 honouring Retry-After, then 503 and a network failure with backoff, then succeeds', async () => {
    const { client, calls, sleeps } = scripted([
      reply(429, { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }, { 'retry-after': '2' }),
      reply(503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'later' }),
      new TypeError('fetch failed'),
      reply(200, { experiment_id: '7' }),
    ]);
    expect(await client.createExperiment('x')).toBe('7');
    expect(calls).toHaveLength(4);
    expect(sleeps[0]).toBe(2000);
    expect(sleeps[1]).toBeGreaterThanOrEqual(20);
    expect(sleeps[2]).toBeGreaterThanOrEqual(40);
  });

  it('does not retry a client error', async () => {
    const { client, calls } = scripted([
      reply(400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'bad' }),
    ]);
    await expect(client.createExperiment('x')).rejects.toBeInstanceOf(MlflowApiError);
    expect(calls).toHaveLength(1);
  });

  it('gives up after maxRetries and reports the last answer', async () => {
    const { client, calls } = scripted(
      Array.from({ length: 6 }, () => reply(500, { error_code: 'INTERNAL_ERROR', message: 'boom' })),
    );
    await expect(client.getRun('abc')).rejects.toMatchObject({ status: 500, errorCode: 'INTERNAL_ERROR' });
    expect(calls).toHaveLength(6);
  });
});
