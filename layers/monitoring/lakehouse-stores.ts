/**
 * The monitoring ports over the lakehouse: prediction, inference and ground-truth tables read as
 * Delta tables, the metrics tables written by Delta MERGE on their key columns (one commit per
 * upsert, so a rerun replaces rows instead of duplicating them), and baselines, window profiles
 * and reports as JSON / HTML objects beside them.
 */
import type { TableHandle } from '../lakehouse/index.ts';
import { createTable, merge, readTable, scanBatches, tableExists } from '../lakehouse/index.ts';
import type { ObjectStore } from '../lakehouse/object-store.ts';
import type { Baseline, MonitoringWindow, WindowProfile } from './evaluate-window.ts';
import type {
  BaselineStore,
  LabelSource,
  MetricsTable,
  PredictionSource,
  ReportStore,
  RowBatch,
  WindowProfileStore,
} from './ports.ts';

const inWindow = (column: string, window: MonitoringWindow) => ({
  op: 'and' as const,
  left: { op: '>=' as const, column, value: new Date(window.start) },
  right: { op: '<' as const, column, value: new Date(window.end) },
});

/**
 * A model's predictions from one or more Delta tables (its inference table and batch prediction
 * tables), each filtered on its time column. A `features` column holding a struct or map of the
 * served feature values is flattened into the row, so both table layouts profile the same.
 */
export class LakehousePredictionSource implements PredictionSource {
  constructor(
    private readonly tables: readonly { readonly table: TableHandle; readonly timeColumn: string }[],
  ) {}

  async *scan(window: MonitoringWindow, columns?: readonly string[]): AsyncIterable<RowBatch> {
    for (const { table, timeColumn } of this.tables) {
      if (!(await tableExists(table))) continue;
      for await (const batch of scanBatches(table, { where: inWindow(timeColumn, window) })) {
        yield batch.map((row) => project(flatten(row), columns));
      }
    }
  }
}

/** Ground truth from a Delta table; with a time column, only labels at or after the window's start are read. */
export class LakehouseLabelSource implements LabelSource {
  constructor(
    private readonly table: TableHandle,
    private readonly timeColumn?: string,
  ) {}

  async *scan(window: MonitoringWindow): AsyncIterable<RowBatch> {
    if (!(await tableExists(this.table))) return;
    const where = this.timeColumn
      ? { op: '>=' as const, column: this.timeColumn, value: new Date(window.start) }
      : undefined;
    yield* scanBatches(this.table, where ? { where } : {});
  }
}

/**
 * A metrics table per model, created on first write, upserted with Delta MERGE on its keys and,
 * given `register`, made queryable by name after each upsert (see `metrics-catalog.ts`).
 */
export class LakehouseMetricsTable<Row extends object> implements MetricsTable<Row> {
  constructor(
    private readonly open: (model: string) => TableHandle,
    private readonly columns: readonly { readonly name: string; readonly type: string }[],
    private readonly keys: readonly string[],
    private readonly name: (model: string) => string,
    private readonly register?: (model: string) => Promise<unknown>,
  ) {}

  async upsert(model: string, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const table = this.open(model);
    if (!(await tableExists(table))) {
      try {
        await createTable(table, { columns: this.columns, name: this.name(model) });
      } catch (error) {
        // Two runs creating the table at once: the loser carries on with the winner's table.
        if ((error as Error).name !== 'TableExistsError') throw error;
      }
    }
    await merge(table, rows as unknown as Record<string, unknown>[], { on: this.keys });
    await this.register?.(model);
  }

  async scan(model: string): Promise<Row[]> {
    const table = this.open(model);
    if (!(await tableExists(table))) return [];
    return (await readTable(table)).rows as unknown as Row[];
  }
}

/** Baselines as `<model>/baselines/<version>.json` objects (beside the model's artifacts). */
export class ObjectBaselineStore implements BaselineStore {
  constructor(private readonly objects: ObjectStore) {}

  async get(model: string, version?: string): Promise<Baseline | null> {
    if (version !== undefined) return readJson<Baseline>(this.objects, `${model}/baselines/${version}.json`);
    let newest: Baseline | null = null;
    for await (const info of this.objects.list(`${model}/baselines/`)) {
      const baseline = await readJson<Baseline>(this.objects, info.key);
      if (baseline && (!newest || baseline.createdAt > newest.createdAt)) newest = baseline;
    }
    return newest;
  }

  async put(baseline: Baseline): Promise<string> {
    const key = `${baseline.model}/baselines/${baseline.version}.json`;
    await this.objects.put(key, JSON.stringify(baseline));
    return `${this.objects.root}/${key}`;
  }
}

/** Window profiles as `<model>/windows/<window end>.json` objects. */
export class ObjectWindowProfileStore implements WindowProfileStore {
  constructor(private readonly objects: ObjectStore) {}

  async put(model: string, profile: WindowProfile): Promise<void> {
    await this.objects.put(`${model}/windows/${profile.window.end}.json`, JSON.stringify(profile));
  }

  async latestEndingBy(model: string, end: string): Promise<WindowProfile | null> {
    const prefix = `${model}/windows/`;
    let latest: string | null = null;
    for await (const info of this.objects.list(prefix)) {
      const windowEnd = info.key.slice(prefix.length, -'.json'.length);
      if (Date.parse(windowEnd) <= Date.parse(end) && (!latest || windowEnd > latest)) latest = windowEnd;
    }
    return latest ? readJson<WindowProfile>(this.objects, `${prefix}${latest}.json`) : null;
  }
}

/** Reports as `<model>/reports/<window end>.html` objects; `put` returns the object's URI. */
export class ObjectReportStore implements ReportStore {
  constructor(private readonly objects: ObjectStore) {}

  async put(model: string, window: MonitoringWindow, html: string): Promise<string> {
    const key = `${model}/reports/${window.end}.html`;
    await this.objects.put(key, html);
    return `${this.objects.root}/${key}`;
  }
}

async function readJson<T>(objects: ObjectStore, key: string): Promise<T | null> {
  const body = await objects.get(key);
  return body ? (JSON.parse(new TextDecoder().decode(body)) as T) : null;
}

function flatten(row: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const features = row.features;
  if (features === null || typeof features !== 'object' || features instanceof Date) return row;
  const entries = features instanceof Map ? [...features.entries()] : Object.entries(features);
  const { features: _nested, ...rest } = row;
  return { ...Object.fromEntries(entries), ...rest };
}

function project(row: Readonly<Record<string, unknown>>, columns?: readonly string[]) {
  if (!columns) return row;
  const out: Record<string, unknown> = {};
  for (const column of columns) if (column in row) out[column] = row[column];
  return out;
}
