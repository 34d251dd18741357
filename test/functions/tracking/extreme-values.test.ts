import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlflowHttp, startMlflowHttp } from './mlflow-http.ts';

/** MLflow's JSON answers, read field by field in the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions walk arbitrary JSON
type Json = Record<string, any>;

let mlflow: MlflowHttp;

async function call(method: 'GET' | 'POST', path: string, body?: unknown) {
  const reply = await mlflow.call(method, `/api/2.0/mlflow/${path}`, body);
  return { status: reply.status, json: reply.body as Json };
}

beforeAll(async () => {
  mlflow = await startMlflowHttp();
});

afterAll(async () => {
  await mlflow.stop();
});

describe('metric values beyond DynamoDB number range', () => {
  it('stores and returns values DynamoDB numbers cannot hold, as MLflow does', async () => {
    const experiment = await call('POST', 'experiments/create', { name: 'extremes' });
    const run = await call('POST', 'runs/create', { experiment_id: experiment.json.experiment_id });
    const runId = run.json.run.info.run_id as string;
    const values = [1e-200, -4.9e-324, 1.7976931348623157e308, -1e130, 1e-130, 0];
    const logged = await call('POST', 'runs/log-batch', {
      run_id: runId,
      metrics: values.map((value, step) => ({ key: `m${step}`, value, timestamp: 1_700_000_000_000, step })),
    });
    expect(logged.status).toBe(200);
    const read = await call('GET', `runs/get?run_id=${runId}`);
    const latest = Object.fromEntries(
      (read.json.run.data.metrics as { key: string; value: number }[]).map((m) => [m.key, m.value]),
    );
    expect(values.map((_, step) => latest[`m${step}`])).toEqual(values);
    const history = await call('GET', `metrics/get-history?run_id=${runId}&metric_key=m0`);
    expect(history.json.metrics[0].value).toBe(1e-200);
  });
});
