/**
 * A mergeable quantile sketch (KLL: Karnin, Lang & Liberty, "Optimal Quantile Approximation in
 * Streams", 2016), after the reference implementation in `edoliberty/streaming-quantiles`.
 *
 * Items enter level 0. When the sketch holds more items than its capacity, the first level that is
 * over its own capacity is sorted and compacted: every other item (odd or even positions, chosen at
 * random) moves one level up, where each item stands for twice as many. Level capacities shrink
 * geometrically (factor 2/3) from the top level down, so memory stays O(k) whatever the stream
 * length, and the rank of any value is known to within about 1.7/k of n with high probability.
 *
 * Guarantees the drift statistics rely on:
 * - while at most `exactCapacity()` items have been added, nothing has been compacted and every
 *   rank, quantile and CDF is exact;
 * - `merge` gives the same error bound as if both streams had gone into one sketch;
 * - the random choices come from a seeded generator, so the same input order gives the same sketch.
 */
import { seededRandom } from './random.ts';

/** The serialized sketch stored inside a profile. */
export interface QuantileSketchState {
  readonly k: number;
  readonly n: number;
  /** `levels[h]` holds items of weight 2^h. */
  readonly levels: number[][];
}

const SHRINK = 2 / 3;

export class QuantileSketch {
  readonly k: number;
  private levels: number[][] = [[]];
  private size = 0;
  private maxSize = 0;
  private count = 0;
  private readonly random: () => number;

  /** @param k accuracy parameter: about 1.7/k normalized rank error. @default 400 */
  constructor(k = 400, seed = 0x5eed) {
    if (!Number.isInteger(k) || k < 8) throw new RangeError(`k must be an integer of at least 8, got ${k}`);
    this.k = k;
    this.random = seededRandom(seed);
    this.maxSize = this.capacity(0);
  }

  /** Rebuilds a sketch from its serialized state. */
  static fromState(state: QuantileSketchState, seed = 0x5eed): QuantileSketch {
    const sketch = new QuantileSketch(state.k, seed);
    sketch.levels = state.levels.map((level) => [...level]);
    sketch.count = state.n;
    sketch.size = sketch.levels.reduce((sum, level) => sum + level.length, 0);
    sketch.maxSize = sketch.totalCapacity();
    return sketch;
  }

  /** Items that can be added before the first compaction (ranks are exact up to here). */
  exactCapacity(): number {
    return this.k;
  }

  /** How many values the sketch summarizes. */
  get n(): number {
    return this.count;
  }

  add(value: number): void {
    (this.levels[0] as number[]).push(value);
    this.size++;
    this.count++;
    while (this.size >= this.maxSize) this.compress();
  }

  merge(other: QuantileSketch): void {
    while (this.levels.length < other.levels.length) this.levels.push([]);
    other.levels.forEach((level, h) => {
      const target = this.levels[h] as number[];
      for (const value of level) target.push(value);
    });
    this.count += other.count;
    this.size += other.size;
    this.maxSize = this.totalCapacity();
    while (this.size >= this.maxSize) this.compress();
  }

  toState(): QuantileSketchState {
    return { k: this.k, n: this.count, levels: this.levels.map((level) => [...level]) };
  }

  /** The retained items with their weights, sorted by value (ties kept as separate entries). */
  weightedItems(): { values: Float64Array; weights: Float64Array } {
    const entries: [number, number][] = [];
    this.levels.forEach((level, h) => {
      const weight = 2 ** h;
      for (const value of level) entries.push([value, weight]);
    });
    entries.sort((a, b) => a[0] - b[0]);
    const values = new Float64Array(entries.length);
    const weights = new Float64Array(entries.length);
    entries.forEach(([value, weight], i) => {
      values[i] = value;
      weights[i] = weight;
    });
    return { values, weights };
  }

  private capacity(height: number): number {
    const depth = this.levels.length - height - 1;
    return Math.ceil(SHRINK ** depth * this.k) + 1;
  }

  private totalCapacity(): number {
    let total = 0;
    for (let h = 0; h < this.levels.length; h++) total += this.capacity(h);
    return total;
  }

  private compress(): void {
    for (let h = 0; h < this.levels.length; h++) {
      const level = this.levels[h] as number[];
      if (level.length < this.capacity(h)) continue;
      if (h + 1 >= this.levels.length) {
        this.levels.push([]);
        this.maxSize = this.totalCapacity();
      }
      level.sort((a, b) => a - b);
      const up = this.levels[h + 1] as number[];
      const offset = this.random() < 0.5 ? 0 : 1;
      // An odd item out stays at this level, so no weight is lost.
      const pairs = Math.floor(level.length / 2);
      const start = level.length - 2 * pairs;
      for (let i = start + offset; i < level.length; i += 2) up.push(level[i] as number);
      level.length = start;
      this.size -= pairs;
      return;
    }
  }
}

/**
 * A sketch's distribution as a step function: sorted distinct values and the fraction of the
 * stream at or below each (the empirical CDF, right-continuous).
 */
export interface EmpiricalCdf {
  readonly values: Float64Array;
  readonly cumulative: Float64Array;
  readonly n: number;
}

export function cdfOf(state: QuantileSketchState): EmpiricalCdf {
  const { values, weights } = QuantileSketch.fromState(state).weightedItems();
  const distinct: number[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (const w of weights) total += w;
  let running = 0;
  for (let i = 0; i < values.length; i++) {
    running += weights[i] as number;
    const value = values[i] as number;
    if (i + 1 < values.length && values[i + 1] === value) continue;
    distinct.push(value);
    cumulative.push(total > 0 ? running / total : 0);
  }
  return { values: Float64Array.from(distinct), cumulative: Float64Array.from(cumulative), n: state.n };
}

/** F(x): the fraction of the stream at or below x. */
export function cdfAt(cdf: EmpiricalCdf, x: number): number {
  let lo = 0;
  let hi = cdf.values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cdf.values[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : (cdf.cumulative[lo - 1] as number);
}

/** The q-quantile by the inverted CDF: the smallest value v with F(v) ≥ q. */
export function quantileOf(cdf: EmpiricalCdf, q: number): number {
  if (cdf.values.length === 0) return Number.NaN;
  for (let i = 0; i < cdf.values.length; i++) {
    if ((cdf.cumulative[i] as number) >= q - 1e-12) return cdf.values[i] as number;
  }
  return cdf.values[cdf.values.length - 1] as number;
}
