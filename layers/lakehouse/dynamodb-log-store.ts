/**
 * Commits through DynamoDB, item for item compatible with Delta's S3DynamoDBLogStore
 * (`BaseExternalLogStore.write`), so Spark writers configured with the same `delta_log` table and
 * the same `tablePath` string are mutually excluded with the kit.
 *
 *   1. E(N-1) incomplete?  ── repair it (copy its temp file to N-1.json, mark complete)
 *   2. PUT   _delta_log/.tmp/N.json.<uuid>                      (temp commit, plain put)
 *   3. PutItem {tablePath, fileName: N.json, tempPath, complete:"false"}
 *            condition attribute_not_exists(fileName)           ◀── THE COMMIT POINT
 *   4. copy  .tmp/N.json.<uuid> → _delta_log/N.json              (skipped if it exists)
 *   5. UpdateItem complete="true", expireTime = now + 1 day      (TTL)
 *
 * A writer that dies after step 3 has committed: whoever next asks for the latest version (reader
 * or writer) finds the incomplete entry and finishes steps 4–5. Errors in 4–5 are swallowed for the
 * same reason. A writer that dies before step 3 leaves only a stray temp file, which readers ignore.
 * Conditional-check failures are translated to CommitConflictError here and nowhere else.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { commitFileName, LOG_DIR } from './actions.ts';
import { CommitConflictError, CorruptTableError } from './errors.ts';
import type { LogStore } from './log-store.ts';
import type { ObjectStore } from './object-store.ts';

/** Steps of a commit, for fault injection in tests (a hook that throws simulates a crash there). */
export type CommitStep = 'temp-written' | 'entry-put' | 'copied' | 'completed';

export interface DynamoDbLogStoreOptions {
  readonly client: DynamoDBDocumentClient;
  /** Name of the `delta_log` table. */
  readonly tableName: string;
  /** The table's objects; its `root` (no trailing slash) is the `tablePath` key. */
  readonly objects: ObjectStore;
  /** Seconds an entry outlives its completion (DynamoDB TTL). @default 86400 */
  readonly ttlSeconds?: number;
  /** Called after each commit step; throwing aborts the commit there. @default none */
  readonly afterStep?: (step: CommitStep, version: number) => void | Promise<void>;
  /** @default crypto.randomUUID */
  readonly uuid?: () => string;
}

interface LogEntry {
  readonly tablePath: string;
  readonly fileName: string;
  readonly tempPath: string;
  readonly complete: string;
  readonly expireTime?: number;
}

export class DynamoDbLogStore implements LogStore {
  readonly tablePath: string;

  constructor(private readonly options: DynamoDbLogStoreOptions) {
    this.tablePath = options.objects.root.replace(/\/+$/, '');
  }

  async latestVersion(): Promise<number | undefined> {
    const response = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: 'tablePath = :p',
        ExpressionAttributeValues: { ':p': this.tablePath },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const entry = response.Items?.[0] as LogEntry | undefined;
    if (!entry) return undefined;
    if (entry.complete !== 'true') await this.repair(entry);
    return versionOf(entry.fileName);
  }

  async write(version: number, content: string): Promise<void> {
    const { objects, client, tableName } = this.options;
    const fileName = commitFileName(version);
    if (await objects.head(`${LOG_DIR}/${fileName}`)) {
      throw new CommitConflictError(`version ${version} of ${this.tablePath} already exists`, version);
    }
    if (version > 0) {
      const previous = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { tablePath: this.tablePath, fileName: commitFileName(version - 1) },
          ConsistentRead: true,
        }),
      );
      const entry = previous.Item as LogEntry | undefined;
      if (entry && entry.complete !== 'true') await this.repair(entry);
      else if (!entry && !(await objects.head(`${LOG_DIR}/${commitFileName(version - 1)}`))) {
        throw new CorruptTableError(
          `cannot commit version ${version} of ${this.tablePath}: version ${version - 1} does not exist`,
        );
      }
    }
    const tempPath = `.tmp/${fileName}.${this.options.uuid?.() ?? crypto.randomUUID()}`;
    await objects.put(`${LOG_DIR}/${tempPath}`, content);
    await this.step('temp-written', version);
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { tablePath: this.tablePath, fileName, tempPath, complete: 'false' },
          ConditionExpression: 'attribute_not_exists(fileName)',
        }),
      );
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as Error).name === 'ConditionalCheckFailedException'
      ) {
        throw new CommitConflictError(
          `version ${version} of ${this.tablePath} was taken by another writer`,
          version,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    await this.step('entry-put', version);
    // From here the commit has happened; failures below are finished by the next reader or writer.
    try {
      await this.copyTemp(tempPath, fileName);
      await this.step('copied', version);
      await this.markComplete(fileName);
      await this.step('completed', version);
    } catch (error) {
      if (error instanceof InjectedFault) throw error;
    }
  }

  /** Finishes an entry whose writer stopped after the commit point (Spark's `fixDeltaLog`). */
  async repair(entry: LogEntry): Promise<void> {
    await this.copyTemp(entry.tempPath, entry.fileName);
    await this.markComplete(entry.fileName);
  }

  private async copyTemp(tempPath: string, fileName: string): Promise<void> {
    const { objects } = this.options;
    const target = `${LOG_DIR}/${fileName}`;
    if (await objects.head(target)) return;
    const body = await objects.get(`${LOG_DIR}/${tempPath}`);
    if (body === undefined) {
      throw new CorruptTableError(
        `temp commit ${tempPath} of ${this.tablePath} is missing; cannot finish ${fileName}`,
      );
    }
    await objects.putIfAbsent(target, body).catch(async () => {
      // Stores without conditional puts: a concurrent repair writes identical bytes, so a plain put is safe.
      await objects.put(target, body);
    });
  }

  private async markComplete(fileName: string): Promise<void> {
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { tablePath: this.tablePath, fileName },
          UpdateExpression: 'SET complete = :t, expireTime = :e',
          ConditionExpression: 'complete = :f',
          ExpressionAttributeValues: {
            ':t': 'true',
            ':f': 'false',
            ':e': Math.floor(Date.now() / 1000) + (this.options.ttlSeconds ?? 86_400),
          },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  private async step(step: CommitStep, version: number): Promise<void> {
    if (!this.options.afterStep) return;
    try {
      await this.options.afterStep(step, version);
    } catch (error) {
      throw new InjectedFault(step, error);
    }
  }
}

/** A failure raised by an `afterStep` hook: it must propagate like a crash, never be swallowed. */
export class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
  constructor(
    readonly step: CommitStep,
    cause: unknown,
  ) {
    super(`commit interrupted after ${step}`, { cause });
  }
}

function versionOf(fileName: string): number {
  return Number(fileName.slice(0, 20));
}
