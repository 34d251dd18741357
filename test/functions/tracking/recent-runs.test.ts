import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runItem } from '../../../functions/tracking/dynamo-items.ts';
import type { DynamoTrackingStore } from '../../../functions/tracking/dynamo-store.ts';
import { RecentRuns } from '../../../functions/tracking/recent-runs.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { InvalidParameterError } from '../../../layers/runtime/errors.ts';
import { runInfo, trackingStore } from './store-fixtures.ts';

describe('RecentRuns', () => {
  it('holds the most recently written runs up to its limit', () => {
    const recent = new RecentRuns(2);
    for (const id of ['a', 'b', 'a', 'c']) recent.remember(runItem(runInfo(id), {}));
    expect(recent.take('a')?.runId).toBe('a');
    expect(recent.take('b')).toBeUndefined();
    expect(recent.take('c')?.runId).toBe('c');
    recent.forget('a');
    expect(recent.take('a')).toBeUndefined();
  });

  it('holds nothing with a limit of 0', () => {
    const recent = new RecentRuns(0);
    recent.remember(runItem(runInfo('a'), {}));
    expect(recent.take('a')).toBeUndefined();
  });

  it('reads first for 2, 4, 8 … (at most 64) log-batches after stale copies in a row', () => {
    const recent = new RecentRuns(8);
    recent.remember(runItem(runInfo('a'), {}));
    const readsAfterMiss = () => {
      recent.miss('a');
      let reads = 0;
      for (;;) {
        const held = recent.take('a');
        if (held) return reads;
        reads += 1;
        recent.remember(runItem(runInfo('a'), {})); // the read path writes and holds the item
      }
    };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(readsAfterMiss)).toEqual([2, 4, 8, 16, 32, 64, 64, 64]);
    recent.hit('a');
    expect(readsAfterMiss()).toBe(2);
  });
});

describe('log-batch onto the run as this store instance wrote it', () => {
  let platform: LocalPlatform;
  /** Store instances as two Lambda containers would hold them; `a` records its DynamoDB calls. */
  let a: DynamoTrackingStore;
  let b: DynamoTrackingStore;
  const callsOfA: string[] = [];
  let counter = 0;

  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
    const clientA = createDocumentClient(createDynamoDbClient(platform.config));
    clientA.middlewareStack.add(
      (next, context) => async (args) => {
        callsOfA.push(String(context.commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: 'recordCalls' },
    );
    a = trackingStore(platform, clientA).store;
    b = trackingStore(platform).store;
  });
  afterAll(async () => {
    await platform.stop();
  });

  let runId: string;
  beforeEach(async () => {
    counter += 1;
    runId = counter.toString(16).padStart(32, '0');
    await a.createRun(runInfo(runId), {});
    callsOfA.length = 0;
  });

  const point = (step: number, value = step / 10) => ({ key: 'acc', value, timestamp: 1000 + step, step });

  it('writes the update and the history without reading the run', async () => {
    await a.logBatch(runId, { metrics: [point(1)], params: {}, tags: {} });
    await a.logBatch(runId, { metrics: [point(2)], params: { lr: '0.1' }, tags: { t: 'x' } });
    expect(callsOfA).toEqual(['UpdateItem', 'BatchWriteItem', 'UpdateItem', 'BatchWriteItem']);
    const run = await b.getRun(runId);
    expect(run?.metrics.acc?.step).toBe(2);
    expect(run?.params).toEqual({ lr: '0.1' });
    expect(run?.tags).toEqual({ t: 'x' });
    expect((await b.getMetricHistory(runId, 'acc')).map((m) => m.step)).toEqual([1, 2]);
  });

  it('fails as MLflow does, writing nothing, when another instance deleted the run since', async () => {
    await b.setRunLifecycle(runId, 'deleted');
    await expect(a.logBatch(runId, { metrics: [point(1)], params: {}, tags: {} })).rejects.toThrow(
      new InvalidParameterError(`The run ${runId} must be in the 'active' state. Current state is deleted.`),
    );
    expect(await b.getMetricHistory(runId, 'acc')).toEqual([]);
    expect((await b.getRun(runId))?.metrics).toEqual({});
  });

  it('keeps the newer latest point another instance logged since', async () => {
    await b.logBatch(runId, { metrics: [point(10)], params: {}, tags: {} });
    await a.logBatch(runId, { metrics: [point(5)], params: {}, tags: { after: 'yes' } });
    const run = await b.getRun(runId);
    expect(run?.metrics.acc?.step).toBe(10);
    expect(run?.tags).toEqual({ after: 'yes' });
    expect((await b.getMetricHistory(runId, 'acc')).map((m) => m.step)).toEqual([5, 10]);
  });

  it('reports the value another instance logged for a param since, and writes nothing of the batch', async () => {
    await b.logBatch(runId, { metrics: [], params: { lr: '0.1' }, tags: {} });
    await expect(a.logBatch(runId, { metrics: [point(1)], params: { lr: '0.2' }, tags: {} })).rejects.toThrow(
      new InvalidParameterError(
        `Changing param values is not allowed. Param with key='lr' was already logged with value='0.1' for run ID='${runId}'. Attempted logging new value '0.2'.`,
      ),
    );
    expect((await b.getRun(runId))?.metrics).toEqual({});
    expect(await b.getMetricHistory(runId, 'acc')).toEqual([]);
  });

  it('reads first for the next two log-batches after a write of another instance', async () => {
    await b.logBatch(runId, { metrics: [], params: {}, tags: { by: 'b' } });
    for (const step of [1, 2, 3, 4]) {
      await a.logBatch(runId, { metrics: [point(step)], params: {}, tags: {} });
    }
    expect(callsOfA).toEqual([
      ...['UpdateItem', 'GetItem', 'UpdateItem', 'BatchWriteItem'], // onto the stale copy, then read
      ...['GetItem', 'UpdateItem', 'BatchWriteItem'],
      ...['GetItem', 'UpdateItem', 'BatchWriteItem'],
      ...['UpdateItem', 'BatchWriteItem'], // onto the copy again
    ]);
    expect((await b.getRun(runId))?.tags).toEqual({ by: 'b' });
    expect((await b.getMetricHistory(runId, 'acc')).map((m) => m.step)).toEqual([1, 2, 3, 4]);
  });
});
