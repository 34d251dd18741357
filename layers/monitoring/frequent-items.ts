/**
 * A mergeable frequent-items summary for categorical values (Misra–Gries, with the merge of
 * Agarwal et al., "Mergeable Summaries", 2012).
 *
 * Up to `capacity` distinct values are counted exactly. Past that, all counters are lowered
 * together, so each kept count underestimates its value's true count by at most n / (capacity + 1)
 * and every value with a share above 1 / (capacity + 1) is kept. The mass not attributed to a kept
 * value is reported as `other`, so shares always sum to one.
 */

export interface FrequentItemsState {
  readonly capacity: number;
  readonly n: number;
  /** Kept values and their (lower-bound) counts, most frequent first. */
  readonly items: readonly (readonly [string, number])[];
  /** True once counts may be underestimates (more distinct values than the capacity were seen). */
  readonly approximate: boolean;
}

export class FrequentItems {
  readonly capacity: number;
  private counts = new Map<string, number>();
  private total = 0;
  private approximate = false;

  /** @param capacity distinct values counted exactly. @default 1000 */
  constructor(capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  static fromState(state: FrequentItemsState): FrequentItems {
    const summary = new FrequentItems(state.capacity);
    summary.counts = new Map(state.items.map(([value, count]) => [value, count]));
    summary.total = state.n;
    summary.approximate = state.approximate;
    return summary;
  }

  get n(): number {
    return this.total;
  }

  add(value: string, weight = 1): void {
    this.total += weight;
    const current = this.counts.get(value);
    if (current !== undefined) {
      this.counts.set(value, current + weight);
      return;
    }
    this.counts.set(value, weight);
    // Shrinking in batches (at twice the capacity) keeps the cost amortized for high-cardinality
    // columns; the error bound is the same since each shrink removes at least (capacity + 1) × cut.
    if (this.counts.size > 2 * this.capacity) this.shrink();
  }

  merge(other: FrequentItems): void {
    for (const [value, count] of other.counts) this.counts.set(value, (this.counts.get(value) ?? 0) + count);
    this.total += other.total;
    this.approximate ||= other.approximate;
    if (this.counts.size > this.capacity) this.shrink();
  }

  toState(): FrequentItemsState {
    if (this.counts.size > this.capacity) this.shrink();
    const items = [...this.counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return { capacity: this.capacity, n: this.total, items, approximate: this.approximate };
  }

  /** Lowers every counter by the (capacity+1)-th largest count and drops those that reach zero. */
  private shrink(): void {
    const sorted = [...this.counts.values()].sort((a, b) => b - a);
    const cut = sorted[this.capacity] ?? 0;
    for (const [value, count] of this.counts) {
      if (count <= cut) this.counts.delete(value);
      else this.counts.set(value, count - cut);
    }
    this.approximate = true;
  }
}
