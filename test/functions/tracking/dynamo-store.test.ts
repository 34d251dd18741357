import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runItem, runPointerPk } from '../../../functions/tracking/dynamo-items.ts';
import type { DynamoTrackingStore } from '../../../functions/tracking/dynamo-store.ts';
import { metricOrderKey } from '../../../functions/tracking/ordering.ts';
import { TrackingCore } from '../../../functions/tracking/tracking-core.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { InvalidParameterError } from '../../../layers/runtime/errors.ts';
import { runInfo, trackingStore } from './store-fixtures.ts';

describe('DynamoTrackingStore latest metric values', () => {
  let platform: LocalPlatform;
  let store: DynamoTrackingStore;
  let put: (item: Record<string, unknown>) => Promise<unknown>;
  let table: string;

  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
    const tracking = trackingStore(platform);
    store = tracking.store;
    table = tracking.tableName;
    put = (Item) => tracking.client.send(new PutCommand({ TableName: table, Item }));
  });
  afterAll(async () => {
    await platform.stop();
  });

  async function legacyRun(runId: string): Promise<void> {
    const item = runItem(runInfo(runId, { runName: 'legacy' }), {}) as unknown as Record<string, unknown>;
    const point = { step: 5, timestamp: 50, value: 0.5 };
    item.m = {
      acc: { v: 0.5, t: 50, s: 5, o: metricOrderKey(point) },
      bad: { v: 'NaN', t: 1, s: 0, o: metricOrderKey({ step: 0, timestamp: 1, value: Number.NaN }) },
    };
    await put(item);
    await put({ pk: runPointerPk(runId), sk: 'RUN', experimentId: '0' });
  }

  it('stores one order-key string per metric and reads it back exactly', async () => {
    const runId = 'a'.repeat(32);
    await store.createRun(runInfo(runId), {});
    await store.logBatch(runId, {
      metrics: [
        { key: 'loss', value: -0.125, timestamp: 1_700_000_000_001, step: 3 },
        { key: 'loss', value: 9, timestamp: 1_700_000_000_000, step: 2 },
        { key: 'inf', value: Number.POSITIVE_INFINITY, timestamp: 7, step: -1 },
      ],
      params: {},
      tags: {},
    });
    const run = await store.getRun(runId);
    expect(run?.metrics).toEqual({
      loss: { key: 'loss', value: -0.125, timestamp: 1_700_000_000_001, step: 3 },
      inf: { key: 'inf', value: Number.POSITIVE_INFINITY, timestamp: 7, step: -1 },
    });
    const listing = await store.listRuns(['0'], { metrics: ['loss'], params: [], tags: [], datasets: false });
    expect(listing.runs.find((r) => r.info.runId === runId)?.metrics.loss?.value).toBe(-0.125);
  });

  it('reads items written in the earlier map form and moves them forward in the new one', async () => {
    const runId = 'b'.repeat(32);
    await legacyRun(runId);
    expect((await store.getRun(runId))?.metrics.acc).toEqual({
      key: 'acc',
      value: 0.5,
      timestamp: 50,
      step: 5,
    });
    expect((await store.getRun(runId))?.metrics.bad?.value).toBeNaN();
    await store.logBatch(runId, {
      metrics: [{ key: 'acc', value: 0.1, timestamp: 60, step: 4 }], // older step: not the latest
      params: {},
      tags: {},
    });
    expect((await store.getRun(runId))?.metrics.acc?.value).toBe(0.5);
    await store.logBatch(runId, {
      metrics: [{ key: 'acc', value: 0.7, timestamp: 10, step: 6 }],
      params: {},
      tags: {},
    });
    expect((await store.getRun(runId))?.metrics.acc).toEqual({
      key: 'acc',
      value: 0.7,
      timestamp: 10,
      step: 6,
    });
  });
});

describe('runs/create across store instances', () => {
  let platform: LocalPlatform;

  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
  });
  afterAll(async () => {
    await platform.stop();
  });

  it('fails in an experiment another instance deleted, after creating runs there', async () => {
    const instance = () => new TrackingCore({ store: trackingStore(platform).store });
    const a = instance();
    const b = instance();
    const experimentId = await a.createExperiment({ name: 'deleted elsewhere', tags: [] });
    await a.createRun({ experimentId, tags: [] });
    await b.deleteExperiment(experimentId);
    await expect(a.createRun({ experimentId, tags: [] })).rejects.toThrow(
      new InvalidParameterError(
        `The experiment ${experimentId} must be in the 'active' state. Current state is deleted.`,
      ),
    );
  });
});
