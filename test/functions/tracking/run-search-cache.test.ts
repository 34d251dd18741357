import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTrackingStore } from '../../../functions/tracking/dynamo-store.ts';
import type { Run } from '../../../functions/tracking/model.ts';
import { RunSearchCache, type VersionedRun } from '../../../functions/tracking/run-search-cache.ts';
import { TrackingCore } from '../../../functions/tracking/tracking-core.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { requireTable } from '../../../layers/runtime/config.ts';
import { runInfo } from './store-fixtures.ts';

function run(runId: string, acc: number): Run {
  return {
    info: runInfo(runId, { experimentId: '1', runName: runId }),
    metrics: { acc: { key: 'acc', value: acc, timestamp: 1, step: 0 } },
    params: {},
    tags: {},
    datasetInputs: [],
    modelInputs: [],
    modelOutputs: [],
  };
}

/** A source over an in-memory table of runs and a change log, recording what each call asked. */
function fakeSource() {
  const table = new Map<string, VersionedRun>();
  const log: { runId: string; at: number }[] = [];
  const calls: string[] = [];
  return {
    table,
    log,
    calls,
    write(runId: string, acc: number, at: number) {
      const version = (table.get(runId)?.version ?? -1) + 1;
      table.set(runId, { run: run(runId, acc), version });
      log.push({ runId, at });
    },
    source: {
      allRuns: async () => {
        calls.push('all');
        return [...table.values()];
      },
      changedRunIds: async (_: string, since: number) => {
        calls.push(`changes>${since}`);
        return [...new Set(log.filter((entry) => entry.at > since).map((entry) => entry.runId))];
      },
      getRuns: async (_: string, runIds: readonly string[]) => {
        calls.push(`get:${[...runIds].sort().join(',')}`);
        return runIds.flatMap((id) => table.get(id) ?? []);
      },
    },
  };
}

const accs = (runs: Run[]) =>
  Object.fromEntries(runs.map((r) => [r.info.runId, r.metrics.acc?.value])) as Record<string, number>;

describe('RunSearchCache', () => {
  it('reads every run once, then only the runs the change log names since the cursor', async () => {
    const fake = fakeSource();
    let now = 100_000;
    const cache = new RunSearchCache(fake.source, { now: () => now, marginMs: 1000 });
    fake.write('a', 0.1, 90_000);
    fake.write('b', 0.2, 90_000);
    expect(accs(await cache.runs('1'))).toEqual({ a: 0.1, b: 0.2 });
    now = 105_000;
    fake.write('b', 0.3, 104_000);
    fake.write('c', 0.4, 104_500);
    expect(accs(await cache.runs('1'))).toEqual({ a: 0.1, b: 0.3, c: 0.4 });
    expect(fake.calls).toEqual(['all', 'changes>99000', 'get:b,c']);
  });

  it('still sees an entry whose writer clock lags by less than the margin, and re-reads it while inside', async () => {
    const fake = fakeSource();
    let now = 100_000;
    const cache = new RunSearchCache(fake.source, { now: () => now, marginMs: 5000 });
    await cache.runs('1');
    now = 101_000;
    fake.write('late', 0.5, 96_500); // stamped 4.5 s behind the reader's clock
    expect(accs(await cache.runs('1'))).toEqual({ late: 0.5 });
    now = 102_000;
    await cache.runs('1');
    expect(fake.calls.slice(-2)).toEqual(['changes>96000', 'get:late']);
  });

  it('never replaces a run with an older version of it', async () => {
    const fake = fakeSource();
    const cache = new RunSearchCache(fake.source, { now: () => 10_000, marginMs: 1000 });
    fake.write('a', 0.1, 1);
    fake.write('a', 0.9, 1);
    await cache.runs('1');
    fake.table.set('a', { run: run('a', 0.1), version: 0 }); // a stale replica answers
    fake.log.push({ runId: 'a', at: 9_999 });
    expect(accs(await cache.runs('1'))).toEqual({ a: 0.9 });
  });

  it('keeps at most maxEntries entries (a run and its metrics), dropping the least recently searched experiment', async () => {
    const fake = fakeSource();
    const cache = new RunSearchCache(fake.source, { now: () => 10_000, maxEntries: 4 });
    fake.write('a', 0.1, 1);
    fake.write('b', 0.2, 1);
    await cache.runs('1');
    await cache.runs('2');
    expect(fake.calls.filter((call) => call === 'all')).toHaveLength(2);
    fake.write('c', 0.3, 1);
    await cache.runs('1'); // three runs of two entries each no longer fit: read afresh every time
    await cache.runs('1');
    expect(fake.calls.filter((call) => call === 'all')).toHaveLength(4);
  });
});

