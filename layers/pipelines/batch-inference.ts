/**
 * Batch inference over a lakehouse table, in three steps the state machine runs:
 *
 *   planBatch        resolve the model version, pin the input table's current version, split its
 *                    data files into chunks of about `chunkRows` rows
 *   scoreChunk ×N    (a Map) read one chunk at the pinned version, score it with the in-process
 *                    evaluator, stage the predictions as one object in the artifacts bucket
 *   commitPredictions append every staged prediction to the predictions table in ONE commit,
 *                    idempotent through the txn (appId `batch-inference:<execution>`, version 1)
 *
 * Nothing reaches the predictions table before the last chunk is scored, so a failed run leaves
 * no partial table; `discardStaging` removes what a failed run staged. Every step may be retried:
 * staging objects are overwritten, and a repeated commit is skipped by its txn.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { RegistryStore } from '../../functions/registry/registry-store.ts';
import {
  append,
  createTable,
  type LakehouseContext,
  openTable,
  planScan,
  type Row,
  TableNotFoundError,
  tableExists,
} from '../lakehouse/index.ts';
import { scanPlanBatches } from '../lakehouse/scan.ts';
import { InvalidParameterError } from '../runtime/errors.ts';
import { createEvaluator } from '../xgboost/evaluator.ts';
import { loadModelPackage, resolveModelVersion } from './model-artifacts.ts';

export interface BatchDeps {
  readonly registry: RegistryStore;
  readonly s3: S3Client;
  readonly lake: LakehouseContext;
  readonly artifactsBucket: string;
  readonly clock?: () => Date;
}

export interface BatchRequest {
  readonly executionId: string;
  readonly model: string;
  readonly alias?: string;
  readonly version?: number;
  /** Table to score: `s3://<lakehouse>/<path>`; must hold the model's features and the key columns. */
  readonly input: string;
  /** Predictions table, created on first use. */
  readonly output: string;
  readonly keyColumns: readonly string[];
  /** @default 50_000 */
  readonly chunkRows?: number;
}

export interface BatchChunk {
  readonly index: number;
  /** Data file paths (as in the Delta log) of the pinned input version. */
  readonly files: readonly string[];
}

export interface BatchPlan {
  readonly executionId: string;
  readonly model: { readonly name: string; readonly version: number; readonly source: string };
  readonly featureNames: readonly string[];
  readonly input: { readonly uri: string; readonly version: number };
  readonly output: string;
  readonly keyColumns: readonly string[];
  readonly scoredAt: string;
  readonly staging: { readonly bucket: string; readonly prefix: string };
  readonly chunks: readonly BatchChunk[];
}

export interface ChunkResult {
  readonly index: number;
  readonly rows: number;
  readonly key: string;
}

/** Resolves the model, pins the input version and plans the chunks. */
export async function planBatch(deps: BatchDeps, request: BatchRequest): Promise<BatchPlan> {
  if (request.keyColumns.length === 0)
    throw new InvalidParameterError('keyColumns must name at least one column');
  const version = await resolveModelVersion(deps.registry, {
    name: request.model,
    ...(request.version !== undefined ? { version: request.version } : {}),
    ...(request.alias !== undefined ? { alias: request.alias } : {}),
  });
  const modelPackage = await loadModelPackage(deps.s3, version.source, deps.artifactsBucket);
  const input = openTable(deps.lake, request.input);
  if (!(await tableExists(input))) throw new TableNotFoundError(`no table at ${request.input}`);
  openTable(deps.lake, request.output);
  const plan = await planScan(input, {});
  const columns = new Set(plan.snapshot.schema.fields.map((field) => field.name));
  const missing = [...request.keyColumns, ...modelPackage.metadata.featureNames].filter(
    (name) => !columns.has(name),
  );
  if (missing.length > 0) {
    throw new InvalidParameterError(
      `input table ${request.input} lacks column(s) ${missing.join(', ')} that model ${request.model} needs`,
    );
  }
  const target = request.chunkRows ?? 50_000;
  const chunks: BatchChunk[] = [];
  let current: string[] = [];
  let rows = 0;
  for (const file of plan.files) {
    current.push(file.path);
    rows += numRecords(file.stats);
    if (rows >= target) {
      chunks.push({ index: chunks.length, files: current });
      current = [];
      rows = 0;
    }
  }
  if (current.length > 0) chunks.push({ index: chunks.length, files: current });
  return {
    executionId: request.executionId,
    model: { name: version.name, version: version.version, source: version.source },
    featureNames: modelPackage.metadata.featureNames,
    input: { uri: request.input, version: plan.snapshot.version },
    output: request.output,
    keyColumns: request.keyColumns,
    scoredAt: (deps.clock?.() ?? new Date()).toISOString(),
    staging: {
      bucket: deps.artifactsBucket,
      prefix: `pipelines/batch-inference/${safe(request.executionId)}/`,
    },
    chunks,
  };
}

