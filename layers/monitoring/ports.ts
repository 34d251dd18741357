/**
 * The storage a monitoring run reads and writes, as small ports. The lakehouse implementations
 * live in `lakehouse-stores.ts`; the tests also use the in-memory ones in `memory-stores.ts`.
 */
import type { Baseline, MonitoringWindow, WindowProfile } from './evaluate-window.ts';

export type RowBatch = readonly Readonly<Record<string, unknown>>[];

/**
 * One model's predictions: its inference table, and its batch prediction tables. Guarantees:
 * `scan` yields each prediction whose time is in [window.start, window.end) exactly once; rows
 * carry at least the requested columns (absent columns are simply missing from the rows).
 */
export interface PredictionSource {
  scan(window: MonitoringWindow, columns?: readonly string[]): AsyncIterable<RowBatch>;
}

/**
 * Ground truth for a model's predictions: rows with the join keys and the label. `scan` yields
 * every label that may belong to a prediction made in the window (more is harmless: labels are
 * joined by key), including labels that arrived after the window closed.
 */
export interface LabelSource {
  scan(window: MonitoringWindow): AsyncIterable<RowBatch>;
}

/** Baselines stored beside model versions. `get` without a version returns the newest one. */
export interface BaselineStore {
  get(model: string, version?: string): Promise<Baseline | null>;
  /** Stores (or replaces) a version's baseline; returns where it was stored. */
  put(baseline: Baseline): Promise<string>;
}

/** The profile of each monitored window, kept so the next run compares against it. */
export interface WindowProfileStore {
  /** Replaces the stored profile of the same window. */
  put(model: string, profile: WindowProfile): Promise<void>;
  /** The latest stored window ending at or before `end` (ISO instant), or null. */
  latestEndingBy(model: string, end: string): Promise<WindowProfile | null>;
}

/**
 * A metrics table (`<model>_profile_metrics` or `<model>_drift_metrics`). `upsert` replaces the
 * rows whose key columns equal an incoming row's and inserts the rest, atomically: a rerun never
 * leaves duplicates.
 */
export interface MetricsTable<Row> {
  upsert(model: string, rows: readonly Row[]): Promise<void>;
  scan(model: string): Promise<Row[]>;
}

/** Where reports go; `put` returns a path or URL a person can open. */
export interface ReportStore {
  put(model: string, window: MonitoringWindow, html: string): Promise<string>;
}
