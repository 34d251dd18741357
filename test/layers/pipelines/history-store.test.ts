import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import type { ExecutionRecord } from '../../../layers/pipelines/execution.ts';
import { ExecutionHistoryStore } from '../../../layers/pipelines/history-store.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';

let platform: LocalPlatform;
let store: ExecutionHistoryStore;

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  store = new ExecutionHistoryStore(
    createDocumentClient(createDynamoDbClient(platform.config)),
    'mlops_platform',
  );
});
afterAll(() => platform.stop());

function record(
  pipeline: string,
  id: string,
  startedAt: string,
  extra: Partial<ExecutionRecord> = {},
): ExecutionRecord {
  return { executionId: id, pipeline, status: 'SUCCEEDED', startedAt, input: { a: 1 }, events: [], ...extra };
}

describe('ExecutionHistoryStore', () => {
  it('lists executions newest first, per pipeline and across pipelines', async () => {
    await store.save(record('training', 'e1', '2026-01-01T00:00:00.000Z'));
    await store.save(record('training', 'e2', '2026-01-02T00:00:00.000Z'));
    await store.save(record('inference', 'e3', '2026-01-03T00:00:00.000Z'));
    expect((await store.list({ pipeline: 'training' })).map((r) => r.executionId)).toEqual(['e2', 'e1']);
    expect((await store.list()).map((r) => r.executionId)).toEqual(['e3', 'e2', 'e1']);
  });

  it('finds one execution by id with its events', async () => {
    const events = [{ timestamp: 1, type: 'StateEntered', state: 'A' }];
    await store.save(
      record('training', 'e9', '2026-02-01T00:00:00.000Z', { status: 'FAILED', error: 'Boom', events }),
    );
    expect(await store.get('e9')).toMatchObject({
      pipeline: 'training',
      status: 'FAILED',
      error: 'Boom',
      events,
    });
  });

  it('throws NotFoundError for an unknown execution', async () => {
    await expect(store.get('nope')).rejects.toThrow('no pipeline execution nope');
  });

  it('keeps an oversize input out of the item and says how large it was', async () => {
    await store.save(
      record('training', 'big', '2026-03-01T00:00:00.000Z', { input: { blob: 'x'.repeat(200_000) } }),
    );
    expect((await store.get('big')).input).toEqual({ truncated: true, bytes: 200_011 });
  });
});
