/**
 * The audit trail: an append-only log of registry changes.
 *
 * `AuditSink.append` durably stores the records before it resolves (a rejected append stores
 * nothing the caller can rely on, and the caller reports the failure). Records are never updated
 * or deleted. `AuditReader.list` returns a model's records oldest first.
 *
 * The DynamoDB log below backs `GET /api/2.0/mlops/audit`; the Delta sink (`delta-audit-sink.ts`)
 * writes the same records to a lakehouse table for analysts. Items, in the registry table:
 *
 *   pk = A#<model name>, sk = <timestamp, 13 digits>#<sequence, 12 digits>#<record id>
 *   gsi2pk = AUDIT_PENDING, gsi2sk = sk   while the record is not yet in the Delta table (a sparse
 *                                         index the exporter drains, see delta-audit-exporter.ts)
 *
 * The sequence counts this process's appends, so that records of one process within one
 * millisecond keep their order (records of different processes within one millisecond have none).
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { InvalidParameterError } from '../../layers/runtime/errors.ts';
import type { AuditRecord } from './registry-types.ts';

export interface AuditSink {
  append(records: readonly AuditRecord[]): Promise<void>;
}

export interface AuditPage {
  readonly records: AuditRecord[];
  readonly nextPageToken?: string;
}

export interface AuditReader {
  list(model: string, maxResults: number, pageToken?: string): Promise<AuditPage>;
}

/** Appends to every sink in order; the first failure rejects. */
export function fanOut(sinks: readonly AuditSink[]): AuditSink {
  return {
    async append(records) {
      for (const sink of sinks) await sink.append(records);
    },
  };
}

let sequence = 0;

export const PENDING_EXPORT = 'AUDIT_PENDING';

export interface AuditKey {
  readonly pk: string;
  readonly sk: string;
}

export class DynamoDbAuditLog implements AuditSink, AuditReader {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #markForExport: boolean;

  /** With `markForExport`, every record is also listed as pending for the Delta exporter. */
  constructor(db: DynamoDBDocumentClient, table: string, options: { markForExport?: boolean } = {}) {
    this.#db = db;
    this.#table = table;
    this.#markForExport = options.markForExport ?? false;
  }

  async append(records: readonly AuditRecord[]): Promise<void> {
    for (const record of records) {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: auditItem(record, this.#markForExport),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    }
  }

  async list(model: string, maxResults: number, pageToken?: string): Promise<AuditPage> {
    const page: QueryCommandOutput = await this.#db.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `A#${model}` },
        ConsistentRead: true,
        Limit: maxResults,
        ...(pageToken ? { ExclusiveStartKey: decodeToken(pageToken) } : {}),
      }),
    );
    const records = (page.Items ?? []).map(recordOf);
    return {
      records,
      ...(page.LastEvaluatedKey ? { nextPageToken: encodeToken(page.LastEvaluatedKey) } : {}),
    };
  }

  /** Up to `limit` records not yet exported, oldest first. */
  async pending(limit: number): Promise<AuditKey[]> {
    const page = await this.#db.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pending',
        ExpressionAttributeValues: { ':pending': PENDING_EXPORT },
        Limit: limit,
      }),
    );
    return (page.Items ?? []).map((item) => ({ pk: item.pk as string, sk: item.sk as string }));
  }

  /** The records with these keys (the ones that exist), in key order. */
  async read(keys: readonly AuditKey[]): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    for (const key of keys) {
      const found = await this.#db.send(
        new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
      );
      if (found.Item) records.push(recordOf(found.Item));
    }
    return records;
  }

  /** Takes records off the pending list once they are in the Delta table. */
  async markExported(keys: readonly AuditKey[]): Promise<void> {
    for (const key of keys) {
      await this.#db.send(
        new UpdateCommand({ TableName: this.#table, Key: key, UpdateExpression: 'REMOVE gsi2pk, gsi2sk' }),
      );
    }
  }
}

function auditItem(record: AuditRecord, pending: boolean): Record<string, unknown> {
  const sk = `${String(record.timestamp).padStart(13, '0')}#${String(sequence++).padStart(12, '0')}#${record.id}`;
  return {
    pk: `A#${record.model}`,
    sk,
    ...(pending ? { gsi2pk: PENDING_EXPORT, gsi2sk: sk } : {}),
    ...record,
  };
}

function recordOf(item: Record<string, unknown>): AuditRecord {
  const { pk: _pk, sk: _sk, gsi2pk: _g, gsi2sk: _s, ...record } = item;
  return record as unknown as AuditRecord;
}

function encodeToken(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeToken(token: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (value && typeof value === 'object' && 'pk' in value && 'sk' in value)
      return value as Record<string, unknown>;
  } catch {
    // falls through to the error below
  }
  throw new InvalidParameterError(`Invalid page token '${token}'.`);
}
