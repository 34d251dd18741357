/**
 * The run items one store instance wrote last, as they stood after its write, so that the next
 * log-batch to the same run (the common case: a training loop logging to its run) can skip reading
 * the item.
 *
 * Guarantee: a held copy is only ever the expected state of a write conditioned on the run's `ver`
 * (every write to a run item adds 1 to `ver`; dynamo-store.ts). When another instance or process
 * wrote the run since, the version differs, the conditional write fails having written nothing, and
 * the caller reads the run as if nothing were held. A copy never answers a read and never decides
 * an error: a run that is deleted, a param conflict or a batch that changes nothing go to the read.
 *
 * When a run's writes alternate between instances (several clients sharing warm Lambda instances),
 * held copies are mostly stale and each failed attempt costs a write request. So after a stale copy
 * the run's next log-batches read first: 2 after one miss in a row, 4 after two, up to 64; a write
 * onto a held copy that succeeds starts the count again.
 */
import type { RunItem } from './dynamo-items.ts';

/** Log-batches that read first after the longest run of misses. */
const MAX_READS_AFTER_MISSES = 64;

interface Entry {
  item: RunItem | undefined;
  /** Stale copies in a row. */
  misses: number;
  /** Log-batches still to read first. */
  reads: number;
}

export class RecentRuns {
  readonly #limit: number;
  readonly #entries = new Map<string, Entry>();

  /** @param limit most runs held (the least recently written go first); 0 holds none */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** The item to write the run's next log-batch onto, or undefined to read the run first. */
  take(runId: string): RunItem | undefined {
    const entry = this.#entries.get(runId);
    if (!entry) return undefined;
    if (entry.reads > 0) {
      entry.reads -= 1;
      return undefined;
    }
    return entry.item;
  }

  /** Holds the run's item as it stands after a write of this instance. */
  remember(item: RunItem): void {
    if (this.#limit === 0) return;
    const entry = this.#entries.get(item.runId) ?? { item, misses: 0, reads: 0 };
    entry.item = item;
    this.#entries.delete(item.runId);
    this.#entries.set(item.runId, entry);
    if (this.#entries.size > this.#limit) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** A write onto the held copy succeeded. */
  hit(runId: string): void {
    const entry = this.#entries.get(runId);
    if (entry) entry.misses = 0;
  }

  /** The held copy was stale (its conditional write failed): drop it and read first for a while. */
  miss(runId: string): void {
    const entry = this.#entries.get(runId);
    if (!entry) return;
    entry.item = undefined;
    entry.misses += 1;
    entry.reads = Math.min(MAX_READS_AFTER_MISSES, 2 ** entry.misses);
  }

  /** Drops the held copy (a write of this instance whose outcome is not known as an item). */
  forget(runId: string): void {
    const entry = this.#entries.get(runId);
    if (entry) entry.item = undefined;
  }
}
