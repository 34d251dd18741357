/**
 * Quantile binning for the hist method: each feature's non-missing values are cut into at most
 * `maxBin` bins whose boundaries are data values, and every cell is replaced by its bin.
 *
 * Bin `b` of a feature holds the values `cuts[b-1] <= x < cuts[b]`, so a split "bins 0..j left"
 * is exactly the XGBoost split `x < cuts[j]`: thresholds are float32 data values and the trained
 * tree routes a row the same way whether it is walked on bins or on the raw float32 values.
 * Missing values get a slot of their own after the feature's bins.
 */
import type { FeatureMatrix } from './evaluator.ts';

export interface BinnedMatrix {
  readonly rows: number;
  readonly features: number;
  /** Per feature, the ascending cut values (float32); the feature has `cuts.length + 1` bins. */
  readonly cuts: readonly Float32Array[];
  /** Per feature, the first slot of its bins in a histogram; its missing slot is `offset + cuts.length + 1`. */
  readonly offsets: Int32Array;
  /** Histogram slots over all features, missing slots included. */
  readonly slots: number;
  /** `rows × features` global slot indices, row-major. */
  readonly bins: Uint32Array;
}

/** Cuts each column into at most `maxBin` quantile bins and bins every cell. */
export function binMatrix(matrix: FeatureMatrix, maxBin: number): BinnedMatrix {
  const { rows, columns, values } = matrix;
  const cuts: Float32Array[] = [];
  const offsets = new Int32Array(columns);
  let slots = 0;
  const column = new Float32Array(rows);
  for (let f = 0; f < columns; f++) {
    let n = 0;
    for (let r = 0; r < rows; r++) {
      const v = values[r * columns + f] as number;
      if (!Number.isNaN(v)) column[n++] = v;
    }
    const sorted = column.subarray(0, n).sort();
    cuts.push(featureCuts(sorted, maxBin));
    offsets[f] = slots;
    slots += (cuts[f] as Float32Array).length + 2;
  }
  const bins = new Uint32Array(rows * columns);
  for (let f = 0; f < columns; f++) {
    const c = cuts[f] as Float32Array;
    const offset = offsets[f] as number;
    const missingSlot = offset + c.length + 1;
    for (let r = 0; r < rows; r++) {
      const v = values[r * columns + f] as number;
      bins[r * columns + f] = !Number.isNaN(v) ? offset + upperBound(c, v) : missingSlot;
    }
  }
  return { rows, features: columns, cuts, offsets, slots, bins };
}

/** Cut values from sorted non-missing values: all distinct values when few, else quantiles. */
function featureCuts(sorted: Float32Array, maxBin: number): Float32Array {
  const n = sorted.length;
  if (n === 0) return new Float32Array(0);
  const out: number[] = [];
  let distinct = 1;
  for (let i = 1; i < n && distinct <= maxBin; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  if (distinct <= maxBin) {
    for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) out.push(sorted[i] as number);
  } else {
    let last = sorted[0] as number;
    for (let k = 1; k < maxBin; k++) {
      const v = sorted[Math.floor((k * n) / maxBin)] as number;
      if (v > last) {
        out.push(v);
        last = v;
      }
    }
  }
  return Float32Array.from(out);
}

/** The number of cuts `<= v`: the bin of `v`. */
function upperBound(cuts: Float32Array, v: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cuts[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
