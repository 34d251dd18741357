/**
 * The online store: the latest feature values of each entity, one DynamoDB item per entity key and
 * feature view version, in the `onlineStore` table.
 *
 *     pk = customer_id=c42                    (join keys in the view's order, values URI-encoded, joined by &)
 *     sk = customer_stats#v2                  (feature view and version)
 *     eventTime, createdTime                  (epoch ms of the source row the values come from)
 *     values = '{"total_spend":12.5,...}'    (one JSON string; null for a NULL feature value)
 *     tableVersion, writtenAt                 (the source table version that delivered the row)
 *     expiresAt                               (epoch s, event time + TTL: DynamoDB's TTL cleans up in AWS)
 *
 * The values are one JSON string rather than a DynamoDB map: a map of 100 features is 100 typed
 * attributes that DynamoDB encodes and the SDK decodes one by one on every read, and the lookup of
 * 100 entities × 200 features took three times as long that way on the local stand-in (items
 * written as maps by earlier versions are still read). A NaN value is stored as null (missing),
 * where a DynamoDB number could not hold it at all.
 *
 * Guarantees of `OnlineStore`:
 * - `writeLatest` never replaces an item with an older row: the put is conditional on the stored
 *   (eventTime, createdTime) being older or equal, evaluated atomically by DynamoDB, so concurrent
 *   materializations and late-arriving rows can only move an item forward in time. A row that
 *   loses is reported as `stale`, not as an error.
 * - `replaceLatest` and `deleteLatest` correct an item after source rows were deleted: the item
 *   becomes the given row (even an older one) or disappears, but only while the stored item comes
 *   from the same or an earlier source table version (`tableVersion`), so a correction computed
 *   from an older snapshot never undoes what a newer one wrote.
 * - `listEntityKeys` yields every entity key holding an item of a view version (a full scan).
 * - `read` returns, for each requested key, the stored item or nothing. It does not judge TTL;
 *   expiry is decided at read time by the caller with its own clock (`online-read.ts`), since
 *   DynamoDB's TTL deletion lags by up to days and dynalite has none.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';

export type FeatureValue = string | number | boolean | null;

export interface OnlineItem {
  readonly entityKey: string;
  readonly view: string;
  readonly viewVersion: number;
  /** Epoch milliseconds. */
  readonly eventTime: number;
  /** Epoch milliseconds; 0 when the view has no created-time column. */
  readonly createdTime: number;
  readonly values: Readonly<Record<string, FeatureValue>>;
  readonly tableVersion: number;
  /** Epoch seconds after which DynamoDB may delete the item; undefined without TTL. */
  readonly expiresAt?: number;
}

export interface OnlineKey {
  readonly entityKey: string;
  readonly view: string;
  readonly viewVersion: number;
}

export interface ReadResult {
  readonly items: Map<string, OnlineItem>;
  /** DynamoDB requests made (BatchGetItem calls, retries included). */
  readonly calls: number;
}

/** The online store's port; see the module comment for the guarantees. */
export interface OnlineStore {
  /** Writes one item if it is newer than what is stored; resolves to whether it was written. */
  writeLatest(item: OnlineItem): Promise<'written' | 'stale'>;
  /** Writes the item unless the stored one comes from a later table version than `item.tableVersion`. */
  replaceLatest(item: OnlineItem): Promise<'written' | 'stale'>;
  /** Deletes the item unless the stored one comes from a later table version than `tableVersion`. */
  deleteLatest(key: OnlineKey, tableVersion: number): Promise<'deleted' | 'absent' | 'stale'>;
  listEntityKeys(view: string, viewVersion: number): AsyncIterable<string>;
  read(keys: readonly OnlineKey[]): Promise<ReadResult>;
}

/** The `pk` of an entity for a view: `name=value` pairs in the view's join key order. */
export function entityKeyOf(
  joinKeys: readonly { name: string }[],
  row: Readonly<Record<string, unknown>>,
): string {
  return joinKeys
    .map((key) => {
      const value = row[key.name];
      return `${key.name}=${encodeURIComponent(String(value))}`;
    })
    .join('&');
}

export function sortKeyOf(view: string, viewVersion: number): string {
  return `${view}#v${viewVersion}`;
}

/** Map key for a read result. */
export function itemId(key: OnlineKey): string {
  return `${key.entityKey}|${sortKeyOf(key.view, key.viewVersion)}`;
}

const BATCH_GET_LIMIT = 100;

export interface DynamoDbOnlineStoreOptions {
  /** Parallel BatchGetItem requests per read. @default 16 */
  readonly readConcurrency?: number;
  /** Retries of unprocessed keys before failing. @default 8 */
  readonly maxRetries?: number;
}