/** Scores one chunk and stages its predictions. */
export async function scoreChunk(deps: BatchDeps, plan: BatchPlan, chunk: BatchChunk): Promise<ChunkResult> {
  const modelPackage = await loadModelPackage(deps.s3, plan.model.source, deps.artifactsBucket);
  const evaluator = createEvaluator(modelPackage.model);
  const table = openTable(deps.lake, plan.input.uri);
  const full = await planScan(table, {
    version: plan.input.version,
    columns: [...plan.keyColumns, ...plan.featureNames],
  });
  const wanted = new Set(chunk.files);
  const scan = { ...full, files: full.files.filter((file) => wanted.has(file.path)) };
  const lines: string[] = [];
  for await (const batch of scanPlanBatches(table, scan)) {
    const width = plan.featureNames.length;
    const values = new Float32Array(batch.length * width);
    batch.forEach((row, r) => {
      plan.featureNames.forEach((name, c) => {
        values[r * width + c] = numeric(row[name], name);
      });
    });
    const outputs = evaluator.predict({ rows: batch.length, columns: width, values });
    const per = evaluator.outputWidth;
    batch.forEach((row, r) => {
      const scores = Array.from(outputs.subarray(r * per, (r + 1) * per));
      const keys = Object.fromEntries(plan.keyColumns.map((key) => [key, jsonValue(row[key])]));
      lines.push(
        JSON.stringify({
          ...keys,
          prediction: per === 1 ? scores[0] : argmax(scores),
          scores: per === 1 ? undefined : scores,
        }),
      );
    });
  }
  const key = `${plan.staging.prefix}chunk-${String(chunk.index).padStart(5, '0')}.jsonl.gz`;
  await deps.s3.send(
    new PutObjectCommand({ Bucket: plan.staging.bucket, Key: key, Body: gzipSync(lines.join('\n')) }),
  );
  return { index: chunk.index, rows: lines.length, key };
}

/** Commits all staged predictions in one idempotent commit, then removes the staging objects. */
export async function commitPredictions(
  deps: BatchDeps,
  plan: BatchPlan,
  results: readonly ChunkResult[],
): Promise<{ table: string; version: number; rows: number; skipped: boolean }> {
  if (results.length !== plan.chunks.length) {
    throw new InvalidParameterError(`expected ${plan.chunks.length} scored chunks, got ${results.length}`);
  }
  const input = await planScan(openTable(deps.lake, plan.input.uri), {
    version: plan.input.version,
    columns: [...plan.keyColumns],
  });
  const output = openTable(deps.lake, plan.output);
  if (!(await tableExists(output))) {
    await createTable(output, {
      columns: [
        ...input.columns.map((field) => ({
          name: field.name,
          type: field.type as never,
          nullable: field.nullable,
        })),
        { name: 'prediction', type: 'double', nullable: false },
        { name: 'scores', type: 'string', nullable: true },
        { name: 'model_name', type: 'string', nullable: false },
        { name: 'model_version', type: 'long', nullable: false },
        { name: 'scored_at', type: 'timestamp', nullable: false },
        { name: 'input_table_version', type: 'long', nullable: false },
      ],
      description: `Predictions of model ${plan.model.name}`,
    }).catch((error: unknown) => {
      // A concurrent or retried run created it first: fine, the append below checks the schema.
      if ((error as Error).name !== 'TableExistsError') throw error;
    });
  }
  const rows: Record<string, unknown>[] = [];
  for (const result of [...results].sort((a, b) => a.index - b.index)) {
    const object = await deps.s3.send(new GetObjectCommand({ Bucket: plan.staging.bucket, Key: result.key }));
    const bytes = await (
      object.Body as { transformToByteArray(): Promise<Uint8Array> }
    ).transformToByteArray();
    for (const line of gunzipSync(bytes).toString('utf8').split('\n')) {
      if (line === '') continue;
      const parsed = JSON.parse(line) as Record<string, unknown> & { scores?: number[] };
      rows.push({
        ...parsed,
        scores: parsed.scores ? JSON.stringify(parsed.scores) : null,
        model_name: plan.model.name,
        model_version: BigInt(plan.model.version),
        scored_at: new Date(plan.scoredAt),
        input_table_version: BigInt(plan.input.version),
      });
    }
  }
  const written = await append(output, rows, {
    txn: { appId: `batch-inference:${plan.executionId}`, version: 1 },
  });
  await discardStaging(deps, plan);
  return {
    table: plan.output,
    version: written.version,
    rows: written.skipped ? 0 : rows.length,
    skipped: written.skipped,
  };
}

/** Deletes what a run staged (after its commit, or when it failed). Returns how many objects went. */
export async function discardStaging(deps: BatchDeps, plan: Pick<BatchPlan, 'staging'>): Promise<number> {
  let removed = 0;
  let token: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({
        Bucket: plan.staging.bucket,
        Prefix: plan.staging.prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key as string }));
    if (keys.length > 0) {
      await deps.s3.send(
        new DeleteObjectsCommand({ Bucket: plan.staging.bucket, Delete: { Objects: keys } }),
      );
      removed += keys.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return removed;
}

function numRecords(stats: string | null | undefined): number {
  if (!stats) return 0;
  try {
    return Number((JSON.parse(stats) as { numRecords?: number }).numRecords ?? 0);
  } catch {
    return 0;
  }
}

function numeric(value: Row[string], column: string): number {
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new InvalidParameterError(`feature column "${column}" holds a non-numeric value (${typeof value})`);
}

function jsonValue(value: Row[string]): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  return value;
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i += 1) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

function safe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_');
}
