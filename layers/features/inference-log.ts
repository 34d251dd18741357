/**
 * Inference tables: every online prediction recorded — request id, time, model name and version,
 * entity keys, the exact feature values served, prediction, latency — first to a buffer of S3
 * objects (one per request, written before the response returns), then committed in batches to a
 * per-model Delta table that analysts query (`s3://<lakehouse>/inference/<model>`, partitioned by
 * `request_date`). There is never one Delta commit per request.
 *
 * The batch commit is safe to retry and to run twice at once:
 *
 *   1. claim   — a batch (seq = last committed seq + 1, the object keys it covers) is put in the
 *                platform table with put-if-absent; a concurrent committer that loses the claim stops.
 *   2. commit  — the batch's rows are appended with the Delta idempotent-write marker
 *                txn(appId = "inference-buffer", version = seq): a retry of a batch whose commit
 *                already landed is skipped by the lakehouse, so no row is written twice.
 *   3. clean   — the batch's buffer objects are deleted, then the claim.
 *
 * A run first finishes any claimed batch left by a crashed run (step 2 or 3), so nothing claimed is
 * lost; objects that arrive while a batch is committed are simply in the next batch.
 */

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CommitConflictError, TableExistsError } from '../lakehouse/errors.ts';
import { buildSchema, serializeSchema } from '../lakehouse/schema.ts';
import { loadSnapshot, type TableHandle, tableExists } from '../lakehouse/snapshot.ts';
import { commit } from '../lakehouse/transaction.ts';
import { append, createTable } from '../lakehouse/write.ts';

/** One prediction request as recorded. */
export interface InferenceRecord {
  readonly requestId: string;
  /** ISO time the request arrived. */
  readonly requestTime: string;
  readonly model: string;
  readonly modelVersion: number;
  readonly featureService?: string;
  readonly latencyMs: number;
  readonly rows: readonly {
    readonly entity: Readonly<Record<string, unknown>>;
    /** Feature column → the value given to the model (null when missing). */
    readonly features: Readonly<Record<string, unknown>>;
    readonly prediction: unknown;
  }[];
}

export const INFERENCE_APP_ID = 'inference-buffer';
const BUFFER_PREFIX = 'inference-buffer';

/** The buffer prefix of a model. */
export function bufferPrefix(model: string): string {
  return `${BUFFER_PREFIX}/${encodeURIComponent(model)}/`;
}

/** The inference table of a model in the lakehouse bucket. */
export function inferenceTableUri(bucket: string, model: string): string {
  return `s3://${bucket}/inference/${encodeURIComponent(model).replaceAll('%', '_')}`;
}

/** Writes one request's record to the buffer (keys sort by time). */
export async function bufferInferenceRecord(
  s3: S3Client,
  bucket: string,
  record: InferenceRecord,
): Promise<string> {
  const key = `${bufferPrefix(record.model)}${record.requestTime.replace(/[:.]/g, '-')}-${record.requestId}.json`;
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(record),
      ContentType: 'application/json',
    }),
  );
  return key;
}

/**
 * The fixed columns of an inference table. Each feature the model was given gets a column of its
 * own (`<view>__<feature>`, double: what the endpoint received), added when a model version with a
 * new feature first logs, so analysts and the monitoring profiles read features as plain columns.
 * `timestamp` and `prediction` are the time and prediction columns monitoring reads by default.
 */
export const INFERENCE_COLUMNS = [
  { name: 'timestamp', type: 'timestamp' },
  { name: 'request_date', type: 'date' },
  { name: 'request_id', type: 'string' },
  { name: 'row_index', type: 'integer' },
  { name: 'model_name', type: 'string' },
  { name: 'model_version', type: 'long' },
  { name: 'feature_service', type: 'string' },
  { name: 'entity_keys', type: 'string' },
  { name: 'prediction', type: 'double' },
  { name: 'prediction_json', type: 'string' },
  { name: 'latency_ms', type: 'double' },
] as const;

/** Claimed batches, kept in the platform table. Guarantee: `claim` is atomic put-if-absent. */
export interface BatchClaims {
  pending(model: string): Promise<{ seq: number; keys: string[] }[]>;
  /** False when the seq is already claimed. */
  claim(model: string, seq: number, keys: readonly string[]): Promise<boolean>;
  release(model: string, seq: number): Promise<void>;
}

export class DynamoDbBatchClaims implements BatchClaims {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async pending(model: string): Promise<{ seq: number; keys: string[] }[]> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `INFERENCE_BATCH#${model}` },
        ConsistentRead: true,
      }),
    );
    return (result.Items ?? []).map((item) => ({ seq: Number(item.seq), keys: item.keys as string[] }));
  }

  async claim(model: string, seq: number, keys: readonly string[]): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `INFERENCE_BATCH#${model}`,
            sk: String(seq).padStart(12, '0'),
            seq,
            keys,
            claimedAt: new Date().toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(model: string, seq: number): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: `INFERENCE_BATCH#${model}`, sk: String(seq).padStart(12, '0') },
      }),
    );
  }
}

export interface CommitDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly claims: BatchClaims;
  readonly table: TableHandle;
  /** Fault injection for tests: called between the steps of a batch. */
  readonly afterStep?: (step: 'claimed' | 'committed') => void | Promise<void>;
}

export interface CommitSummary {
  readonly batches: number;
  readonly records: number;
  readonly rows: number;
  /** Batches whose Delta commit had already landed (a retry after a crash). */
  readonly alreadyCommitted: number;
}

