/**
 * Drift of one profile against a reference profile (the model's baseline, or the previous
 * window), column by column: PSI and KS for numeric columns, Jensen–Shannon distance, chi-square
 * and new categories for categorical ones, and the null-rate change for every column. Columns that
 * cannot be compared get a status that says why instead of statistics.
 */
import {
  binShares,
  type ChiSquareResult,
  chiSquareHomogeneity,
  jensenShannonDistance,
  type KolmogorovSmirnovResult,
  kolmogorovSmirnov,
  type ProportionChange,
  populationStabilityIndex,
  proportionChange,
  quantileEdges,
} from './drift-statistics.ts';
import type { CategoricalColumnProfile, ColumnProfile, NumericColumnProfile, Profile } from './profile.ts';
import { cdfOf } from './quantile-sketch.ts';

export type ColumnStatus =
  /** Statistics computed. */
  | 'compared'
  /** The column is in the reference but never appeared in the current data. */
  | 'missing'
  /** The column appeared but every value was null: only the null rate is compared. */
  | 'all-null'
  /** The reference has no values for the column (e.g. no baseline rows). */
  | 'no-reference'
  /** Numeric on one side, categorical on the other. */
  | 'kind-changed';

export interface NumericDrift {
  readonly psi: number;
  readonly ks: KolmogorovSmirnovResult;
  readonly meanReference: number | null;
  readonly meanCurrent: number | null;
  /** The reference histogram's bins with both sides' shares (outer bins are open-ended). */
  readonly histogram: {
    readonly edges: readonly number[];
    readonly reference: readonly number[];
    readonly current: readonly number[];
  };
}

export interface CategoricalDrift {
  readonly jsDistance: number;
  readonly chiSquare: ChiSquareResult;
  /** Values seen now and never in the reference, with their share of the current values. */
  readonly newCategories: readonly { readonly value: string; readonly share: number }[];
  readonly newCategoryShare: number;
  /** Category shares on both sides, the most frequent first; the rest pooled as `(other)`. */
  readonly categories: {
    readonly labels: readonly string[];
    readonly reference: readonly number[];
    readonly current: readonly number[];
  };
}

export interface ColumnDrift {
  readonly column: string;
  readonly kind: ColumnProfile['kind'];
  readonly status: ColumnStatus;
  readonly referenceCount: number;
  readonly currentCount: number;
  readonly nullRate: ProportionChange | null;
  readonly numeric?: NumericDrift;
  readonly categorical?: CategoricalDrift;
}

export interface ProfileComparison {
  readonly features: readonly ColumnDrift[];
  readonly prediction: ColumnDrift | null;
}

/** Categories drawn in the report; the rest are pooled. */
const SHOWN_CATEGORIES = 12;
export const OTHER_LABEL = '(other)';

export function compareProfiles(reference: Profile, current: Profile): ProfileComparison {
  const features = Object.values(reference.features).map((column) =>
    compareColumn(column, current.features[column.name]),
  );
  const prediction =
    reference.prediction && current.prediction
      ? compareColumn(reference.prediction, current.prediction)
      : null;
  return { features, prediction };
}

export function compareColumn(reference: ColumnProfile, current: ColumnProfile | undefined): ColumnDrift {
  const base = {
    column: reference.name,
    kind: reference.kind,
    referenceCount: reference.count,
    currentCount: current?.count ?? 0,
  };
  if (!current?.present) return { ...base, status: 'missing', nullRate: null };
  const nullRate = proportionChange(
    reference.nulls,
    reference.count + reference.nulls,
    current.nulls,
    current.count + current.nulls,
  );
  if (current.kind !== reference.kind) return { ...base, status: 'kind-changed', nullRate };
  if (reference.count === 0) return { ...base, status: 'no-reference', nullRate };
  if (current.count === 0) return { ...base, status: 'all-null', nullRate };
  if (reference.kind === 'numeric') {
    return {
      ...base,
      status: 'compared',
      nullRate,
      numeric: numericDrift(reference, current as NumericColumnProfile),
    };
  }
  return {
    ...base,
    status: 'compared',
    nullRate,
    categorical: categoricalDrift(reference, current as CategoricalColumnProfile),
  };
}

function numericDrift(reference: NumericColumnProfile, current: NumericColumnProfile): NumericDrift {
  const referenceCdf = cdfOf(reference.sketch);
  const currentCdf = cdfOf(current.sketch);
  const edges = quantileEdges(referenceCdf, 10);
  const psi = populationStabilityIndex(binShares(referenceCdf, edges), binShares(currentCdf, edges));
  const histogramEdges = reference.histogram.edges;
  const interior = histogramEdges.slice(1, -1);
  return {
    psi,
    ks: kolmogorovSmirnov(referenceCdf, currentCdf),
    meanReference: reference.mean,
    meanCurrent: current.mean,
    histogram: {
      edges: histogramEdges,
      reference: binShares(referenceCdf, interior),
      current: binShares(currentCdf, interior),
    },
  };
}

function categoricalDrift(
  reference: CategoricalColumnProfile,
  current: CategoricalColumnProfile,
): CategoricalDrift {
  const referenceCounts = new Map(reference.summary.items);
  const currentCounts = new Map(current.summary.items);
  const values = [...new Set([...referenceCounts.keys(), ...currentCounts.keys()])];
  const referenceVector = values.map((value) => referenceCounts.get(value) ?? 0);
  const currentVector = values.map((value) => currentCounts.get(value) ?? 0);
  // Mass a summary could not attribute to a kept value (only after it went approximate).
  referenceVector.push(reference.count - sum(referenceVector));
  currentVector.push(current.count - sum(currentVector));

  const newCategories = reference.summary.approximate
    ? []
    : [...currentCounts.entries()]
        .filter(([value]) => !referenceCounts.has(value))
        .map(([value, count]) => ({ value, share: count / current.count }))
        .sort((a, b) => b.share - a.share);

  const combined = values
    .map((value, i) => ({
      value,
      reference: (referenceVector[i] as number) / reference.count,
      current: (currentVector[i] as number) / current.count,
    }))
    .sort((a, b) => b.reference + b.current - (a.reference + a.current));
  const shown = combined.slice(0, SHOWN_CATEGORIES);
  const rest = combined.slice(SHOWN_CATEGORIES);
  const otherReference =
    sum(rest.map((c) => c.reference)) + (referenceVector.at(-1) as number) / reference.count;
  const otherCurrent = sum(rest.map((c) => c.current)) + (currentVector.at(-1) as number) / current.count;
  const categories = {
    labels: shown.map((c) => c.value),
    reference: shown.map((c) => c.reference),
    current: shown.map((c) => c.current),
  };
  if (otherReference > 0 || otherCurrent > 0) {
    categories.labels.push(OTHER_LABEL);
    categories.reference.push(otherReference);
    categories.current.push(otherCurrent);
  }
  return {
    jsDistance: jensenShannonDistance(referenceVector, currentVector),
    chiSquare: chiSquareHomogeneity(referenceVector, currentVector),
    newCategories,
    newCategoryShare: sum(newCategories.map((c) => c.share)),
    categories,
  };
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
