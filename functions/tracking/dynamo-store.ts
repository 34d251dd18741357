/**
 * The TrackingStore on DynamoDB, with single-item conditional writes and BatchWrite only (no
 * transactions, which dynalite lacks). Item layout: dynamo-items.ts.
 *
 * log-batch, the hot path, costs one consistent GetItem of the run, one BatchWrite of history pages
 * (at most one per touched bucket) and, usually, one UpdateItem guarded by the run's `ver`. Every
 * write to a run item adds 1 to `ver`, so when this instance wrote the run last (recent-runs.ts) the
 * guarded UpdateItem goes first on the item as it wrote it, and the GetItem is only needed when
 * that fails (another writer came between) or the batch needs a read's answer. When a
 * concurrent writer got there first, the update is redone per entry with conditions that need no
 * retry loop: a metric entry is only replaced by a point with a larger order key (losing that race
 * means the stored point is newer, so there is nothing to do), a param only if absent or equal, a tag
 * unconditionally.
 */
import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AlreadyExistsError, InvalidParameterError, NotFoundError } from '../../layers/runtime/errors.ts';
import {
  EXPERIMENTS_PK,
  type ExperimentItem,
  experimentFromItem,
  experimentNamePk,
  experimentPk,
  experimentSk,
  type HistoryPage,
  historyBucket,
  historyPk,
  type LoggedModelItem,
  loadDouble,
  loggedModelFromItem,
  modelPointerPk,
  modelSk,
  RUN_CHANGE_SHARDS,
  type RunItem,
  runChangeItem,
  runChangePk,
  runChangeSkAfter,
  runFromItem,
  runInfoFromItem,
  runItem,
  runPointerPk,
  runSk,
  type StoredMetric,
  storeDouble,
  storedOrderKey,
  storeMetric,
} from './dynamo-items.ts';
import type { DatasetInput, Experiment, LifecycleStage, LoggedModel, Metric, Run, RunInfo } from './model.ts';
import { metricOrderKey } from './ordering.ts';
import { RecentRuns } from './recent-runs.ts';
import { experimentHint } from './run-ids.ts';
import { RunSearchCache, type VersionedRun } from './run-search-cache.ts';
import type {
  Batch,
  NewExperiment,
  NewLoggedModel,
  RunFields,
  RunListing,
  RunUpdate,
  TrackingStore,
} from './store.ts';

const DEFAULT_EXPERIMENT_ID = '0';
const POINTER_CACHE_LIMIT = 50_000;

export interface DynamoTrackingStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Clock for change-log entries and the search cache. @default Date.now */
  readonly now?: () => number;
  /** Most entries (runs, their metrics, params and tags) the search cache holds (0 turns it off). @default 1_000_000 */
  readonly searchCacheEntries?: number;
  /** Most runs whose last written item is held for the next log-batch (recent-runs.ts; 0 turns it off). @default 64 */
  readonly recentRuns?: number;
}

