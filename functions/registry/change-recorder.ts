/**
 * Every registry change is recorded twice after it is applied: appended to the audit trail and
 * announced as a domain event (`source: "mlops.registry"`, `detail-type` = the action, e.g.
 * `alias.set`; a move an approval rule refused is announced as `<action>.refused`).
 *
 * The audit append comes first: a change whose audit append fails answers an error (the change
 * itself stays applied, because DynamoDB offers no transaction across the two writes here; the
 * error tells the caller to look). Then the Delta exporter gets a chance to move pending records to
 * the lakehouse; its failure does not fail the change (the records stay pending for the next flush).
 */
import type { DomainEvent, EventPublisher } from '../../layers/runtime/events.ts';
import type { AuditSink } from './audit-log.ts';
import type { AuditRecord } from './registry-types.ts';

export const REGISTRY_EVENT_SOURCE = 'mlops.registry';

export type Change = Omit<AuditRecord, 'id' | 'principal' | 'timestamp' | 'outcome'> & {
  readonly outcome?: AuditRecord['outcome'];
};

export interface ChangeRecorderDeps {
  readonly audit: AuditSink;
  readonly events: EventPublisher;
  /** Moves pending audit records to the Delta table (`DeltaAuditExporter`). @default none */
  readonly exporter?: { flush(): Promise<unknown> };
  /** Where a failed export is reported. @default console.error as JSON */
  readonly log?: (message: string, error: unknown) => void;
  readonly clock: () => number;
  readonly newId: () => string;
}

export class ChangeRecorder {
  readonly #deps: ChangeRecorderDeps;

  constructor(deps: ChangeRecorderDeps) {
    this.#deps = deps;
  }

  /** Appends the changes made by `principal` to the audit trail, then publishes them. */
  async record(principal: string, changes: readonly Change[]): Promise<AuditRecord[]> {
    if (changes.length === 0) return [];
    const timestamp = this.#deps.clock();
    const records: AuditRecord[] = changes.map((change) => ({
      id: this.#deps.newId(),
      principal,
      timestamp,
      outcome: 'done',
      ...change,
    }));
    await this.#deps.audit.append(records);
    await this.#deps.events.publish(records.map(toEvent));
    if (this.#deps.exporter) {
      await this.#deps.exporter.flush().catch((error: unknown) => {
        (this.#deps.log ?? logError)('audit export to Delta failed; the records stay pending', error);
      });
    }
    return records;
  }
}

function toEvent(record: AuditRecord): DomainEvent {
  return {
    source: REGISTRY_EVENT_SOURCE,
    detailType: record.outcome === 'done' ? record.action : `${record.action}.refused`,
    detail: { ...record },
    resources: [record.version === undefined ? record.model : `${record.model}/${record.version}`],
  };
}

function logError(message: string, error: unknown): void {
  console.error(
    JSON.stringify({ level: 'ERROR', message, error: (error as Error)?.message ?? String(error) }),
  );
}
