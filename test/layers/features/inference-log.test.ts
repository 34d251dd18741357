import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bufferInferenceRecord,
  bufferPrefix,
  commitInferenceBuffer,
  DynamoDbBatchClaims,
  type InferenceRecord,
} from '../../../layers/features/inference-log.ts';
import { openTable, readTable } from '../../../layers/lakehouse/index.ts';
import { readCommitInfos } from '../../../layers/lakehouse/snapshot.ts';
import { type LocalLakehouse, startLocalLakehouse } from '../lakehouse/local-lakehouse.ts';

let local: LocalLakehouse;
let claims: DynamoDbBatchClaims;

beforeAll(async () => {
  local = await startLocalLakehouse();
  claims = new DynamoDbBatchClaims(local.lake.dynamodb, 'mlops_platform');
});
afterAll(async () => {
  await local.stop();
});

let counter = 0;
function record(model: string): InferenceRecord {
  counter += 1;
  return {
    requestId: `req-${counter}`,
    requestTime: new Date(Date.UTC(2024, 4, 1, 12, 0, counter)).toISOString(),
    model,
    modelVersion: 3,
    featureService: 'fraud@2',
    latencyMs: 4.5,
    rows: [
      { entity: { customer_id: `c${counter}` }, features: { f__a: counter, f__b: null }, prediction: 0.25 },
      { entity: { customer_id: `d${counter}` }, features: { f__a: 1, f__b: 2 }, prediction: [0.1, 0.9] },
    ],
  };
}

async function buffered(model: string): Promise<number> {
  const page = await local.lake.s3.send(
    new ListObjectsV2Command({ Bucket: local.bucket, Prefix: bufferPrefix(model) }),
  );
  return page.KeyCount ?? 0;
}

function deps(uri: string, afterStep?: (step: 'claimed' | 'committed') => void) {
  return {
    s3: local.lake.s3,
    bucket: local.bucket,
    claims,
    table: openTable(local.lake, uri),
    ...(afterStep ? { afterStep } : {}),
  };
}

async function requestIds(uri: string): Promise<string[]> {
  const { rows } = await readTable(openTable(local.lake, uri), { columns: ['request_id', 'row_index'] });
  return rows.map((row) => `${row.request_id}/${row.row_index}`).sort();
}

describe('commitInferenceBuffer', () => {
  it('commits buffered records in batches, one Delta commit per batch, and empties the buffer', async () => {
    const uri = local.uri('inference-a');
    const records = Array.from({ length: 25 }, () => record('model-a'));
    for (const r of records) await bufferInferenceRecord(local.lake.s3, local.bucket, r);

    const summary = await commitInferenceBuffer(deps(uri), 'model-a', { maxObjects: 10 });

    expect(summary).toEqual({ batches: 3, records: 25, rows: 50, alreadyCommitted: 0 });
    expect(await buffered('model-a')).toBe(0);
    expect(await requestIds(uri)).toEqual(
      records.flatMap((r) => [`${r.requestId}/0`, `${r.requestId}/1`]).sort(),
    );
    const commits = await readCommitInfos(openTable(local.lake, uri));
    expect(commits.map((info) => info.commitInfo.operation)).toEqual([
      'CREATE TABLE',
      'ADD COLUMNS',
      'WRITE',
      'WRITE',
      'WRITE',
    ]);
    const { rows } = await readTable(openTable(local.lake, uri), { where: "request_id = 'req-1'" });
    expect(rows.find((row) => row.row_index === 0)).toMatchObject({
      timestamp: new Date(records[0]!.requestTime),
      model_name: 'model-a',
      model_version: 3n,
      entity_keys: '{"customer_id":"c1"}',
      f__a: 1,
      f__b: null,
      prediction: 0.25,
      prediction_json: '0.25',
      latency_ms: 4.5,
    });
    expect(rows.find((row) => row.row_index === 1)).toMatchObject({
      prediction: null,
      prediction_json: '[0.1,0.9]',
    });
  });

  it('loses and duplicates nothing when a batch is retried after a crash after its commit', async () => {
    const uri = local.uri('inference-b');
    const records = Array.from({ length: 6 }, () => record('model-b'));
    for (const r of records) await bufferInferenceRecord(local.lake.s3, local.bucket, r);
    const crash = (step: string) => {
      if (step === 'committed') throw new Error('crash after the Delta commit');
    };
    await expect(commitInferenceBuffer(deps(uri, crash), 'model-b', { maxObjects: 4 })).rejects.toThrow(
      'crash after the Delta commit',
    );
    expect(await buffered('model-b')).toBe(6);

    const retry = await commitInferenceBuffer(deps(uri), 'model-b', { maxObjects: 4 });

    expect(retry).toEqual({ batches: 2, records: 2, rows: 4, alreadyCommitted: 1 });
    expect(await buffered('model-b')).toBe(0);
    expect(await requestIds(uri)).toEqual(
      records.flatMap((r) => [`${r.requestId}/0`, `${r.requestId}/1`]).sort(),
    );
  });

  it('finishes a batch claimed by a run that crashed before committing', async () => {
    const uri = local.uri('inference-c');
    const records = Array.from({ length: 3 }, () => record('model-c'));
    for (const r of records) await bufferInferenceRecord(local.lake.s3, local.bucket, r);
    const crash = (step: string) => {
      if (step === 'claimed') throw new Error('crash after the claim');
    };
    await expect(commitInferenceBuffer(deps(uri, crash), 'model-c')).rejects.toThrow('crash after the claim');
    expect(await claims.pending('model-c')).toHaveLength(1);
    const retry = await commitInferenceBuffer(deps(uri), 'model-c');
    expect(retry).toEqual({ batches: 1, records: 3, rows: 6, alreadyCommitted: 0 });
    expect(await claims.pending('model-c')).toEqual([]);
    expect(await requestIds(uri)).toHaveLength(6);
  });

  it('writes every record exactly once with two committers running at the same time', async () => {
    const uri = local.uri('inference-d');
    const records = Array.from({ length: 30 }, () => record('model-d'));
    for (const r of records) await bufferInferenceRecord(local.lake.s3, local.bucket, r);
    await Promise.all([
      commitInferenceBuffer(deps(uri), 'model-d', { maxObjects: 7 }),
      commitInferenceBuffer(deps(uri), 'model-d', { maxObjects: 7 }),
    ]);
    // Whatever one committer left to the other is picked up by a third run.
    await commitInferenceBuffer(deps(uri), 'model-d', { maxObjects: 7 });
    expect(await buffered('model-d')).toBe(0);
    expect(await requestIds(uri)).toEqual(
      records.flatMap((r) => [`${r.requestId}/0`, `${r.requestId}/1`]).sort(),
    );
  });

  it('lets a second committer finish the cleanup of a committed batch without committing it again', async () => {
    const uri = local.uri('inference-e');
    const records = Array.from({ length: 4 }, () => record('model-e'));
    for (const r of records) await bufferInferenceRecord(local.lake.s3, local.bucket, r);
    let second: Promise<unknown> | undefined;
    const first = commitInferenceBuffer(
      deps(uri, (step) => {
        // Between the first committer's Delta commit and its cleanup, a second committer runs.
        if (step === 'committed') second ??= commitInferenceBuffer(deps(uri), 'model-e');
        return step === 'committed' ? (second as Promise<void>).then(() => undefined) : undefined;
      }),
      'model-e',
    );
    await first;
    await second;
    expect(await requestIds(uri)).toEqual(
      records.flatMap((r) => [`${r.requestId}/0`, `${r.requestId}/1`]).sort(),
    );
    expect(await buffered('model-e')).toBe(0);
  });
});
