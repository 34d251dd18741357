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
 *
 * The sequence counts this process's appends, so that records of one process within one
 * millisecond keep their order (records of different processes within one millisecond have none).
 */
import {
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
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

export class DynamoDbAuditLog implements AuditSink, AuditReader {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  async append(records: readonly AuditRecord[]): Promise<void> {
    for (const record of records) {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            pk: `A#${record.model}`,
            sk: `${String(record.timestamp).padStart(13, '0')}#${String(sequence++).padStart(12, '0')}#${record.id}`,
            ...record,
          },
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
    const records = (page.Items ?? []).map((item) => {
      const { pk: _pk, sk: _sk, ...record } = item;
      return record as AuditRecord;
    });
    return {
      records,
      ...(page.LastEvaluatedKey ? { nextPageToken: encodeToken(page.LastEvaluatedKey) } : {}),
    };
  }
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
