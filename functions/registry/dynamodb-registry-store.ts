/**
 * The registry store on the `registry` table (generic `pk`/`sk`, `gsi1`, `gsi2`).
 *
 * Item layout (a model and its versions share one partition, so a model with all its versions is
 * one Query, and every change below is one conditional single-item write — no transactions):
 *
 *   item            pk              sk               gsi1pk / gsi1sk             gsi2pk / gsi2sk
 *   model           M#<name>        #                MODEL / <name>              —
 *   model version   M#<name>        V#<0000000042>   VERSION / <name>#<000…42>   RUN#<run_id> / <name>#<000…42>
 *
 * Model attributes: `name, created, updated, description?, tags (map), aliases (map alias → version
 * number), lastVersion (the version counter)`. Version attributes: `name, version, created,
 * updated, stage, description, source, runId?, runLink, userId?, modelId?, tags (map), lineage
 * (map)`. The audit trail lives in the same table under `A#<name>` (see `dynamodb-audit-log.ts`).
 */
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { modelExists, modelNotFound, versionNotFound } from './registry-errors.ts';
import {
  type ModelChanges,
  type RegistryStore,
  type VersionChanges,
  VersionConflictError,
} from './registry-store.ts';
import type { ModelVersion, RegisteredModel, Stage, VersionLineage } from './registry-types.ts';

const MODEL_SK = '#';

export function modelKey(name: string): { pk: string; sk: string } {
  return { pk: `M#${name}`, sk: MODEL_SK };
}

export function versionKey(name: string, version: number): { pk: string; sk: string } {
  return { pk: `M#${name}`, sk: `V#${pad(version)}` };
}