/** Commits the model's buffered records in batches of at most `maxObjects` objects. */
export async function commitInferenceBuffer(
  deps: CommitDeps,
  model: string,
  options: { maxObjects?: number; maxBatches?: number } = {},
): Promise<CommitSummary> {
  const summary = { batches: 0, records: 0, rows: 0, alreadyCommitted: 0 };
  await ensureInferenceTable(deps.table, model);
  for (const batch of (await deps.claims.pending(model)).sort((a, b) => a.seq - b.seq)) {
    await commitBatch(deps, model, batch, summary);
  }
  for (let round = 0; round < (options.maxBatches ?? 100); round += 1) {
    const listed = await listBuffer(deps.s3, deps.bucket, bufferPrefix(model), options.maxObjects ?? 1000);
    // Keys of a batch another committer claimed stay its own until it deletes them (then releases
    // the claim), so they are excluded here; read after the listing, the claims cover every such key.
    const claimed = new Set((await deps.claims.pending(model)).flatMap((batch) => batch.keys));
    const keys = listed.filter((key) => !claimed.has(key));
    if (keys.length === 0) break;
    const snapshot = await loadSnapshot(deps.table);
    const seq = (snapshot.txns.get(INFERENCE_APP_ID) ?? 0) + 1;
    if (!(await deps.claims.claim(model, seq, keys))) break; // another committer owns this batch
    await deps.afterStep?.('claimed');
    await commitBatch(deps, model, { seq, keys }, summary);
  }
  return summary;
}

async function commitBatch(
  deps: CommitDeps,
  model: string,
  batch: { seq: number; keys: string[] },
  summary: { batches: number; records: number; rows: number; alreadyCommitted: number },
): Promise<void> {
  const snapshot = await loadSnapshot(deps.table);
  const done = (snapshot.txns.get(INFERENCE_APP_ID) ?? 0) >= batch.seq;
  if (done) {
    summary.alreadyCommitted += 1;
  } else {
    // A key that is gone was committed and cleaned up by another batch (objects are deleted only
    // after their batch's commit), so it is skipped rather than written twice.
    const records = (
      await Promise.all(batch.keys.map((key) => readRecord(deps.s3, deps.bucket, key)))
    ).filter((record): record is InferenceRecord => record !== undefined);
    const rows = records.flatMap(recordRows);
    await ensureFeatureColumns(deps.table, rows);
    const result = await append(deps.table, rows, { txn: { appId: INFERENCE_APP_ID, version: batch.seq } });
    if (result.skipped) summary.alreadyCommitted += 1;
    else {
      summary.records += records.length;
      summary.rows += rows.length;
    }
    await deps.afterStep?.('committed');
  }
  for (let index = 0; index < batch.keys.length; index += 1000) {
    await deps.s3.send(
      new DeleteObjectsCommand({
        Bucket: deps.bucket,
        Delete: { Objects: batch.keys.slice(index, index + 1000).map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }
  await deps.claims.release(model, batch.seq);
  summary.batches += 1;
}

async function ensureInferenceTable(table: TableHandle, model: string): Promise<void> {
  if (await tableExists(table)) return;
  try {
    await createTable(table, {
      columns: INFERENCE_COLUMNS,
      partitionColumns: ['request_date'],
      description: `online predictions of model ${model}`,
    });
  } catch (error) {
    if (!(error instanceof TableExistsError)) throw error;
  }
}

async function listBuffer(s3: S3Client, bucket: string, prefix: string, max: number): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        MaxKeys: Math.min(1000, max - keys.length),
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token && keys.length < max);
  return keys.slice(0, max);
}

async function readRecord(s3: S3Client, bucket: string, key: string): Promise<InferenceRecord | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await (object.Body?.transformToString() ?? Promise.resolve('{}'))) as InferenceRecord;
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

function recordRows(record: InferenceRecord): Record<string, unknown>[] {
  const time = new Date(record.requestTime);
  const date = new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate()));
  return record.rows.map((row, index) => ({
    timestamp: time,
    request_date: date,
    request_id: record.requestId,
    row_index: index,
    model_name: record.model,
    model_version: BigInt(record.modelVersion),
    feature_service: record.featureService ?? null,
    entity_keys: JSON.stringify(row.entity),
    ...Object.fromEntries(Object.entries(row.features).map(([name, value]) => [name, numeric(value)])),
    prediction: typeof row.prediction === 'number' ? row.prediction : null,
    prediction_json: JSON.stringify(row.prediction),
    latency_ms: record.latencyMs,
  }));
}

function numeric(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

const FIXED = new Set<string>(INFERENCE_COLUMNS.map((column) => column.name));

/**
 * Adds a nullable double column for each feature the table does not have yet, in one metadata
 * commit (retried when another writer commits first).
 */
async function ensureFeatureColumns(
  table: TableHandle,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const snapshot = await loadSnapshot(table);
    const known = new Set(snapshot.schema.fields.map((field) => field.name));
    const missing = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter(
      (name) => !known.has(name) && !FIXED.has(name),
    );
    if (missing.length === 0) return;
    const schema = buildSchema([
      ...snapshot.schema.fields.map((field) => ({
        name: field.name,
        type: field.type,
        nullable: field.nullable,
      })),
      ...missing.map((name) => ({ name, type: 'double', nullable: true })),
    ]);
    try {
      await commit(table, {
        readVersion: snapshot.version,
        actions: [{ metaData: { ...snapshot.metadata, schemaString: serializeSchema(schema) } }],
        operation: 'ADD COLUMNS',
        operationParameters: { columns: JSON.stringify(missing) },
        isBlindAppend: false,
      });
      return;
    } catch (error) {
      if (!(error instanceof CommitConflictError) || attempt >= 5) throw error;
    }
  }
}
