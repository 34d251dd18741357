/**
 * In-memory implementations of the monitoring ports, for tests and for embedding the monitor in
 * a process that keeps its own state. They keep the ports' guarantees (upsert by key, one profile
 * per window) so the same tests hold for the lakehouse implementations.
 */
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

/** Predictions or labels held in memory; `timeColumn` holds Date or ISO-string times. */
export class MemoryRowSource implements PredictionSource, LabelSource {
  readonly rows: Record<string, unknown>[] = [];

  constructor(
    private readonly timeColumn: string,
    private readonly batchSize = 10_000,
  ) {}

  add(rows: readonly Record<string, unknown>[]): void {
    this.rows.push(...rows);
  }

  async *scan(window: MonitoringWindow, columns?: readonly string[]): AsyncIterable<RowBatch> {
    const start = Date.parse(window.start);
    const end = Date.parse(window.end);
    let batch: Record<string, unknown>[] = [];
    for (const row of this.rows) {
      const value = row[this.timeColumn];
      const at = value instanceof Date ? value.getTime() : Date.parse(String(value));
      if (!(at >= start && at < end)) continue;
      batch.push(columns ? Object.fromEntries(columns.filter((c) => c in row).map((c) => [c, row[c]])) : row);
      if (batch.length >= this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }
}

/** Labels are matched by key, not time: every stored label is offered to every window. */
export class MemoryLabelSource implements LabelSource {
  readonly rows: Record<string, unknown>[] = [];

  add(rows: readonly Record<string, unknown>[]): void {
    this.rows.push(...rows);
  }

  async *scan(): AsyncIterable<RowBatch> {
    if (this.rows.length > 0) yield this.rows;
  }
}

export class MemoryBaselineStore implements BaselineStore {
  private readonly baselines: Baseline[] = [];

  async get(model: string, version?: string): Promise<Baseline | null> {
    const matching = this.baselines.filter(
      (b) => b.model === model && (version === undefined || b.version === version),
    );
    return matching.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1) ?? null;
  }

  async put(baseline: Baseline): Promise<string> {
    const i = this.baselines.findIndex((b) => b.model === baseline.model && b.version === baseline.version);
    if (i >= 0) this.baselines.splice(i, 1);
    this.baselines.push(baseline);
    return `memory://baselines/${baseline.model}/${baseline.version}`;
  }
}

export class MemoryWindowProfileStore implements WindowProfileStore {
  private readonly profiles = new Map<string, WindowProfile[]>();

  async put(model: string, profile: WindowProfile): Promise<void> {
    const list = (this.profiles.get(model) ?? []).filter(
      (p) => p.window.start !== profile.window.start || p.window.end !== profile.window.end,
    );
    list.push(profile);
    this.profiles.set(model, list);
  }

  async latestEndingBy(model: string, end: string): Promise<WindowProfile | null> {
    const limit = Date.parse(end);
    const candidates = (this.profiles.get(model) ?? []).filter((p) => Date.parse(p.window.end) <= limit);
    return candidates.sort((a, b) => Date.parse(a.window.end) - Date.parse(b.window.end)).at(-1) ?? null;
  }
}

export class MemoryMetricsTable<Row extends object> implements MetricsTable<Row> {
  private readonly tables = new Map<string, Map<string, Row>>();

  constructor(private readonly keys: readonly (keyof Row & string)[]) {}

  async upsert(model: string, rows: readonly Row[]): Promise<void> {
    const table = this.tables.get(model) ?? new Map<string, Row>();
    for (const row of rows) table.set(this.keyOf(row), row);
    this.tables.set(model, table);
  }

  async scan(model: string): Promise<Row[]> {
    return [...(this.tables.get(model)?.values() ?? [])];
  }

  private keyOf(row: Row): string {
    return this.keys
      .map((key) => {
        const value: unknown = row[key];
        return value instanceof Date ? value.toISOString() : String(value);
      })
      .join('\u0001');
  }
}

export class MemoryReportStore implements ReportStore {
  readonly reports = new Map<string, string>();

  async put(model: string, window: MonitoringWindow, html: string): Promise<string> {
    const key = `memory://reports/${model}/${window.end}.html`;
    this.reports.set(key, html);
    return key;
  }
}
