/**
 * Materialization: the latest row per entity of a feature view's source rows, written to the online
 * store. The rows are the whole current snapshot (full) or only the files the Delta log added since
 * the last materialized table version (incremental); either way each entity's newest row in the
 * batch is offered to the store, whose conditional write keeps whichever is newer — the stored item
 * or the offered row. Re-running a batch, running two at once, or a late row arriving in a later
 * batch all leave every item at the newest (event time, created time) seen.
 *
 * Deleted source rows cannot be handled that way (the stored item may be the very row that is
 * gone), so the entities that lost rows are corrected from the snapshot instead: their item becomes
 * the latest row that remains, or is deleted (`correctEntities`).
 */
import type { FeatureType } from './definitions.ts';
import { FeatureDataError } from './errors.ts';
import { entityKeyOf, type FeatureValue, type OnlineItem, type OnlineStore } from './online-store.ts';
import type { ViewSpec } from './registry-store.ts';

export type SourceRow = Readonly<Record<string, unknown>>;

type ViewVersion = { readonly name: string; readonly version: number; readonly spec: ViewSpec };
type Batches = AsyncIterable<readonly SourceRow[]> | Iterable<readonly SourceRow[]>;

export interface MaterializeRowsInput {
  readonly view: ViewVersion;
  readonly batches: Batches;
  /** The source table version these rows are from. */
  readonly tableVersion: number;
  readonly store: OnlineStore;
  /** Entity keys whose rows are skipped (they are corrected separately). @default none */
  readonly exclude?: ReadonlySet<string>;
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
  const { latest, rowsRead } = await latestPerEntity(input.view, input.batches, input.tableVersion, (key) =>
    input.exclude ? !input.exclude.has(key) : true,
  );
  const items = [...latest.values()];
  let written = 0;
  let stale = 0;
  await forEachLimit(items, input.concurrency ?? 16, async (item) => {
    if ((await input.store.writeLatest(item)) === 'written') written += 1;
    else stale += 1;
  });
  return { rowsRead, entities: items.length, written, stale };
}

export interface CorrectEntitiesInput {
  readonly view: ViewVersion;
  /**
   * The entities that lost source rows since the last materialization, or `'all'` when that is not
   * known (every entity of the snapshot and every entity with an online item is then corrected).
   */
  readonly entityKeys: ReadonlySet<string> | 'all';
  /** Every row of the snapshot at `tableVersion`. */
  readonly batches: Batches;
  readonly tableVersion: number;
  readonly store: OnlineStore;
  /** Parallel writes. @default 16 */
  readonly concurrency?: number;
}

export interface CorrectionCounts {
  readonly rowsRead: number;
  /** Entities corrected. */
  readonly entities: number;
  /** Items set to the snapshot's latest row (possibly older than the deleted one they replace). */
  readonly replaced: number;
  /** Items deleted: the entity has no source row left. */
  readonly deleted: number;
  /** Corrections skipped because a later table version had already been materialized. */
  readonly stale: number;
}

/**
 * Makes the online items of some entities equal to the snapshot: each becomes the entity's latest
 * remaining source row — even when that row is older than the stored one, whose row was deleted —
 * or is deleted when no row remains. Writes go through `replaceLatest` / `deleteLatest`, which
 * never undo a correction or write from a later table version.
 */
export async function correctEntities(input: CorrectEntitiesInput): Promise<CorrectionCounts> {
  const { entityKeys } = input;
  const { latest, rowsRead } = await latestPerEntity(input.view, input.batches, input.tableVersion, (key) =>
    entityKeys === 'all' ? true : entityKeys.has(key),
  );
  const keys = new Set(entityKeys === 'all' ? latest.keys() : entityKeys);
  if (entityKeys === 'all') {
    for await (const key of input.store.listEntityKeys(input.view.name, input.view.version)) keys.add(key);
  }
  let replaced = 0;
  let deleted = 0;
  let stale = 0;
  await forEachLimit([...keys], input.concurrency ?? 16, async (entityKey) => {
    const item = latest.get(entityKey);
    if (item) {
      if ((await input.store.replaceLatest(item)) === 'written') replaced += 1;
      else stale += 1;
      return;
    }
    const key = { entityKey, view: input.view.name, viewVersion: input.view.version };
    const outcome = await input.store.deleteLatest(key, input.tableVersion);
    if (outcome === 'deleted') deleted += 1;
    else if (outcome === 'stale') stale += 1;
  });
  return { rowsRead, entities: keys.size, replaced, deleted, stale };
}

/** The newest row (greatest event time, then created time) of each entity that `keep` accepts. */
async function latestPerEntity(
  view: ViewVersion,
  batches: Batches,
  tableVersion: number,
  keep: (entityKey: string) => boolean,
): Promise<{ latest: Map<string, OnlineItem>; rowsRead: number }> {
  const { spec } = view;
  const eventColumn = spec.source.eventTimeColumn;
  const createdColumn = spec.source.createdTimeColumn;
  const latest = new Map<string, OnlineItem>();
  let rowsRead = 0;
  for await (const batch of batches) {
    for (const row of batch) {
      rowsRead += 1;
      const eventTime = toEpochMs(row[eventColumn], eventColumn);
      if (eventTime === undefined) continue;
      if (spec.joinKeys.some((key) => row[key.name] === null || row[key.name] === undefined)) continue;
      const entityKey = entityKeyOf(spec.joinKeys, row);
      if (!keep(entityKey)) continue;
      const createdTime = createdColumn ? (toEpochMs(row[createdColumn], createdColumn) ?? 0) : 0;
      const seen = latest.get(entityKey);
      if (
        seen &&
        (seen.eventTime > eventTime || (seen.eventTime === eventTime && seen.createdTime >= createdTime))
      ) {
        continue;
      }
      latest.set(entityKey, {
        entityKey,
        view: view.name,
        viewVersion: view.version,
        eventTime,
        createdTime,
        values: Object.fromEntries(
          spec.features.map((feature) => [feature.name, toFeatureValue(row[feature.name], feature.type)]),
        ),
        tableVersion,
        ...(spec.ttl > 0 ? { expiresAt: Math.ceil(eventTime / 1000) + spec.ttl } : {}),
      });
    }
  }
  return { latest, rowsRead };
}

async function forEachLimit<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
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
