import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointsAtSteps, sampledSteps, stepRange } from '../../../functions/tracking/metric-sampling.ts';
import type { Metric } from '../../../functions/tracking/model.ts';
import { type MlflowHttp, startMlflowHttp } from './mlflow-http.ts';

const API = '/api/2.0/mlflow';

function history(steps: readonly number[]): Metric[] {
  return steps.map((step) => ({ key: 'loss', value: step / 10, timestamp: 1000 + step, step }));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('sampledSteps', () => {
  it('keeps every logged step when there are no more than max_results', () => {
    expect(sampledSteps([history(range(0, 9)), history([0, 2, 4])], undefined, 100)).toEqual(range(0, 9));
  });

  it('samples evenly spaced steps plus the last one and each run’s first and last', () => {
    const steps = sampledSteps([history(range(0, 999)), history([3, 500])], undefined, 10);
    expect(steps).toEqual([0, 3, 100, 200, 300, 400, 500, 600, 700, 800, 900, 999]);
  });

  it('samples from the steps that exist, not from a numeric grid', () => {
    expect(sampledSteps([history([0, 1, 2, 1000, 2000])], undefined, 2)).toEqual([0, 2, 2000]);
  });

  it("keeps MLflow's sampling inside a range that starts late (only the range's last step and run edges)", () => {
    expect(sampledSteps([history(range(0, 999))], { startStep: 500, endStep: 599 }, 10)).toEqual([599]);
    expect(sampledSteps([history(range(0, 999))], { startStep: 0, endStep: 99 }, 10)).toEqual([
      0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 99,
    ]);
  });

  it('returns nothing for runs without the metric', () => {
    expect(sampledSteps([[], []], undefined, 10)).toEqual([]);
  });
});

describe('pointsAtSteps', () => {
  it('returns every point at a sampled step in (step, timestamp) order', () => {
    const points = [
      { key: 'k', value: 2, timestamp: 9, step: 1 },
      { key: 'k', value: 1, timestamp: 5, step: 1 },
      { key: 'k', value: 0, timestamp: 1, step: 0 },
      { key: 'k', value: 3, timestamp: 1, step: 2 },
    ];
    expect(pointsAtSteps(points, [0, 1]).map((p) => p.value)).toEqual([0, 1, 2]);
  });
});

describe('stepRange', () => {
  it('needs both ends or neither, and start not after end', () => {
    expect(stepRange(undefined, undefined)).toBeUndefined();
    expect(stepRange(2, 2)).toEqual({ startStep: 2, endStep: 2 });
    expect(() => stepRange(1, undefined)).toThrow(
      'If either start step or end step are specified, both must be specified.',
    );
    expect(() => stepRange(5, 4)).toThrow(
      'end_step must be greater than start_step. Found start_step=5 and end_step=4.',
    );
  });
});

describe('GET metrics/get-history-bulk-interval', () => {
  let http: MlflowHttp;
  let runA: string;
  let runB: string;

  beforeAll(async () => {
    http = await startMlflowHttp();
    const experimentId = (await http.call('POST', `${API}/experiments/create`, { name: 'bulk' })).body
      .experiment_id as string;
    const newRun = async () =>
      (
        (await http.call('POST', `${API}/runs/create`, { experiment_id: experimentId })).body.run as {
          info: { run_id: string };
        }
      ).info.run_id;
    runA = await newRun();
    runB = await newRun();
    const log = (runId: string, steps: number[]) =>
      http.call('POST', `${API}/runs/log-batch`, {
        run_id: runId,
        metrics: steps.map((step) => ({ key: 'loss', value: step === 6 ? 'NaN' : step, timestamp: 5, step })),
      });
    await log(runA, range(0, 29));
    await log(runB, range(0, 9));
  });
  afterAll(async () => {
    await http.stop();
  });

  const bulk = (query: Record<string, string | string[]>) =>
    http.call('GET', `${API}/metrics/get-history-bulk-interval`, undefined, query);

  it('returns the points of every run at the sampled steps, each with its run id', async () => {
    const reply = await bulk({ run_ids: [runA, runB], metric_key: 'loss', max_results: '5' });
    expect(reply.status).toBe(200);
    const metrics = reply.body.metrics as { run_id: string; step: number; value: number | string }[];
    expect(metrics.filter((m) => m.run_id === runA).map((m) => m.step)).toEqual([0, 6, 9, 12, 18, 24, 29]);
    expect(metrics.filter((m) => m.run_id === runB).map((m) => m.step)).toEqual([0, 6, 9]);
    expect(metrics[1]).toEqual({ key: 'loss', value: 'NaN', timestamp: 5, step: 6, run_id: runA });
  });

  it('limits the steps to the requested range', async () => {
    const reply = await bulk({ run_ids: [runA, runB], metric_key: 'loss', start_step: '8', end_step: '9' });
    const metrics = reply.body.metrics as { run_id: string; step: number }[];
    expect(metrics.map((m) => `${m.run_id === runA ? 'a' : 'b'}${m.step}`)).toEqual(['a8', 'a9', 'b8', 'b9']);
  });

  it('answers {} for runs that never logged the metric', async () => {
    const reply = await bulk({ run_ids: ['f'.repeat(32)], metric_key: 'loss' });
    expect(reply).toMatchObject({ status: 200, body: {} });
  });

  it("rejects bad input with MLflow's error format", async () => {
    const cases: [Record<string, string | string[]>, string][] = [
      [{ metric_key: 'loss' }, "Missing value for required parameter 'run_ids'"],
      [{ run_ids: runA }, "Missing value for required parameter 'metric_key'"],
      [{ run_ids: runA, metric_key: 'loss', start_step: '1' }, 'both must be specified'],
      [{ run_ids: runA, metric_key: 'loss', start_step: '3', end_step: '1' }, 'end_step must be greater'],
      [{ run_ids: runA, metric_key: 'loss', max_results: '0' }, 'max_results must be between 1 and 2500.'],
      [{ run_ids: runA, metric_key: 'loss', max_results: '2501' }, 'max_results must be between 1 and 2500.'],
      [{ run_ids: runA, metric_key: 'loss', max_results: 'many' }, "parameter 'max_results'"],
      [
        {
          run_ids: Array.from({ length: 101 }, (_, i) => i.toString(16).padStart(32, '0')),
          metric_key: 'loss',
        },
        'must specify at most 100 run_ids. Received 101 run_ids.',
      ],
      [{ run_ids: 'not a run', metric_key: 'loss' }, "Invalid run ID: 'not a run'"],
    ];
    for (const [query, message] of cases) {
      const reply = await bulk(query);
      expect(reply.status, JSON.stringify(query)).toBe(400);
      expect(reply.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(reply.body.message).toContain(message);
    }
  });
});