export class DynamoTrackingStore implements TrackingStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  /** run/model id → experiment id; immutable mappings, so caching them is always correct. */
  readonly #pointers = new Map<string, string>();
  #defaultEnsured = false;
  readonly #now: () => number;
  readonly #searchCache: RunSearchCache | undefined;
  readonly #recentRuns: RecentRuns;

  constructor(options: DynamoTrackingStoreOptions) {
    this.#db = options.client;
    this.#recentRuns = new RecentRuns(options.recentRuns ?? 64);
    this.#table = options.tableName;
    this.#now = options.now ?? Date.now;
    this.#searchCache =
      options.searchCacheEntries === 0
        ? undefined
        : new RunSearchCache(
            {
              allRuns: (experimentId) => this.#readAllRuns(experimentId),
              changedRunIds: (experimentId, since) => this.#changedRunIds(experimentId, since),
              getRuns: (experimentId, runIds) =>
                this.#batchGetRuns(runIds.map((runId) => ({ runId, experimentId }))),
            },
            {
              now: this.#now,
              ...(options.searchCacheEntries ? { maxEntries: options.searchCacheEntries } : {}),
            },
          );
    // DynamoDB rejects an item over 400 KB with a ValidationException; for the client that is bad input.
    this.#db.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          if (!isItemTooLarge(error)) throw error;
          throw new InvalidParameterError(
            "The data would exceed DynamoDB's 400 KB item limit (the params, tags, latest metrics and inputs of one run, one experiment or one logged model).",
            { cause: error },
          );
        }
      },
      { step: 'initialize', name: 'trackingItemSizeErrors', override: true },
    );
  }

  // ---- experiments -------------------------------------------------------------------------

  async createExperiment(input: NewExperiment): Promise<Experiment> {
    await this.#ensureDefaultExperiment();
    const counter = await this.#db.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: 'COUNTER', sk: 'EXPERIMENT' },
        UpdateExpression: 'ADD #n :one',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const experimentId = String(counter.Attributes?.n);
    return this.#putExperiment(experimentId, input);
  }

  async #putExperiment(experimentId: string, input: NewExperiment): Promise<Experiment> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: experimentNamePk(input.name), sk: 'NAME', experimentId },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new AlreadyExistsError(`Experiment(name=${input.name}) already exists.`, { cause: error });
      }
      throw error;
    }
    const item: ExperimentItem = {
      pk: EXPERIMENTS_PK,
      sk: experimentSk(experimentId),
      experimentId,
      name: input.name,
      artifactLocation: input.artifactLocation ?? `mlflow-artifacts:/${experimentId}`,
      lifecycleStage: 'active',
      creationTime: input.now,
      lastUpdateTime: input.now,
      tags: { ...input.tags },
    };
    await this.#db.send(new PutCommand({ TableName: this.#table, Item: item }));
    return experimentFromItem(item as unknown as Record<string, unknown>);
  }

  async #ensureDefaultExperiment(): Promise<void> {
    if (this.#defaultEnsured) return;
    const existing = await this.#getExperimentItem(DEFAULT_EXPERIMENT_ID);
    if (!existing) {
      await this.#putExperiment(DEFAULT_EXPERIMENT_ID, { name: 'Default', tags: {}, now: Date.now() }).catch(
        (error: unknown) => {
          if (!(error instanceof AlreadyExistsError)) throw error;
        },
      );
    }
    this.#defaultEnsured = true;
  }

  async #getExperimentItem(experimentId: string): Promise<Experiment | undefined> {
    const result = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: EXPERIMENTS_PK, sk: experimentSk(experimentId) },
        ConsistentRead: true,
      }),
    );
    return result.Item ? experimentFromItem(result.Item) : undefined;
  }

  async getExperiment(experimentId: string): Promise<Experiment | undefined> {
    await this.#ensureDefaultExperiment();
    return this.#getExperimentItem(experimentId);
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    // Longer names cannot have been created, and would not fit in a key.
    if (name.length > 500) return undefined;
    await this.#ensureDefaultExperiment();
    const owner = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: experimentNamePk(name), sk: 'NAME' },
        ConsistentRead: true,
      }),
    );
    const experimentId = owner.Item?.experimentId as string | undefined;
    return experimentId === undefined ? undefined : this.#getExperimentItem(experimentId);
  }

  async listExperiments(): Promise<Experiment[]> {
    await this.#ensureDefaultExperiment();
    const items = await this.#queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': EXPERIMENTS_PK },
    });
    return items.map(experimentFromItem);
  }

  async renameExperiment(experimentId: string, newName: string, now: number): Promise<void> {
    const experiment = await this.#requireExperiment(experimentId);
    if (experiment.name === newName) return;
    await this.#putNameOwner(newName, experimentId);
    await this.#updateExperiment(experimentId, 'SET #name = :name, lastUpdateTime = :now', {
      names: { '#name': 'name' },
      values: { ':name': newName, ':now': now },
    });
    await this.#batchWrite([
      { DeleteRequest: { Key: { pk: experimentNamePk(experiment.name), sk: 'NAME' } } },
    ]);
  }

  async #putNameOwner(name: string, experimentId: string): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: experimentNamePk(name), sk: 'NAME', experimentId },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new AlreadyExistsError(`Experiment(name=${name}) already exists.`, { cause: error });
      }
      throw error;
    }
  }

  async setExperimentLifecycle(experimentId: string, stage: LifecycleStage, now: number): Promise<void> {
    await this.#updateExperiment(experimentId, 'SET lifecycleStage = :stage, lastUpdateTime = :now', {
      values: { ':stage': stage, ':now': now },
    });
    const runs = await this.#queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
      ExpressionAttributeValues: { ':pk': experimentPk(experimentId), ':r': 'R#' },
      ProjectionExpression: 'sk, lifecycleStage, deletedWithExperiment',
    });
    const changed: string[] = [];
    for (const run of runs) {
      const cascade =
        stage === 'deleted'
          ? run.lifecycleStage === 'active'
            ? 'SET lifecycleStage = :stage, deletedWithExperiment = :yes ADD ver :one'
            : undefined
          : run.deletedWithExperiment
            ? 'SET lifecycleStage = :stage REMOVE deletedWithExperiment ADD ver :one'
            : undefined;
      if (!cascade) continue;
      changed.push((run.sk as string).slice(2));
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: experimentPk(experimentId), sk: run.sk },
          UpdateExpression: cascade,
          ExpressionAttributeValues: {
            ':stage': stage,
            ':one': 1,
            ...(stage === 'deleted' ? { ':yes': true } : {}),
          },
        }),
      );
    }
    await this.#noteChanges(experimentId, changed);
  }

  async setExperimentTag(
    experimentId: string,
    key: string,
    value: string | undefined,
    now: number,
  ): Promise<void> {
    await this.#updateExperiment(
      experimentId,
      value === undefined
        ? 'REMOVE tags.#key SET lastUpdateTime = :now'
        : 'SET tags.#key = :value, lastUpdateTime = :now',
      {
        names: { '#key': key },
        values: { ':now': now, ...(value === undefined ? {} : { ':value': value }) },
      },
    );
  }

  async #requireExperiment(experimentId: string): Promise<Experiment> {
    const experiment = await this.getExperiment(experimentId);
    if (!experiment) throw new NotFoundError(`No Experiment with id=${experimentId} exists`);
    return experiment;
  }

  async #updateExperiment(
    experimentId: string,
    expression: string,
    options: { names?: Record<string, string>; values: Record<string, unknown> },
  ): Promise<void> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: EXPERIMENTS_PK, sk: experimentSk(experimentId) },
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk)',
          ...(options.names ? { ExpressionAttributeNames: options.names } : {}),
          ExpressionAttributeValues: options.values,
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new NotFoundError(`No Experiment with id=${experimentId} exists`, { cause: error });
      }
      throw error;
    }
  }

  // ---- runs --------------------------------------------------------------------------------

  async createRun(info: RunInfo, tags: Readonly<Record<string, string>>): Promise<void> {
    const item = runItem(info, tags);
    // A run whose id names its experiment (run-ids.ts) is found without a pointer.
    const pointer =
      experimentHint(info.runId) === info.experimentId
        ? []
        : [
            {
              PutRequest: {
                Item: { pk: runPointerPk(info.runId), sk: 'RUN', experimentId: info.experimentId },
              },
            },
          ];
    await this.#db.send(
      new BatchWriteCommand({
        RequestItems: {
          [this.#table]: [
            ...pointer,
            { PutRequest: { Item: item } },
            { PutRequest: { Item: runChangeItem(info.experimentId, info.runId, this.#now()) } },
          ],
        },
      }),
    );
    this.#remember(info.runId, info.experimentId);
    this.#recentRuns.remember(item);
  }

  async getRun(runId: string): Promise<Run | undefined> {
    const item = await this.#getRunItem(runId);
    return item ? runFromItem(item as unknown as Record<string, unknown>) : undefined;
  }

  async #experimentOf(pointerPk: string, id: string): Promise<string | undefined> {
    const cached = this.#pointers.get(id);
    if (cached !== undefined) return cached;
    const pointer = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: pointerPk, sk: pointerPk.startsWith('RUN#') ? 'RUN' : 'MODEL' },
        ConsistentRead: true,
      }),
    );
    const experimentId = pointer.Item?.experimentId as string | undefined;
    if (experimentId !== undefined) this.#remember(id, experimentId);
    return experimentId;
  }

  #remember(id: string, experimentId: string): void {
    if (this.#pointers.size >= POINTER_CACHE_LIMIT) this.#pointers.clear();
    this.#pointers.set(id, experimentId);
  }

  async #getRunItem(runId: string): Promise<RunItem | undefined> {
    const hinted = experimentHint(runId);
    if (hinted !== undefined) {
      const item = await this.#readRunItem(hinted, runId);
      if (item) return item;
    }
    const experimentId = await this.#experimentOf(runPointerPk(runId), runId);
    if (experimentId === undefined || experimentId === hinted) return undefined;
    return this.#readRunItem(experimentId, runId);
  }

  async #readRunItem(experimentId: string, runId: string): Promise<RunItem | undefined> {
    const result = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: experimentPk(experimentId), sk: runSk(runId) },
        ConsistentRead: true,
      }),
    );
    return result.Item as RunItem | undefined;
  }

  async #requireRunItem(runId: string): Promise<RunItem> {
    const item = await this.#getRunItem(runId);
    if (!item) throw new NotFoundError(`Run with id=${runId} not found`);
    return item;
  }

  async listRuns(experimentIds: readonly string[], fields?: RunFields): Promise<RunListing> {
    const cache = this.#searchCache;
    if (fields && cache) {
      const runs = await Promise.all(experimentIds.map((experimentId) => cache.runs(experimentId)));
      return { runs: runs.flat(), complete: true };
    }
    const projection = fields ? runProjection(fields) : undefined;
    // Run ids are hex: one Query per leading digit, in parallel, reads an experiment's runs at once.
    const segments = experimentIds.flatMap((experimentId) =>
      [...'0123456789abcdef'].map((digit) => ({ experimentId, digit })),
    );
    const pages = await Promise.all(
      segments.map(({ experimentId, digit }) =>
        this.#queryAll({
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
          ExpressionAttributeValues: { ':pk': experimentPk(experimentId), ':r': `R#${digit}` },
          ...(projection
            ? { ProjectionExpression: projection.expression, ExpressionAttributeNames: projection.names }
            : {}),
        }),
      ),
    );
    return { runs: pages.flat().map(runFromItem), complete: projection === undefined };
  }

  async getRuns(runs: readonly { readonly runId: string; readonly experimentId: string }[]): Promise<Run[]> {
    const found = new Map((await this.#batchGetRuns(runs)).map(({ run }) => [run.info.runId, run]));
    return runs.flatMap((run) => found.get(run.runId) ?? []);
  }

  /** Every run item of the experiment, read in 16 parallel Queries (one per leading hex digit). */
  async #readAllRuns(experimentId: string): Promise<VersionedRun[]> {
    const pages = await Promise.all(
      [...'0123456789abcdef'].map((digit) =>
        this.#queryAll({
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
          ExpressionAttributeValues: { ':pk': experimentPk(experimentId), ':r': `R#${digit}` },
        }),
      ),
    );
    return pages.flat().map(versionedRun);
  }

  /** Ids of the runs of the experiment with a change-log entry later than `since`. */
  async #changedRunIds(experimentId: string, since: number): Promise<string[]> {
    const shards = await Promise.all(
      Array.from({ length: RUN_CHANGE_SHARDS }, (_, shard) =>
        this.#queryAll({
          KeyConditionExpression: 'pk = :pk AND sk > :since',
          ExpressionAttributeValues: {
            ':pk': runChangePk(experimentId, shard),
            ':since': runChangeSkAfter(since),
          },
          ProjectionExpression: 'runId',
        }),
      ),
    );
    return [...new Set(shards.flat().map((entry) => entry.runId as string))];
  }

  /** Change-log entries for writes to these runs (see dynamo-items.ts). */
  async #noteChanges(experimentId: string, runIds: readonly string[]): Promise<void> {
    const now = this.#now();
    await this.#batchWrite(
      runIds.map((runId) => ({ PutRequest: { Item: runChangeItem(experimentId, runId, now) } })),
    );
  }

  /** The runs with their versions, strongly consistent, 100 keys per BatchGetItem, in parallel. */
  async #batchGetRuns(
    runs: readonly { readonly runId: string; readonly experimentId: string }[],
  ): Promise<VersionedRun[]> {
    const found: VersionedRun[] = [];
    const chunks: (typeof runs)[] = [];
    for (let i = 0; i < runs.length; i += 100) chunks.push(runs.slice(i, i + 100));
    await Promise.all(
      chunks.map(async (chunk) => {
        let keys: Record<string, unknown>[] = chunk.map((run) => ({
          pk: experimentPk(run.experimentId),
          sk: runSk(run.runId),
        }));
        for (let attempt = 0; keys.length > 0; attempt += 1) {
          if (attempt > 0)
            await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
          const result = await this.#db.send(
            new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: keys, ConsistentRead: true } } }),
          );
          for (const item of result.Responses?.[this.#table] ?? []) found.push(versionedRun(item));
          keys = (result.UnprocessedKeys?.[this.#table]?.Keys ?? []) as Record<string, unknown>[];
        }
      }),
    );
    return found;
  }

  async updateRun(runId: string, update: RunUpdate): Promise<RunInfo> {
    this.#recentRuns.forget(runId);
    const run = await this.#requireRunItem(runId);
    const sets: string[] = [];
    const values: Record<string, unknown> = { ':one': 1 };
    const names: Record<string, string> = {};
    if (update.status !== undefined) {
      sets.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = update.status;
    }
    if (update.endTime !== undefined) {
      sets.push('endTime = :end');
      values[':end'] = update.endTime;
    }
    if (update.runName !== undefined) {
      sets.push('runName = :name', 't.#rn = :name');
      names['#rn'] = 'mlflow.runName';
      values[':name'] = update.runName;
    }
    const [result] = await Promise.all([
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: run.pk, sk: run.sk },
          UpdateExpression: `${sets.length ? `SET ${sets.join(', ')} ` : ''}ADD ver :one`,
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
      this.#noteChanges(run.experimentId, [runId]),
    ]);
    return runInfoFromItem(result.Attributes as RunItem);
  }

  async setRunLifecycle(runId: string, stage: LifecycleStage): Promise<void> {
    this.#recentRuns.forget(runId);
    const run = await this.#requireRunItem(runId);
    await Promise.all([
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: run.pk, sk: run.sk },
          UpdateExpression: 'SET lifecycleStage = :stage REMOVE deletedWithExperiment ADD ver :one',
          ExpressionAttributeValues: { ':stage': stage, ':one': 1 },
        }),
      ),
      this.#noteChanges(run.experimentId, [runId]),
    ]);
  }

  async logBatch(runId: string, batch: Batch): Promise<void> {
    const recent = this.#recentRuns.take(runId);
    if (recent && (await this.#logBatchOnto(recent, batch))) return;
    this.#recentRuns.forget(runId);
    const run = await this.#requireRunItem(runId);
    if (run.lifecycleStage !== 'active') {
      throw new InvalidParameterError(
        `The run ${runId} must be in the 'active' state. Current state is ${run.lifecycleStage}.`,
      );
    }
    const plan = planBatch(run, batch);
    if (plan.conflict) {
      const { key, existing, value } = plan.conflict;
      throw paramConflict(runId, key, existing, value);
    }
    const { params, latest } = plan;
    const changes = Object.keys(params).length + Object.keys(batch.tags).length + latest.size;
    if (changes === 0) this.#recentRuns.remember(run);
    const update = changes === 0 ? Promise.resolve() : this.#updateRun(run, params, batch.tags, latest);
    // The change-log entry travels with the history pages (one BatchWriteItem).
    const change = changes === 0 ? [] : [runChangeItem(run.experimentId, runId, this.#now())];
    if (Object.keys(params).length > 0) {
      // A param can still lose a race to another value: settle that before anything else is written.
      await update;
      await this.#appendHistory(runId, batch.metrics, change);
    } else {
      await Promise.all([update, this.#appendHistory(runId, batch.metrics, change)]);
    }
  }

  /**
   * logBatch without reading the run, onto the item as this instance last wrote it (recent-runs.ts):
   * the update is conditioned on the version, and the history is written once it succeeded. False,
   * with nothing written, when the run changed since, or when the batch needs the read's answer.
   */
  async #logBatchOnto(run: RunItem, batch: Batch): Promise<boolean> {
    if (run.lifecycleStage !== 'active') return false;
    const plan = planBatch(run, batch);
    const { params, latest } = plan;
    if (plan.conflict || Object.keys(params).length + Object.keys(batch.tags).length + latest.size === 0) {
      return false;
    }
    if (!(await this.#versionedUpdate(run, params, batch.tags, latest))) {
      this.#recentRuns.miss(run.runId);
      return false;
    }
    this.#recentRuns.hit(run.runId);
    await this.#appendHistory(run.runId, batch.metrics, [
      runChangeItem(run.experimentId, run.runId, this.#now()),
    ]);
    return true;
  }

  /** One write guarded by the run's version; the per-entry path when another writer got there first. */
  async #updateRun(
    run: RunItem,
    params: Record<string, string>,
    tags: Readonly<Record<string, string>>,
    latest: Map<string, StoredMetric>,
  ): Promise<void> {
    if (!(await this.#versionedUpdate(run, params, tags, latest))) {
      await this.#logEntryByEntry(run, params, tags, latest);
    }
  }

  /**
   * Writes the run's maps with these entries merged in, if its version is still `run.ver`; then
   * remembers the item as written. False (nothing written) when the version has moved on.
   */
  async #versionedUpdate(
    run: RunItem,
    params: Record<string, string>,
    tags: Readonly<Record<string, string>>,
    latest: Map<string, StoredMetric>,
  ): Promise<boolean> {
    const m: Record<string, StoredMetric> = {};
    for (const [key, stored] of Object.entries(run.m ?? {})) m[key] = storedOrderKey(stored);
    for (const [key, stored] of latest) m[key] = stored;
    const p = { ...run.p, ...params };
    const t = { ...run.t, ...tags };
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: run.pk, sk: run.sk },
          UpdateExpression: 'SET #m = :m, #p = :p, #t = :t ADD ver :one',
          ConditionExpression: 'ver = :ver',
          ExpressionAttributeNames: { '#m': 'm', '#p': 'p', '#t': 't' },
          ExpressionAttributeValues: { ':m': m, ':p': p, ':t': t, ':ver': run.ver ?? 0, ':one': 1 },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return false;
    }
    this.#recentRuns.remember({ ...run, m, p, t, ver: (run.ver ?? 0) + 1 });
    return true;
  }

  /** The contended path of logBatch: conditional updates per entry, none of which needs a retry. */
  async #logEntryByEntry(
    run: RunItem,
    params: Record<string, string>,
    tags: Readonly<Record<string, string>>,
    latest: Map<string, StoredMetric>,
  ): Promise<void> {
    this.#recentRuns.forget(run.runId);
    const key = { pk: run.pk, sk: run.sk };
    for (const [name, value] of Object.entries(params)) {
      try {
        await this.#db.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: key,
            UpdateExpression: 'SET #p.#k = :v ADD ver :one',
            ConditionExpression: 'attribute_not_exists(#p.#k) OR #p.#k = :v',
            ExpressionAttributeNames: { '#p': 'p', '#k': name },
            ExpressionAttributeValues: { ':v': value, ':one': 1 },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const current = (await this.#requireRunItem(run.runId)).p?.[name] ?? '';
        throw paramConflict(run.runId, name, current, value);
      }
    }
    const tagEntries = Object.entries(tags);
    for (let i = 0; i < tagEntries.length; i += 50) {
      const chunk = tagEntries.slice(i, i + 50);
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: `SET ${chunk.map((_, j) => `#t.#k${j} = :v${j}`).join(', ')} ADD ver :one`,
          ExpressionAttributeNames: {
            '#t': 't',
            ...Object.fromEntries(chunk.map(([k], j) => [`#k${j}`, k])),
          },
          ExpressionAttributeValues: {
            ':one': 1,
            ...Object.fromEntries(chunk.map(([, v], j) => [`:v${j}`, v])),
          },
        }),
      );
    }
    await Promise.all(
      [...latest].map(async ([name, stored]) => {
        try {
          await this.#db.send(
            new UpdateCommand({
              TableName: this.#table,
              Key: key,
              UpdateExpression: 'SET #m.#k = :o ADD ver :one',
              // String entries compare as order keys; an entry in the earlier map form by its `o`.
              ConditionExpression:
                'attribute_not_exists(#m.#k) OR #m.#k < :o OR (attribute_type(#m.#k, :map) AND #m.#k.#o < :o)',
              ExpressionAttributeNames: { '#m': 'm', '#k': name, '#o': 'o' },
              ExpressionAttributeValues: { ':o': stored, ':map': 'M', ':one': 1 },
            }),
          );
        } catch (error) {
          // A newer point is already the latest: nothing to do.
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }),
    );
  }

  async #appendHistory(
    runId: string,
    metrics: readonly Metric[],
    extra: readonly Record<string, unknown>[] = [],
  ): Promise<void> {
    const pages = new Map<number, HistoryPage>();
    for (const metric of metrics) {
      const bucket = historyBucket(metric.key);
      const page = pages.get(bucket) ?? {};
      const points = page[metric.key] ?? [];
      points.push([storeDouble(metric.value), metric.timestamp, metric.step]);
      page[metric.key] = points;
      pages.set(bucket, page);
    }
    const sk = `${Date.now().toString().padStart(15, '0')}#${randomBytes(6).toString('hex')}`;
    const requests = [...pages].map(([bucket, page]) => ({
      PutRequest: { Item: { pk: historyPk(runId, bucket), sk, d: JSON.stringify(page) } },
    }));
    await this.#batchWrite([...requests, ...extra.map((Item) => ({ PutRequest: { Item } }))]);
  }

  async deleteRunTag(runId: string, key: string): Promise<boolean> {
    this.#recentRuns.forget(runId);
    const run = await this.#requireRunItem(runId);
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: run.pk, sk: run.sk },
          UpdateExpression: 'REMOVE #t.#k ADD ver :one',
          ConditionExpression: 'attribute_exists(#t.#k)',
          ExpressionAttributeNames: { '#t': 't', '#k': key },
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
      await this.#noteChanges(run.experimentId, [runId]);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const pages = await this.#queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': historyPk(runId, historyBucket(key)) },
    });
    const seen = new Set<string>();
    const points: { metric: Metric; order: string }[] = [];
    for (const page of pages) {
      const data = JSON.parse(page.d as string) as HistoryPage;
      for (const [value, timestamp, step] of data[key] ?? []) {
        const metric = { key, value: loadDouble(value), timestamp, step };
        const order = metricOrderKey(metric);
        if (seen.has(order)) continue;
        seen.add(order);
        points.push({ metric, order });
      }
    }
    points.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    return points.map((point) => point.metric);
  }

  async logInputs(
    runId: string,
    datasets: readonly DatasetInput[],
    modelIds: readonly string[],
  ): Promise<void> {
    this.#recentRuns.forget(runId);
    const run = await this.#requireRunItem(runId);
    const identity = (input: DatasetInput) =>
      JSON.stringify([input.dataset.name, input.dataset.digest, input.tags ?? []]);
    const known = new Set((run.di ?? []).map(identity));
    const di = [...(run.di ?? []), ...datasets.filter((input) => !known.has(identity(input)))];
    const mi = [...new Set([...(run.mi ?? []), ...modelIds])];
    await Promise.all([
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: run.pk, sk: run.sk },
          UpdateExpression: 'SET di = :di, mi = :mi ADD ver :one',
          ExpressionAttributeValues: { ':di': di, ':mi': mi, ':one': 1 },
        }),
      ),
      this.#noteChanges(run.experimentId, [runId]),
    ]);
  }

  async logOutputs(runId: string, outputs: readonly { modelId: string; step: number }[]): Promise<void> {
    this.#recentRuns.forget(runId);
    const run = await this.#requireRunItem(runId);
    const mo = [...(run.mo ?? [])];
    for (const output of outputs) {
      if (!mo.some((o) => o.modelId === output.modelId && o.step === output.step)) mo.push(output);
    }
    await Promise.all([
      this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: run.pk, sk: run.sk },
          UpdateExpression: 'SET mo = :mo ADD ver :one',
          ExpressionAttributeValues: { ':mo': mo, ':one': 1 },
        }),
      ),
      this.#noteChanges(run.experimentId, [runId]),
    ]);
  }

  // ---- logged models -----------------------------------------------------------------------

  async createLoggedModel(input: NewLoggedModel): Promise<LoggedModel> {
    const modelId = `m-${randomBytes(16).toString('hex')}`;
    const item: LoggedModelItem = {
      pk: experimentPk(input.experimentId),
      sk: modelSk(modelId),
      modelId,
      experimentId: input.experimentId,
      name: input.name,
      creationTimestampMs: input.now,
      lastUpdatedTimestampMs: input.now,
      artifactUri: `mlflow-artifacts:/${input.experimentId}/models/${modelId}/artifacts`,
      status: 'LOGGED_MODEL_PENDING',
      modelType: input.modelType,
      ...(input.sourceRunId ? { sourceRunId: input.sourceRunId } : {}),
      tags: { ...input.tags },
      params: { ...input.params },
    };
    await this.#batchWrite([
      {
        PutRequest: { Item: { pk: modelPointerPk(modelId), sk: 'MODEL', experimentId: input.experimentId } },
      },
      { PutRequest: { Item: item } },
    ]);
    this.#remember(modelId, input.experimentId);
    return loggedModelFromItem(item as unknown as Record<string, unknown>);
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel | undefined> {
    if (!/^[\w-]{1,256}$/.test(modelId)) return undefined;
    const experimentId = await this.#experimentOf(modelPointerPk(modelId), modelId);
    if (experimentId === undefined) return undefined;
    const result = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: experimentPk(experimentId), sk: modelSk(modelId) },
        ConsistentRead: true,
      }),
    );
    return result.Item ? loggedModelFromItem(result.Item) : undefined;
  }

  async listLoggedModels(experimentIds: readonly string[]): Promise<LoggedModel[]> {
    const pages = await Promise.all(
      experimentIds.map((experimentId) =>
        this.#queryAll({
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
          ExpressionAttributeValues: { ':pk': experimentPk(experimentId), ':m': 'LM#' },
        }),
      ),
    );
    return pages.flat().map(loggedModelFromItem);
  }

  async updateLoggedModel(
    modelId: string,
    update: Parameters<TrackingStore['updateLoggedModel']>[1],
  ): Promise<LoggedModel> {
    const model = await this.getLoggedModel(modelId);
    if (!model) throw new NotFoundError(`Logged model with ID '${modelId}' not found.`);
    const sets = ['lastUpdatedTimestampMs = :now'];
    const removes: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':now': update.now };
    if (update.status !== undefined) {
      sets.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = update.status;
    }
    for (const [attribute, entries] of [
      ['tags', update.tags],
      ['params', update.params],
    ] as const) {
      Object.entries(entries ?? {}).forEach(([key, value], i) => {
        const prefix = attribute === 'tags' ? 't' : 'p';
        names[`#${prefix}${i}`] = key;
        values[`:${prefix}${i}`] = value;
        sets.push(`${attribute}.#${prefix}${i} = :${prefix}${i}`);
      });
    }
    if (update.removeTag !== undefined) {
      names['#rt'] = update.removeTag;
      removes.push('tags.#rt');
    }
    const result = await this.#db.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: experimentPk(model.experimentId), sk: modelSk(modelId) },
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return loggedModelFromItem(result.Attributes ?? {});
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    const model = await this.getLoggedModel(modelId);
    if (!model) throw new NotFoundError(`Logged model with ID '${modelId}' not found.`);
    await this.#batchWrite([
      { DeleteRequest: { Key: { pk: experimentPk(model.experimentId), sk: modelSk(modelId) } } },
      { DeleteRequest: { Key: { pk: modelPointerPk(modelId), sk: 'MODEL' } } },
    ]);
    this.#pointers.delete(modelId);
  }

  // ---- plumbing ----------------------------------------------------------------------------

  async #queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#db.send(
        new QueryCommand({
          TableName: this.#table,
          ConsistentRead: true,
          ...input,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /**
   * BatchWrite in chunks of 25, sent in parallel (at most 8 at a time), re-sending unprocessed items
   * (DynamoDB's partial success) with backoff.
   */
  async #batchWrite(requests: readonly Record<string, unknown>[]): Promise<void> {
    const chunks: Record<string, unknown>[][] = [];
    for (let i = 0; i < requests.length; i += 25) chunks.push(requests.slice(i, i + 25));
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) await this.#batchWriteChunk(chunks[next++] as Record<string, unknown>[]);
    };
    await Promise.all(Array.from({ length: Math.min(8, chunks.length) }, worker));
  }

  async #batchWriteChunk(chunk: Record<string, unknown>[]): Promise<void> {
    let pending: Record<string, unknown>[] | undefined = chunk;
    for (let attempt = 0; pending?.length; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
      const result = await this.#db.send(
        new BatchWriteCommand({ RequestItems: { [this.#table]: pending as never } }),
      );
      pending = result.UnprocessedItems?.[this.#table] as Record<string, unknown>[] | undefined;
      if (attempt >= 8 && pending?.length) {
        const error = new Error('DynamoDB left items unprocessed after 8 attempts');
        error.name = 'ProvisionedThroughputExceededException';
        throw error;
      }
    }
  }
}

/**
 * What a batch changes on a run: the params it adds, the metric keys whose latest point it moves
 * forward, and the first param it would change (which fails the batch).
 */
function planBatch(
  run: RunItem,
  batch: Batch,
): {
  params: Record<string, string>;
  latest: Map<string, StoredMetric>;
  conflict?: { key: string; existing: string; value: string };
} {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(batch.params)) {
    const existing = run.p?.[key];
    if (existing === undefined) params[key] = value;
    else if (existing !== value) return { params, latest: new Map(), conflict: { key, existing, value } };
  }
  const latest = new Map<string, StoredMetric>();
  for (const metric of batch.metrics) {
    const stored = storeMetric(metric);
    const current = run.m?.[metric.key];
    const best = latest.get(metric.key) ?? (current === undefined ? undefined : storedOrderKey(current));
    if (best === undefined || best < stored) latest.set(metric.key, stored);
  }
  return { params, latest };
}

function paramConflict(runId: string, key: string, existing: string, value: string): InvalidParameterError {
  return new InvalidParameterError(
    `Changing param values is not allowed. Param with key='${key}' was already logged with value='${existing}' for run ID='${runId}'. Attempted logging new value '${value}'.`,
  );
}

function isItemTooLarge(error: unknown): boolean {
  return (
    (error as Error | null)?.name === 'ValidationException' && /item size/i.test((error as Error).message)
  );
}

const RUN_INFO_ATTRIBUTES = [
  'sk',
  'runId',
  'experimentId',
  'runName',
  'userId',
  '#status',
  'startTime',
  'endTime',
  'artifactUri',
  'lifecycleStage',
];

/** A ProjectionExpression reading a run's info and only the named map entries. */
function runProjection(fields: RunFields): { expression: string; names: Record<string, string> } {
  const names: Record<string, string> = { '#status': 'status' };
  const paths = [...RUN_INFO_ATTRIBUTES];
  const add = (map: 'm' | 'p' | 't', keys: readonly string[]) => {
    if (keys.length === 0) return;
    names[`#${map}`] = map;
    for (const key of new Set(keys)) {
      const placeholder = `#${map}${Object.keys(names).length}`;
      names[placeholder] = key;
      paths.push(`#${map}.${placeholder}`);
    }
  };
  add('m', fields.metrics);
  add('p', fields.params);
  add('t', fields.tags);
  if (fields.datasets) paths.push('di');
  return { expression: paths.join(', '), names };
}

function versionedRun(item: Record<string, unknown>): VersionedRun {
  return { run: runFromItem(item), version: Number(item.ver ?? 0) };
}