function pad(version: number): string {
  return String(version).padStart(10, '0');
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

export class DynamoDbRegistryStore implements RegistryStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  async createModel(model: RegisteredModel): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: modelItem(model),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw modelExists(model.name);
      throw error;
    }
  }

  async getModel(name: string): Promise<RegisteredModel | undefined> {
    const result = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: modelKey(name), ConsistentRead: true }),
    );
    return result.Item ? toModel(result.Item) : undefined;
  }

  async getModelWithVersions(
    name: string,
  ): Promise<{ model: RegisteredModel; versions: ModelVersion[] } | undefined> {
    const items = await this.#queryAll({
      TableName: this.#table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': modelKey(name).pk },
      ConsistentRead: true,
    });
    const head = items.find((item) => item.sk === MODEL_SK);
    if (!head) return undefined;
    return { model: toModel(head), versions: items.filter((item) => item.sk !== MODEL_SK).map(toVersion) };
  }

  async listModels(): Promise<RegisteredModel[]> {
    return (await this.#queryIndex('gsi1', 'gsi1pk', 'MODEL')).map(toModel);
  }

  async updateModel(name: string, changes: ModelChanges): Promise<RegisteredModel> {
    const sets = ['updated = :updated'];
    const values: Record<string, unknown> = { ':updated': changes.lastUpdatedTimestamp };
    if (changes.description !== undefined) {
      sets.push('description = :description');
      values[':description'] = changes.description;
    }
    const result = await this.#update(modelKey(name), `SET ${sets.join(', ')}`, values, {}, () =>
      modelNotFound(name),
    );
    return toModel(result);
  }

  async setModelTag(name: string, key: string, value: string, now: number): Promise<string | undefined> {
    const old = await this.#update(
      modelKey(name),
      'SET tags.#key = :value, updated = :updated',
      { ':value': value, ':updated': now },
      { '#key': key },
      () => modelNotFound(name),
      'ALL_OLD',
    );
    return (old.tags as Record<string, string> | undefined)?.[key];
  }

  async deleteModelTag(name: string, key: string, now: number): Promise<string | undefined> {
    const old = await this.#update(
      modelKey(name),
      'REMOVE tags.#key SET updated = :updated',
      { ':updated': now },
      { '#key': key },
      () => modelNotFound(name),
      'ALL_OLD',
    );
    return (old.tags as Record<string, string> | undefined)?.[key];
  }

  async setAlias(name: string, alias: string, version: number, now: number): Promise<number | undefined> {
    const old = await this.#update(
      modelKey(name),
      'SET aliases.#alias = :version, updated = :updated',
      { ':version': version, ':updated': now },
      { '#alias': alias },
      () => modelNotFound(name),
      'ALL_OLD',
    );
    return (old.aliases as Record<string, number> | undefined)?.[alias];
  }

  async deleteAlias(
    name: string,
    alias: string,
    now: number,
    expected?: number,
  ): Promise<number | undefined> {
    const values: Record<string, unknown> = { ':updated': now };
    let condition = 'attribute_exists(pk)';
    if (expected !== undefined) {
      condition = 'aliases.#alias = :expected';
      values[':expected'] = expected;
    }
    try {
      const result = await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: modelKey(name),
          UpdateExpression: 'REMOVE aliases.#alias SET updated = :updated',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#alias': alias },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
        }),
      );
      return (result.Attributes?.aliases as Record<string, number> | undefined)?.[alias];
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (expected !== undefined) return undefined;
      throw modelNotFound(name);
    }
  }

  async renameModel(name: string, newName: string, now: number): Promise<void> {
    const found = await this.getModelWithVersions(name);
    if (!found) throw modelNotFound(name);
    // The new model item is put-if-absent first: a taken name fails before anything moves. The
    // versions are copied next and the old items deleted last, so an interrupted rename leaves the
    // old model complete (and the new one to be deleted by hand), never a model with lost versions.
    await this.createModel({ ...found.model, name: newName, lastUpdatedTimestamp: now });
    const moved = found.versions.map((version) => ({ ...version, name: newName, lastUpdatedTimestamp: now }));
    await this.#batchWrite(moved.map((version) => ({ PutRequest: { Item: versionItem(version) } })));
    await this.#batchWrite(
      found.versions.map((version) => ({ DeleteRequest: { Key: versionKey(name, version.version) } })),
    );
    await this.#batchWrite([{ DeleteRequest: { Key: modelKey(name) } }]);
  }

  async deleteModel(name: string): Promise<void> {
    const found = await this.getModelWithVersions(name);
    if (!found) throw modelNotFound(name);
    // The model item goes first: once it is gone the name is free and no version is reachable.
    await this.#batchWrite([{ DeleteRequest: { Key: modelKey(name) } }]);
    await this.#batchWrite(
      found.versions.map((version) => ({ DeleteRequest: { Key: versionKey(name, version.version) } })),
    );
  }

  async allocateVersion(name: string, now: number): Promise<number> {
    const result = await this.#update(
      modelKey(name),
      'ADD lastVersion :one SET updated = :updated',
      { ':one': 1, ':updated': now },
      {},
      () => modelNotFound(name),
      'UPDATED_NEW',
    );
    return Number(result.lastVersion);
  }

  async putVersion(version: ModelVersion): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: versionItem(version),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new VersionConflictError(`Model version ${version.name} ${version.version} already exists`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async getVersion(name: string, version: number): Promise<ModelVersion | undefined> {
    const result = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: versionKey(name, version), ConsistentRead: true }),
    );
    return result.Item ? toVersion(result.Item) : undefined;
  }

  async listVersions(name: string): Promise<ModelVersion[]> {
    const items = await this.#queryAll({
      TableName: this.#table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
      ExpressionAttributeValues: { ':pk': modelKey(name).pk, ':v': 'V#' },
      ConsistentRead: true,
    });
    return items.map(toVersion);
  }

  async listAllVersions(): Promise<ModelVersion[]> {
    return (await this.#queryIndex('gsi1', 'gsi1pk', 'VERSION')).map(toVersion);
  }

  async listVersionsByRun(runId: string): Promise<ModelVersion[]> {
    return (await this.#queryIndex('gsi2', 'gsi2pk', `RUN#${runId}`)).map(toVersion);
  }

  async updateVersion(name: string, version: number, changes: VersionChanges): Promise<ModelVersion> {
    const sets = ['updated = :updated'];
    const values: Record<string, unknown> = { ':updated': changes.lastUpdatedTimestamp };
    if (changes.description !== undefined) {
      sets.push('description = :description');
      values[':description'] = changes.description;
    }
    if (changes.currentStage !== undefined) {
      sets.push('stage = :stage');
      values[':stage'] = changes.currentStage;
    }
    const result = await this.#update(versionKey(name, version), `SET ${sets.join(', ')}`, values, {}, () =>
      versionNotFound(name, version),
    );
    return toVersion(result);
  }

  async setVersionTag(
    name: string,
    version: number,
    key: string,
    value: string,
    now: number,
  ): Promise<string | undefined> {
    const old = await this.#update(
      versionKey(name, version),
      'SET tags.#key = :value, updated = :updated',
      { ':value': value, ':updated': now },
      { '#key': key },
      () => versionNotFound(name, version),
      'ALL_OLD',
    );
    return (old.tags as Record<string, string> | undefined)?.[key];
  }

  async deleteVersionTag(
    name: string,
    version: number,
    key: string,
    now: number,
  ): Promise<string | undefined> {
    const old = await this.#update(
      versionKey(name, version),
      'REMOVE tags.#key SET updated = :updated',
      { ':updated': now },
      { '#key': key },
      () => versionNotFound(name, version),
      'ALL_OLD',
    );
    return (old.tags as Record<string, string> | undefined)?.[key];
  }

  async deleteVersion(name: string, version: number): Promise<void> {
    await this.#batchWrite([{ DeleteRequest: { Key: versionKey(name, version) } }]);
  }

  /** One conditional update of an existing item; a missing item throws `notFound()`. */
  async #update(
    key: { pk: string; sk: string },
    expression: string,
    values: Record<string, unknown>,
    names: Record<string, string>,
    notFound: () => Error,
    returnValues: 'ALL_NEW' | 'ALL_OLD' | 'UPDATED_NEW' = 'ALL_NEW',
  ): Promise<Record<string, unknown>> {
    try {
      const result = await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk)',
          ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ReturnValues: returnValues,
        }),
      );
      return result.Attributes ?? {};
    } catch (error) {
      if (isConditionFailure(error)) throw notFound();
      throw error;
    }
  }

  async #queryIndex(index: string, attribute: string, value: string): Promise<Record<string, unknown>[]> {
    return this.#queryAll({
      TableName: this.#table,
      IndexName: index,
      KeyConditionExpression: `${attribute} = :value`,
      ExpressionAttributeValues: { ':value': value },
    });
  }

  async #queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#db.send(
        new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }),
      );
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async #batchWrite(requests: Record<string, unknown>[]): Promise<void> {
    for (let start = 0; start < requests.length; start += 25) {
      let pending: Record<string, unknown>[] = requests.slice(start, start + 25);
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
        const result = await this.#db.send(
          new BatchWriteCommand({ RequestItems: { [this.#table]: pending as never } }),
        );
        pending = (result.UnprocessedItems?.[this.#table] ?? []) as Record<string, unknown>[];
      }
    }
  }
}

function modelItem(model: RegisteredModel): Record<string, unknown> {
  return {
    ...modelKey(model.name),
    gsi1pk: 'MODEL',
    gsi1sk: model.name,
    name: model.name,
    created: model.creationTimestamp,
    updated: model.lastUpdatedTimestamp,
    description: model.description,
    tags: { ...model.tags },
    aliases: { ...model.aliases },
    lastVersion: model.lastVersion,
  };
}

function versionItem(version: ModelVersion): Record<string, unknown> {
  const sortKey = `${version.name}#${pad(version.version)}`;
  return {
    ...versionKey(version.name, version.version),
    gsi1pk: 'VERSION',
    gsi1sk: sortKey,
    ...(version.runId ? { gsi2pk: `RUN#${version.runId}`, gsi2sk: sortKey } : {}),
    name: version.name,
    version: version.version,
    created: version.creationTimestamp,
    updated: version.lastUpdatedTimestamp,
    stage: version.currentStage,
    description: version.description,
    source: version.source,
    runId: version.runId,
    runLink: version.runLink,
    userId: version.userId,
    modelId: version.modelId,
    tags: { ...version.tags },
    lineage: version.lineage,
  };
}

function toModel(item: Record<string, unknown>): RegisteredModel {
  return {
    name: item.name as string,
    creationTimestamp: Number(item.created),
    lastUpdatedTimestamp: Number(item.updated),
    ...(item.description === undefined ? {} : { description: item.description as string }),
    tags: (item.tags as Record<string, string>) ?? {},
    aliases: Object.fromEntries(
      Object.entries((item.aliases as Record<string, unknown>) ?? {}).map(([alias, v]) => [alias, Number(v)]),
    ),
    lastVersion: Number(item.lastVersion ?? 0),
  };
}

function toVersion(item: Record<string, unknown>): ModelVersion {
  return {
    name: item.name as string,
    version: Number(item.version),
    creationTimestamp: Number(item.created),
    lastUpdatedTimestamp: Number(item.updated),
    currentStage: item.stage as Stage,
    description: (item.description as string) ?? '',
    source: item.source as string,
    ...(item.runId ? { runId: item.runId as string } : {}),
    runLink: (item.runLink as string) ?? '',
    ...(item.userId ? { userId: item.userId as string } : {}),
    ...(item.modelId ? { modelId: item.modelId as string } : {}),
    tags: (item.tags as Record<string, string>) ?? {},
    lineage: item.lineage as VersionLineage,
  };
}
