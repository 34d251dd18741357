import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPointerPk } from '../../../functions/tracking/dynamo-items.ts';
import type { DynamoTrackingStore } from '../../../functions/tracking/dynamo-store.ts';
import { experimentHint, newRunId } from '../../../functions/tracking/run-ids.ts';
import { TrackingCore } from '../../../functions/tracking/tracking-core.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { runInfo, trackingStore } from './store-fixtures.ts';

describe('run ids', () => {
  it('are 32 hex characters naming the experiment', () => {
    for (const experimentId of ['0', '7', '42', '123456789012345']) {
      const ids = new Set(Array.from({ length: 100 }, () => newRunId(experimentId)));
      expect(ids.size).toBe(100);
      for (const id of ids) {
        expect(id).toMatch(/^[0-9a-f]{32}$/);
        expect(experimentHint(id)).toBe(experimentId);
      }
    }
  });

  it('fall back to a uuid4 for an experiment id a run id cannot name', () => {
    const id = newRunId('1234567890123456');
    expect(id).toMatch(/^[0-9a-f]{12}4[0-9a-f]{19}$/);
    expect(experimentHint(id)).toBeUndefined();
  });

  it('read uuid4 ids and malformed ones as naming no experiment', () => {
    expect(experimentHint(randomUUID().replaceAll('-', ''))).toBeUndefined();
    expect(experimentHint(`${'0'.repeat(12)}e${'0'.repeat(16)}072`)).toBeUndefined(); // leading zero
    expect(experimentHint(`${'0'.repeat(12)}e${'0'.repeat(18)}0`)).toBeUndefined(); // no digits
    expect(experimentHint(`${'0'.repeat(12)}E${'0'.repeat(17)}71`)).toBeUndefined();
    expect(experimentHint(`${'0'.repeat(12)}e${'0'.repeat(16)}71`)).toBeUndefined(); // 31 characters
    expect(experimentHint('e'.repeat(32))).toBeUndefined();
  });
});

describe('runs found by their id alone', () => {
  let platform: LocalPlatform;
  let store: DynamoTrackingStore;
  let other: DynamoTrackingStore;
  let pointerOf: (runId: string) => Promise<unknown>;

  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
    const tracking = trackingStore(platform);
    const { client, tableName } = tracking;
    store = tracking.store;
    other = trackingStore(platform, client).store;
    pointerOf = async (runId) =>
      (
        await client.send(
          new GetCommand({ TableName: tableName, Key: { pk: runPointerPk(runId), sk: 'RUN' } }),
        )
      ).Item;
  });
  afterAll(async () => {
    await platform.stop();
  });

  it('creates a run without a pointer item and another instance reads it by id', async () => {
    const core = new TrackingCore({ store });
    const experimentId = await core.createExperiment({ name: 'named', tags: [] });
    const run = await core.createRun({ experimentId, tags: [] });
    expect(experimentHint(run.info.runId)).toBe(experimentId);
    expect(await pointerOf(run.info.runId)).toBeUndefined();
    expect((await other.getRun(run.info.runId))?.info).toEqual(run.info);
  });

  it('finds a run whose id names another experiment by chance, through its pointer', async () => {
    const runId = `${'0'.repeat(12)}e${'0'.repeat(17)}71`; // reads as naming experiment 7
    await store.createRun(runInfo(runId), {});
    expect(await pointerOf(runId)).toEqual({ pk: runPointerPk(runId), sk: 'RUN', experimentId: '0' });
    expect((await other.getRun(runId))?.info.experimentId).toBe('0');
  });

  it('answers a run id that names an experiment but no run as not found', async () => {
    expect(await other.getRun(newRunId('0'))).toBeUndefined();
  });
});
