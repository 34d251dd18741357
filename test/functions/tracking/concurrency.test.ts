import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlflowHttp, startMlflowHttp } from './mlflow-http.ts';

const API = '/api/2.0/mlflow';
const CLIENTS = 20;
const METRICS_PER_CLIENT = 1000;
const BATCH = 100;

describe('concurrent logging to one run', () => {
  let http: MlflowHttp;

  beforeAll(async () => {
    http = await startMlflowHttp();
  });
  afterAll(async () => {
    await http.stop();
  });

  it('loses nothing: 20 clients × 1,000 points of one metric, get-history returns all 20,000 in step order', async () => {
    const created = await http.call('POST', `${API}/runs/create`, {
      experiment_id: '0',
      run_name: 'contended',
    });
    const runId = (created.body.run as { info: { run_id: string } }).info.run_id;

    // Client c logs steps c, c + 20, c + 40, ...: every request races the others for the latest value.
    const statuses = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        const replies: number[] = [];
        for (let offset = 0; offset < METRICS_PER_CLIENT; offset += BATCH) {
          const metrics = Array.from({ length: BATCH }, (_, i) => {
            const step = (offset + i) * CLIENTS + client;
            return { key: 'loss', value: 1 / (step + 1), timestamp: 1_700_000_000_000 + step, step };
          });
          const params = offset === 0 ? [{ key: `client_${client}`, value: String(client) }] : [];
          const reply = await http.call('POST', `${API}/runs/log-batch`, {
            run_id: runId,
            metrics,
            params,
            tags: [{ key: `last_${client}`, value: String(offset) }],
          });
          replies.push(reply.status);
        }
        return replies;
      }),
    );
    expect(statuses.flat().every((status) => status === 200)).toBe(true);

    const history = await http.call('GET', `${API}/metrics/get-history`, undefined, {
      run_id: runId,
      metric_key: 'loss',
      max_results: '25000',
    });
    const points = history.body.metrics as { step: number; value: number; timestamp: number }[];
    expect(points).toHaveLength(CLIENTS * METRICS_PER_CLIENT);
    expect(points.map((point) => point.step)).toEqual(
      Array.from({ length: CLIENTS * METRICS_PER_CLIENT }, (_, step) => step),
    );
    expect(history.body.next_page_token).toBeUndefined();

    const run = await http.call('GET', `${API}/runs/get`, undefined, { run_id: runId });
    const data = (run.body.run as { data: Record<string, { key: string; value: unknown; step?: number }[]> })
      .data;
    const last = CLIENTS * METRICS_PER_CLIENT - 1;
    expect(data.metrics).toEqual([
      { key: 'loss', value: 1 / (last + 1), timestamp: 1_700_000_000_000 + last, step: last },
    ]);
    expect(data.params).toHaveLength(CLIENTS);
    expect(data.tags?.filter((tag) => tag.key.startsWith('last_')).map((tag) => tag.value)).toEqual(
      Array.from({ length: CLIENTS }, () => String(METRICS_PER_CLIENT - BATCH)),
    );
  });

  it('keeps params immutable under a race: of two different values for one key, exactly one wins', async () => {
    const created = await http.call('POST', `${API}/runs/create`, { experiment_id: '0' });
    const runId = (created.body.run as { info: { run_id: string } }).info.run_id;
    const replies = await Promise.all(
      ['a', 'b', 'a', 'b', 'a', 'b'].map((value) =>
        http.call('POST', `${API}/runs/log-parameter`, { run_id: runId, key: 'p', value }),
      ),
    );
    const run = await http.call('GET', `${API}/runs/get`, undefined, { run_id: runId });
    const winner = (
      (run.body.run as { data: { params: { value: string }[] } }).data.params[0] as { value: string }
    ).value;
    for (const [index, reply] of replies.entries()) {
      const value = ['a', 'b', 'a', 'b', 'a', 'b'][index];
      expect(reply.status).toBe(value === winner ? 200 : 400);
    }
  });
});
