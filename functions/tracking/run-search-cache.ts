/**
 * The runs of recently searched experiments, held in memory by one store instance (one Lambda
 * container, or the local platform) and brought up to date from the experiments' change log before
 * every search, so that a search reads the runs that changed instead of every run.
 *
 *   search ──▶ cached?  no ──▶ read every run of the experiment (one segmented Query) ──▶ cache
 *                       yes ─▶ change-log entries since the cursor ──▶ BatchGet those runs ──▶ merge
 *
 * Guarantee: a search sees every run write that completed before the search started. Writers append
 * a change entry (run id, their clock's time) with every run write, and the cursor trails the start
 * of the previous refresh by `marginMs`, so entries whose time is behind the reader's clock by less
 * than the margin (clock skew, a write that took long to land) are still read. Entries are read
 * again while they are within the margin, which costs a re-read of those runs, never a missed
 * change. Run states are merged by the run's version, so an older read never replaces a newer one.
 *
 * Every write to a run notes a change (outputs included), so the cached runs are complete: a search
 * filters, orders and answers with them without reading its page again.
 */
import type { Run } from './model.ts';

/** A run as read from storage, with the version its item carried. */
export interface VersionedRun {
  readonly run: Run;
  readonly version: number;
}

/** The reads the cache needs from storage. All must be strongly consistent. */
export interface RunSearchSource {
  /** Every run of the experiment. */
  allRuns(experimentId: string): Promise<VersionedRun[]>;
  /** Ids of the runs with a change entry later than `since` (epoch ms). */
  changedRunIds(experimentId: string, since: number): Promise<string[]>;
  /** The current state of these runs of the experiment. */
  getRuns(experimentId: string, runIds: readonly string[]): Promise<VersionedRun[]>;
}

export interface RunSearchCacheOptions {
  /**
   * Most entries held over all experiments, counting each run once plus once per metric, param, tag
   * and dataset input it has (a measure of memory: about 150 bytes each); an experiment with more is
   * read afresh every time. @default 1_000_000
   */
  readonly maxEntries?: number;
  /** How far the cursor trails the previous refresh. @default 60_000 */
  readonly marginMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

interface CachedExperiment {
  readonly runs: Map<string, VersionedRun>;
  /** Sum of the runs' entries (see maxEntries). */
  weight: number;
  cursor: number;
}

export class RunSearchCache {
  readonly #source: RunSearchSource;
  readonly #maxEntries: number;
  readonly #marginMs: number;
  readonly #now: () => number;
  /** In least-recently-searched order (a Map iterates in insertion order). */
  readonly #experiments = new Map<string, CachedExperiment>();

  constructor(source: RunSearchSource, options: RunSearchCacheOptions = {}) {
    this.#source = source;
    this.#maxEntries = options.maxEntries ?? 1_000_000;
    this.#marginMs = options.marginMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Every run of the experiment, current as of the call. */
  async runs(experimentId: string): Promise<Run[]> {
    const started = this.#now();
    const cached = this.#experiments.get(experimentId);
    if (!cached) return this.#load(experimentId, started);
    const changed = await this.#source.changedRunIds(experimentId, cached.cursor);
    if (changed.length > 0) {
      merge(cached, await this.#source.getRuns(experimentId, changed));
    }
    cached.cursor = Math.max(cached.cursor, started - this.#marginMs);
    this.#experiments.delete(experimentId);
    this.#experiments.set(experimentId, cached);
    this.#evict(experimentId);
    return [...cached.runs.values()].map((entry) => entry.run);
  }

  /** Forgets everything (the next search of each experiment reads all its runs). */
  clear(): void {
    this.#experiments.clear();
  }

  async #load(experimentId: string, started: number): Promise<Run[]> {
    const all = await this.#source.allRuns(experimentId);
    let weight = 0;
    for (const entry of all) weight += entriesOf(entry.run);
    if (weight <= this.#maxEntries) {
      const cursor = started - this.#marginMs;
      const cached = this.#experiments.get(experimentId) ?? { runs: new Map(), weight: 0, cursor };
      merge(cached, all);
      cached.cursor = Math.min(cursor, cached.cursor);
      this.#experiments.delete(experimentId);
      this.#experiments.set(experimentId, cached);
      this.#evict(experimentId);
    }
    return all.map((entry) => entry.run);
  }

  /** Drops the least recently searched experiments until the entries held fit (`keep` last). */
  #evict(keep: string): void {
    let total = 0;
    for (const cached of this.#experiments.values()) total += cached.weight;
    for (const [id, cached] of this.#experiments) {
      if (total <= this.#maxEntries) break;
      if (id === keep) continue;
      this.#experiments.delete(id);
      total -= cached.weight;
    }
    if (total > this.#maxEntries) this.#experiments.delete(keep);
  }
}

/** A run's share of the cache: itself plus its metrics, params, tags and dataset inputs. */
function entriesOf(run: Run): number {
  return (
    1 +
    run.datasetInputs.length +
    Object.keys(run.metrics).length +
    Object.keys(run.params).length +
    Object.keys(run.tags).length
  );
}

function merge(cached: CachedExperiment, fresh: readonly VersionedRun[]): void {
  for (const entry of fresh) {
    const current = cached.runs.get(entry.run.info.runId);
    if (current && current.version > entry.version) continue;
    cached.weight += entriesOf(entry.run) - (current ? entriesOf(current.run) : 0);
    cached.runs.set(entry.run.info.runId, entry);
  }
}
