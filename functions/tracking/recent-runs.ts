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
 */
import type { RunItem } from './dynamo-items.ts';

export class RecentRuns {
  readonly #limit: number;
  readonly #items = new Map<string, RunItem>();

  /** @param limit most runs held (the least recently written go first); 0 holds none */
  constructor(limit: number) {
    this.#limit = limit;
  }

  get(runId: string): RunItem | undefined {
    return this.#items.get(runId);
  }

  /** Holds the run's item as it stands after a write of this instance. */
  remember(item: RunItem): void {
    if (this.#limit === 0) return;
    this.#items.delete(item.runId);
    this.#items.set(item.runId, item);
    if (this.#items.size > this.#limit) {
      const oldest = this.#items.keys().next().value as string;
      this.#items.delete(oldest);
    }
  }

  forget(runId: string): void {
    this.#items.delete(runId);
  }
}