/** OnlineStore on the `onlineStore` DynamoDB table. */
export class DynamoDbOnlineStore implements OnlineStore {
  readonly #readConcurrency: number;
  readonly #maxRetries: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoDbOnlineStoreOptions = {},
  ) {
    this.#readConcurrency = options.readConcurrency ?? 16;
    this.#maxRetries = options.maxRetries ?? 8;
  }

  async writeLatest(item: OnlineItem): Promise<'written' | 'stale'> {
    // Equal (eventTime, createdTime) rewrites the same row: re-materialization is idempotent.
    return this.#put(
      item,
      'attribute_not_exists(pk) OR eventTime < :event OR (eventTime = :event AND createdTime <= :created)',
      { ':event': item.eventTime, ':created': item.createdTime },
    );
  }

  async replaceLatest(item: OnlineItem): Promise<'written' | 'stale'> {
    return this.#put(item, 'attribute_not_exists(pk) OR tableVersion <= :version', {
      ':version': item.tableVersion,
    });
  }

  async deleteLatest(key: OnlineKey, tableVersion: number): Promise<'deleted' | 'absent' | 'stale'> {
    try {
      const result = await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: key.entityKey, sk: sortKeyOf(key.view, key.viewVersion) },
          ConditionExpression: 'attribute_not_exists(pk) OR tableVersion <= :version',
          ExpressionAttributeValues: { ':version': tableVersion },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return result.Attributes ? 'deleted' : 'absent';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'stale';
      throw error;
    }
  }

  async *listEntityKeys(view: string, viewVersion: number): AsyncIterable<string> {
    const pages = paginateScan(
      { client: this.client },
      {
        TableName: this.tableName,
        FilterExpression: 'sk = :sk',
        ExpressionAttributeValues: { ':sk': sortKeyOf(view, viewVersion) },
        ProjectionExpression: 'pk',
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) yield String(item.pk);
  }

  async #put(
    item: OnlineItem,
    condition: string,
    values: Record<string, number>,
  ): Promise<'written' | 'stale'> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: item.entityKey,
            sk: sortKeyOf(item.view, item.viewVersion),
            eventTime: item.eventTime,
            createdTime: item.createdTime,
            values: JSON.stringify(item.values),
            tableVersion: item.tableVersion,
            writtenAt: Date.now(),
            ...(item.expiresAt === undefined ? {} : { expiresAt: item.expiresAt }),
          },
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      );
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'stale';
      throw error;
    }
  }

  async read(keys: readonly OnlineKey[]): Promise<ReadResult> {
    const unique = new Map<string, OnlineKey>();
    for (const key of keys) unique.set(itemId(key), key);
    const all = [...unique.values()];
    const chunks: OnlineKey[][] = [];
    for (let index = 0; index < all.length; index += BATCH_GET_LIMIT) {
      chunks.push(all.slice(index, index + BATCH_GET_LIMIT));
    }
    const items = new Map<string, OnlineItem>();
    let calls = 0;
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++] as OnlineKey[];
        // Read the count after the await: `calls += await ...` would add to a stale value.
        const made = await this.#readChunk(chunk, items);
        calls += made;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#readConcurrency, chunks.length) }, worker));
    return { items, calls };
  }

  /** One chunk of at most 100 keys; unprocessed keys are retried with backoff. Returns the calls made. */
  async #readChunk(chunk: readonly OnlineKey[], into: Map<string, OnlineItem>): Promise<number> {
    let pending: Record<string, unknown>[] = chunk.map((key) => ({
      pk: key.entityKey,
      sk: sortKeyOf(key.view, key.viewVersion),
    }));
    let calls = 0;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > this.#maxRetries) {
        throw new Error(
          `BatchGetItem left ${pending.length} keys unprocessed after ${this.#maxRetries} retries`,
        );
      }
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
      calls += 1;
      const result = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }),
      );
      for (const raw of result.Responses?.[this.tableName] ?? []) {
        const item = fromItem(raw);
        into.set(itemId(item), item);
      }
      pending = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
    return calls;
  }
}

function fromItem(raw: Record<string, unknown>): OnlineItem {
  const sk = String(raw.sk);
  const split = sk.lastIndexOf('#v');
  return {
    entityKey: String(raw.pk),
    view: sk.slice(0, split),
    viewVersion: Number(sk.slice(split + 2)),
    eventTime: Number(raw.eventTime),
    createdTime: Number(raw.createdTime ?? 0),
    values: (typeof raw.values === 'string' ? JSON.parse(raw.values) : (raw.values ?? {})) as Record<
      string,
      FeatureValue
    >,
    tableVersion: Number(raw.tableVersion ?? 0),
    ...(raw.expiresAt === undefined ? {} : { expiresAt: Number(raw.expiresAt) }),
  };
}
