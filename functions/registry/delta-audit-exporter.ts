/**
 * The audit trail as a Delta table, for analysts (Athena, `mlops query`, Spark): one row per record.
 *
 * Records are first appended to the DynamoDB audit log, marked pending. The exporter moves pending
 * records into the Delta table in batches, one exporter at a time, exactly once:
 *
 *   1. take the export lease (a conditional write on the lease item; a live lease held by another
 *      caller means it is exporting — return, it or a later flush takes our records too)
 *   2. a batch left in flight by a crashed holder is resumed as is; otherwise the oldest pending
 *      keys become the next batch, numbered and written to the lease item before anything else
 *   3. append the batch's rows with Delta's idempotent `txn` (app id + batch number): a batch the
 *      crashed holder committed already is skipped by the table itself
 *   4. take the batch's records off the pending list, clear the in-flight batch, release the lease
 *
 * So a record reaches the table once whatever step is interrupted, and concurrent registry changes
 * never race each other on the Delta log (only the lease holder commits). The table is created by
 * the first export.
 *
 * Columns: `id, ts, principal, model, action, outcome, version, alias, key, before_json,
 * after_json, reason` (`before`/`after` as JSON text: their shape depends on the action).
 *
 *   SELECT ts, principal, version, before_json, after_json FROM registry_audit
 *   WHERE model = 'churn' AND action = 'alias.set' ORDER BY ts
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  append,
  type ColumnDefinition,
  createTable,
  TableExistsError,
  type TableHandle,
  tableExists,
} from '../../layers/lakehouse/index.ts';
import type { AuditKey, DynamoDbAuditLog } from './audit-log.ts';
import type { AuditRecord } from './registry-types.ts';

export const AUDIT_COLUMNS: readonly ColumnDefinition[] = [
  { name: 'id', type: 'string', nullable: false },
  { name: 'ts', type: 'timestamp', nullable: false },
  { name: 'principal', type: 'string', nullable: false },
  { name: 'model', type: 'string', nullable: false },
  { name: 'action', type: 'string', nullable: false },
  { name: 'outcome', type: 'string', nullable: false },
  { name: 'version', type: 'string' },
  { name: 'alias', type: 'string' },
  { name: 'key', type: 'string' },
  { name: 'before_json', type: 'string' },
  { name: 'after_json', type: 'string' },
  { name: 'reason', type: 'string' },
];

const LEASE_KEY = { pk: 'AUDIT_EXPORT', sk: '#' };
const TXN_APP_ID = 'mlops-registry-audit-export';

/** The row of an audit record. */
export function auditRow(record: AuditRecord): Record<string, unknown> {
  return {
    id: record.id,
    ts: new Date(record.timestamp),
    principal: record.principal,
    model: record.model,
    action: record.action,
    outcome: record.outcome,
    version: record.version ?? null,
    alias: record.alias ?? null,
    key: record.key ?? null,
    before_json: record.before === undefined ? null : JSON.stringify(record.before),
    after_json: record.after === undefined ? null : JSON.stringify(record.after),
    reason: record.reason ?? null,
  };
}

export interface DeltaAuditExporterOptions {
  readonly db: DynamoDBDocumentClient;
  /** The registry table (holds the lease item). */
  readonly table: string;
  readonly auditLog: DynamoDbAuditLog;
  readonly delta: TableHandle;
  /** Identifies this exporter in the lease. */
  readonly owner: string;
  /** How long a lease lasts; a crashed holder's lease is taken over after it. @default 60 s */
  readonly leaseMs?: number;
  /** Records per batch (one Delta commit each). @default 500 */
  readonly batchSize?: number;
  /** Batches per flush. @default 4 */
  readonly maxBatches?: number;
  readonly clock?: () => number;
  /** Fault injection for tests: called after each step with its name. */
  readonly afterStep?: (step: 'committed' | 'marked') => Promise<void> | void;
}

export class DeltaAuditExporter {
  readonly #o: DeltaAuditExporterOptions;
  #tableReady = false;

  constructor(options: DeltaAuditExporterOptions) {
    this.#o = options;
  }

  /** Exports pending records; resolves to how many it exported (0 when another holds the lease). */
  async flush(): Promise<number> {
    let exported = 0;
    for (let round = 0; round < (this.#o.maxBatches ?? 4); round += 1) {
      const lease = await this.#takeLease();
      if (!lease) return exported;
      try {
        let batch = lease.inFlight;
        let number = lease.batch;
        if (!batch) {
          const keys = await this.#o.auditLog.pending(this.#o.batchSize ?? 500);
          if (keys.length === 0) return exported;
          number += 1;
          batch = keys;
          await this.#updateLease('SET inFlight = :keys, batchNumber = :batch', {
            ':keys': keys,
            ':batch': number,
          });
        }
        const records = await this.#o.auditLog.read(batch);
        await this.#ensureTable();
        await append(this.#o.delta, records.map(auditRow), { txn: { appId: TXN_APP_ID, version: number } });
        await this.#o.afterStep?.('committed');
        await this.#o.auditLog.markExported(batch);
        await this.#o.afterStep?.('marked');
        await this.#updateLease('REMOVE inFlight', {});
        exported += records.length;
      } finally {
        await this.#releaseLease().catch(() => undefined);
      }
    }
    return exported;
  }

  async #takeLease(): Promise<{ batch: number; inFlight?: AuditKey[] } | undefined> {
    const now = (this.#o.clock ?? Date.now)();
    try {
      const result = await this.#o.db.send(
        new UpdateCommand({
          TableName: this.#o.table,
          Key: LEASE_KEY,
          UpdateExpression: 'SET leaseUntil = :until, leaseOwner = :owner',
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
          ExpressionAttributeValues: {
            ':until': now + (this.#o.leaseMs ?? 60_000),
            ':owner': this.#o.owner,
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const item = result.Attributes ?? {};
      return {
        batch: Number(item.batchNumber ?? 0),
        ...(Array.isArray(item.inFlight) ? { inFlight: item.inFlight as AuditKey[] } : {}),
      };
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }

  async #updateLease(expression: string, values: Record<string, unknown>): Promise<void> {
    await this.#o.db.send(
      new UpdateCommand({
        TableName: this.#o.table,
        Key: LEASE_KEY,
        UpdateExpression: expression,
        ConditionExpression: 'leaseOwner = :owner',
        ExpressionAttributeValues: { ...values, ':owner': this.#o.owner },
      }),
    );
  }

  async #releaseLease(): Promise<void> {
    await this.#updateLease('SET leaseUntil = :zero', { ':zero': 0 });
  }

  async #ensureTable(): Promise<void> {
    if (this.#tableReady) return;
    if (!(await tableExists(this.#o.delta))) {
      try {
        await createTable(this.#o.delta, {
          columns: AUDIT_COLUMNS,
          name: 'registry_audit',
          description:
            'Model registry audit trail: alias moves, stage transitions, versions, tags, deletions',
        });
      } catch (error) {
        if (!(error instanceof TableExistsError)) throw error;
      }
    }
    this.#tableReady = true;
  }
}
