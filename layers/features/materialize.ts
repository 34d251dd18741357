/**
 * Materialization: the latest row per entity of a feature view's source rows, written to the online
 * store. The rows are the whole current snapshot (full) or only the files the Delta log added since
 * the last materialized table version (incremental); either way each entity's newest row in the
 * batch is offered to the store, whose conditional write keeps whichever is newer — the stored item
 * or the offered row. Re-running a batch, running two at once, or a late row arriving in a later
 * batch all leave every item at the newest (event time, created time) seen.
 */
import type { FeatureType } from './definitions.ts';
import { FeatureDataError } from './errors.ts';
import { entityKeyOf, type FeatureValue, type OnlineItem, type OnlineStore } from './online-store.ts';
import type { ViewSpec } from './registry-store.ts';

export type SourceRow = Readonly<Record<string, unknown>>;

export interface MaterializeRowsInput {
  readonly view: { readonly name: string; readonly version: number; readonly spec: ViewSpec };
  readonly batches: AsyncIterable<readonly SourceRow[]> | Iterable<readonly SourceRow[]>;
  /** The source table version these rows are from. */
  readonly tableVersion: number;
  readonly store: OnlineStore;
  /** Parallel conditional puts. @default 16 */
  readonly concurrency?: number;
}

export interface MaterializeCounts {
  readonly rowsRead: number;
  readonly entities: number;
  readonly written: number;
  /** Entities whose stored item was already as new or newer. */
  readonly stale: number;
}

/** Reduces rows to the newest per entity and writes them conditionally. */
export async function materializeRows(input: MaterializeRowsInput): Promise<MaterializeCounts> {
  const { spec } = input.view;
  const eventColumn = spec.source.eventTimeColumn;
  const createdColumn = spec.source.createdTimeColumn;
  const latest = new Map<string, OnlineItem>();
  let rowsRead = 0;
  for await (const batch of input.batches) {
    for (const row of batch) {
      rowsRead += 1;
      const eventTime = toEpochMs(row[eventColumn], eventColumn);
      if (eventTime === undefined) continue;
      if (spec.joinKeys.some((key) => row[key.name] === null || row[key.name] === undefined)) continue;
      const createdTime = createdColumn ? (toEpochMs(row[createdColumn], createdColumn) ?? 0) : 0;
      const entityKey = entityKeyOf(spec.joinKeys, row);
      const seen = latest.get(entityKey);
      if (
        seen &&
        (seen.eventTime > eventTime || (seen.eventTime === eventTime && seen.createdTime >= createdTime))
      ) {
        continue;
      }
      latest.set(entityKey, {
        entityKey,
        view: input.view.name,
        viewVersion: input.view.version,
        eventTime,
        createdTime,
        values: Object.fromEntries(
          spec.features.map((feature) => [feature.name, toFeatureValue(row[feature.name], feature.type)]),
        ),
        tableVersion: input.tableVersion,
        ...(spec.ttl > 0 ? { expiresAt: Math.ceil(eventTime / 1000) + spec.ttl } : {}),
      });
    }
  }
  const items = [...latest.values()];
  let written = 0;
  let stale = 0;
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as OnlineItem;
      if ((await input.store.writeLatest(item)) === 'written') written += 1;
      else stale += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(input.concurrency ?? 16, items.length) }, worker));
  return { rowsRead, entities: items.length, written, stale };
}

/** Epoch ms of a timestamp cell (Date, ISO string, epoch-ms number); undefined for NULL. */
export function toEpochMs(value: unknown, column: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new FeatureDataError(`column '${column}' holds ${String(value)}, which is not a timestamp`);
}

/** A source cell as stored online: numbers as numbers (int64 beyond 2^53 as exact strings). */
export function toFeatureValue(value: unknown, type: FeatureType): FeatureValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (type === 'bool') return Boolean(value);
  if (type === 'string') return String(value);
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  throw new FeatureDataError(`a ${type} feature holds ${String(value)}`);
}