describe('runs/search through two store instances (two Lambda containers)', () => {
  let platform: LocalPlatform;
  let reader: DynamoTrackingStore;
  let aheadReader: DynamoTrackingStore;
  let writer: TrackingCore;
  let itemsRead = 0;
  let experimentId: string;
  const runIds: string[] = [];

  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
    const table = requireTable(platform.config, 'tracking');
    const readerClient = createDocumentClient(createDynamoDbClient(platform.config));
    readerClient.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const output = result.output as
          | { Items?: unknown[]; Responses?: Record<string, unknown[]> }
          | undefined;
        itemsRead += (output?.Items?.length ?? 0) + (output?.Responses?.[table]?.length ?? 0);
        return result;
      },
      { step: 'initialize', name: 'countItemsRead' },
    );
    reader = new DynamoTrackingStore({ client: readerClient, tableName: table });
    // A reader whose clock is two minutes ahead: every entry written here is older than its margin.
    aheadReader = new DynamoTrackingStore({
      client: readerClient,
      tableName: table,
      now: () => Date.now() + 120_000,
    });
    writer = new TrackingCore({
      store: new DynamoTrackingStore({
        client: DynamoDBDocumentClient.from(createDynamoDbClient(platform.config)),
        tableName: table,
      }),
    });
    experimentId = await writer.createExperiment({ name: 'cache', tags: [] });
    for (let i = 0; i < 60; i += 1) {
      const created = await writer.createRun({ experimentId, tags: [], runName: `r${i}` });
      runIds.push(created.info.runId);
      await writer.logBatch({
        runId: created.info.runId,
        metrics: [{ key: 'acc', value: i / 100, timestamp: 1, step: 0 }],
        params: [],
        tags: [],
      });
    }
  });
  afterAll(async () => {
    await platform.stop();
  });

  const search = async (filter: string, store = reader) => {
    const core = new TrackingCore({ store });
    const orderBy = ['metrics.acc DESC'];
    const page = await core.searchRuns([experimentId], {
      filter,
      orderBy,
      viewType: 'ACTIVE_ONLY',
      maxResults: 5,
    });
    return page.items;
  };

  it('answers a repeated search from the runs it holds, reading only the change log', async () => {
    expect((await search('metrics.acc >= 0.5', aheadReader)).map((r) => r.info.runName)).toEqual([
      'r59',
      'r58',
      'r57',
      'r56',
      'r55',
    ]);
    expect(itemsRead).toBeGreaterThanOrEqual(60);
    itemsRead = 0;
    const again = await search('metrics.acc >= 0.5', aheadReader);
    expect(again.map((r) => r.info.runName)).toEqual(['r59', 'r58', 'r57', 'r56', 'r55']);
    expect(itemsRead).toBe(0);
  });

  it('sees every kind of write another instance made since its previous search', async () => {
    await search('');
    const [first, second, third] = runIds as [string, string, string];
    await writer.logBatch({
      runId: first,
      metrics: [{ key: 'acc', value: 0.99, timestamp: 2, step: 1 }],
      params: [{ key: 'depth', value: '7' }],
      tags: [{ key: 'team', value: 'blue' }],
    });
    await writer.deleteRun(second);
    await writer.updateRun(third, { status: 'FINISHED', runName: 'renamed' });
    const created = await writer.createRun({ experimentId, tags: [], runName: 'fresh' });

    const top = await search("params.depth = '7' and tags.team = 'blue'");
    expect(top.map((r) => [r.info.runName, r.metrics.acc?.value])).toEqual([['r0', 0.99]]);
    expect((await search("attributes.run_name = 'renamed'"))[0]?.info.status).toBe('FINISHED');
    expect(await search(`attributes.run_id = '${second}'`)).toEqual([]);
    expect((await search("attributes.run_name = 'fresh'")).map((r) => r.info.runId)).toEqual([
      created.info.runId,
    ]);
    await writer.deleteExperiment(experimentId);
    expect(await search('')).toEqual([]);
    await writer.restoreExperiment(experimentId);
    expect(await search('')).toHaveLength(5);
    await writer.deleteTag(first, 'team');
    expect(await search("tags.team = 'blue'")).toEqual([]);
  });
});
