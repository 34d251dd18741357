/**
 * The audit trail as a Delta table, for analysts (Athena, `mlops query`, Spark): one row per
 * record, appended with one blind-append commit per registry change (the lakehouse retries blind
 * appends past concurrent commits, so racing changes all land). The table is created by the first
 * append; a creator that loses that race appends to the winner's table.
 *
 * Columns: `id, ts (timestamp), principal, model, action, outcome, version, alias, key, before_json,
 * after_json, reason`. `before`/`after` are JSON text because their shape depends on the action.
 *
 *   SELECT ts, principal, version, before_json, after_json FROM registry_audit
 *   WHERE model = 'churn' AND action = 'alias.set' ORDER BY ts
 */
import {
  append,
  type ColumnDefinition,
  createTable,
  TableExistsError,
  type TableHandle,
  tableExists,
} from '../../layers/lakehouse/index.ts';
import type { AuditSink } from './audit-log.ts';
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

export class DeltaAuditSink implements AuditSink {
  readonly #table: TableHandle;
  #ready = false;

  constructor(table: TableHandle) {
    this.#table = table;
  }

  async append(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.#ensureTable();
    await append(this.#table, records.map(auditRow));
  }

  async #ensureTable(): Promise<void> {
    if (this.#ready) return;
    if (!(await tableExists(this.#table))) {
      try {
        await createTable(this.#table, {
          columns: AUDIT_COLUMNS,
          name: 'registry_audit',
          description:
            'Model registry audit trail: alias moves, stage transitions, versions, tags, deletions',
        });
      } catch (error) {
        if (!(error instanceof TableExistsError)) throw error;
      }
    }
    this.#ready = true;
  }
}
