/**
 * Data profiles: per column its type, count, null rate, quantiles and a histogram (numeric) or
 * top-k frequencies (categorical), built in one streaming pass.
 *
 * A `ProfileBuilder` keeps O(k) state per column whatever the number of rows (a quantile sketch
 * or a frequent-items summary, plus running moments), so a window of millions of rows is profiled
 * in a few megabytes, and builders over separate chunks merge into the profile of the whole. The
 * finished `Profile` is plain JSON: it keeps the sketches, so drift statistics can be computed
 * against it later (a baseline stored with a model version, the previous window's profile).
 */
import { FrequentItems, type FrequentItemsState } from './frequent-items.ts';
import { cdfAt, cdfOf, QuantileSketch, type QuantileSketchState, quantileOf } from './quantile-sketch.ts';

export type ColumnKind = 'numeric' | 'categorical';

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
}

/** What to profile: the model's features, and its prediction column when there is one. */
export interface ProfileSpec {
  readonly features: readonly ColumnSpec[];
  readonly prediction?: ColumnSpec;
}

export interface ProfileOptions {
  /** Quantile-sketch accuracy (about 1.7/k rank error). @default 400 */
  readonly sketchK?: number;
  /** Distinct categorical values counted exactly. @default 1000 */
  readonly categoricalCapacity?: number;
  /** Categorical values listed in `top`. @default 20 */
  readonly topK?: number;
  /** Equal-width bins of the numeric histogram. @default 20 */
  readonly histogramBins?: number;
}

export const PROFILE_QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] as const;

interface ColumnProfileBase {
  readonly name: string;
  /** False when the column never appeared in the profiled data (e.g. missing from the table). */
  readonly present: boolean;
  /** Non-null values. */
  readonly count: number;
  readonly nulls: number;
  /** nulls / (count + nulls); 0 for no rows. */
  readonly nullRate: number;
}

export interface NumericColumnProfile extends ColumnProfileBase {
  readonly kind: 'numeric';
  /** Values that were neither null nor a finite number (strings, NaN, ±Infinity); counted as nulls. */
  readonly invalid: number;
  readonly mean: number | null;
  readonly std: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly quantiles: readonly { readonly q: number; readonly value: number }[];
  /** Equal-width bins over [min, max]; `counts[i]` covers (edges[i], edges[i+1]], the first bin includes min. */
  readonly histogram: { readonly edges: readonly number[]; readonly counts: readonly number[] };
  readonly sketch: QuantileSketchState;
}

export interface CategoricalColumnProfile extends ColumnProfileBase {
  readonly kind: 'categorical';
  /** Distinct values kept by the summary (a lower bound once `summary.approximate`). */
  readonly distinct: number;
  readonly top: readonly { readonly value: string; readonly count: number }[];
  /** Non-null values not among `top`. */
  readonly otherCount: number;
  readonly summary: FrequentItemsState;
}

export type ColumnProfile = NumericColumnProfile | CategoricalColumnProfile;

export interface Profile {
  readonly formatVersion: 1;
  readonly rows: number;
  readonly features: Readonly<Record<string, ColumnProfile>>;
  readonly prediction?: ColumnProfile;
}

interface ColumnAccumulator {
  readonly spec: ColumnSpec;
  present: boolean;
  add(value: unknown): void;
  merge(other: ColumnAccumulator): void;
  finish(options: Required<ProfileOptions>): ColumnProfile;
}

class NumericAccumulator implements ColumnAccumulator {
  present = false;
  nulls = 0;
  invalid = 0;
  count = 0;
  mean = 0;
  m2 = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  readonly sketch: QuantileSketch;

  constructor(
    readonly spec: ColumnSpec,
    sketchK: number,
  ) {
    this.sketch = new QuantileSketch(sketchK);
  }

  add(value: unknown): void {
    let x: number;
    if (value === null || value === undefined) {
      this.nulls++;
      return;
    }
    if (typeof value === 'number') x = value;
    else if (typeof value === 'bigint') x = Number(value);
    else if (typeof value === 'boolean') x = value ? 1 : 0;
    else if (typeof value === 'string' && value.trim() !== '') x = Number(value);
    else x = Number.NaN;
    if (!Number.isFinite(x)) {
      this.nulls++;
      this.invalid++;
      return;
    }
    this.count++;
    const delta = x - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.sketch.add(x);
  }

  merge(other: ColumnAccumulator): void {
    const o = other as NumericAccumulator;
    this.present ||= o.present;
    this.nulls += o.nulls;
    this.invalid += o.invalid;
    if (o.count > 0) {
      // Chan et al.'s parallel update of the mean and the sum of squared deviations.
      const total = this.count + o.count;
      const delta = o.mean - this.mean;
      this.m2 += o.m2 + (delta * delta * this.count * o.count) / total;
      this.mean += (delta * o.count) / total;
      this.count = total;
      this.min = Math.min(this.min, o.min);
      this.max = Math.max(this.max, o.max);
    }
    this.sketch.merge(o.sketch);
  }

  finish(options: Required<ProfileOptions>): NumericColumnProfile {
    const sketch = this.sketch.toState();
    const empty = this.count === 0;
    const cdf = cdfOf(sketch);
    const edges: number[] = [];
    const counts: number[] = [];
    if (!empty) {
      const bins = this.min === this.max ? 1 : options.histogramBins;
      for (let i = 0; i <= bins; i++) edges.push(this.min + ((this.max - this.min) * i) / bins);
      edges[bins] = this.max;
      let previous = 0;
      for (let i = 1; i <= bins; i++) {
        const at = i === bins ? 1 : cdfAt(cdf, edges[i] as number);
        counts.push(Math.round((at - previous) * this.count));
        previous = at;
      }
    }
    return {
      kind: 'numeric',
      name: this.spec.name,
      present: this.present,
      count: this.count,
      nulls: this.nulls,
      nullRate: rate(this.nulls, this.count + this.nulls),
      invalid: this.invalid,
      mean: empty ? null : this.mean,
      std: this.count > 1 ? Math.sqrt(this.m2 / (this.count - 1)) : empty ? null : 0,
      min: empty ? null : this.min,
      max: empty ? null : this.max,
      quantiles: empty ? [] : PROFILE_QUANTILES.map((q) => ({ q, value: quantileOf(cdf, q) })),
      histogram: { edges, counts },
      sketch,
    };
  }
}

class CategoricalAccumulator implements ColumnAccumulator {
  present = false;
  nulls = 0;
  readonly summary: FrequentItems;

  constructor(
    readonly spec: ColumnSpec,
    capacity: number,
  ) {
    this.summary = new FrequentItems(capacity);
  }

  add(value: unknown): void {
    if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) {
      this.nulls++;
      return;
    }
    this.summary.add(typeof value === 'string' ? value : String(value));
  }

  merge(other: ColumnAccumulator): void {
    const o = other as CategoricalAccumulator;
    this.present ||= o.present;
    this.nulls += o.nulls;
    this.summary.merge(o.summary);
  }

  finish(options: Required<ProfileOptions>): CategoricalColumnProfile {
    const summary = this.summary.toState();
    const top = summary.items.slice(0, options.topK).map(([value, count]) => ({ value, count }));
    const count = summary.n;
    return {
      kind: 'categorical',
      name: this.spec.name,
      present: this.present,
      count,
      nulls: this.nulls,
      nullRate: rate(this.nulls, count + this.nulls),
      distinct: summary.items.length,
      top,
      otherCount: count - top.reduce((sum, item) => sum + item.count, 0),
      summary,
    };
  }
}

const DEFAULTS: Required<ProfileOptions> = {
  sketchK: 400,
  categoricalCapacity: 1000,
  topK: 20,
  histogramBins: 20,
};

/** Streams rows (or columnar batches) into a profile. Builders over disjoint chunks merge. */
export class ProfileBuilder {
  readonly spec: ProfileSpec;
  private readonly options: Required<ProfileOptions>;
  private readonly features: ColumnAccumulator[];
  private readonly prediction: ColumnAccumulator | undefined;
  private rows = 0;

  constructor(spec: ProfileSpec, options: ProfileOptions = {}) {
    const names = new Set<string>();
    for (const column of spec.features) {
      if (names.has(column.name)) throw new RangeError(`feature ${column.name} is listed twice`);
      names.add(column.name);
    }
    this.spec = spec;
    this.options = { ...DEFAULTS, ...options };
    this.features = spec.features.map((column) => this.accumulator(column));
    this.prediction = spec.prediction ? this.accumulator(spec.prediction) : undefined;
  }

  /** Adds one row; a column absent from the row counts as null (and as not present if never seen). */
  addRow(row: Readonly<Record<string, unknown>>): void {
    this.rows++;
    for (const column of this.columns()) {
      const value = row[column.spec.name];
      if (value !== undefined || column.spec.name in row) column.present = true;
      column.add(value);
    }
  }

  /** Adds `length` rows given column-wise; a column missing from the batch counts as null. */
  addColumns(columns: Readonly<Record<string, ArrayLike<unknown> | undefined>>, length: number): void {
    this.rows += length;
    for (const column of this.columns()) {
      const values = columns[column.spec.name];
      if (values === undefined) {
        for (let i = 0; i < length; i++) column.add(null);
        continue;
      }
      column.present = true;
      for (let i = 0; i < length; i++) column.add(values[i]);
    }
  }

  merge(other: ProfileBuilder): void {
    if (JSON.stringify(other.spec) !== JSON.stringify(this.spec)) {
      throw new RangeError('cannot merge profiles of different column specs');
    }
    this.rows += other.rows;
    this.features.forEach((column, i) => {
      column.merge(other.features[i] as ColumnAccumulator);
    });
    if (this.prediction && other.prediction) this.prediction.merge(other.prediction);
  }

  finish(): Profile {
    const features: Record<string, ColumnProfile> = {};
    for (const column of this.features) features[column.spec.name] = column.finish(this.options);
    return {
      formatVersion: 1,
      rows: this.rows,
      features,
      ...(this.prediction ? { prediction: this.prediction.finish(this.options) } : {}),
    };
  }

  private *columns(): Generator<ColumnAccumulator> {
    yield* this.features;
    if (this.prediction) yield this.prediction;
  }

  private accumulator(column: ColumnSpec): ColumnAccumulator {
    return column.kind === 'numeric'
      ? new NumericAccumulator(column, this.options.sketchK)
      : new CategoricalAccumulator(column, this.options.categoricalCapacity);
  }
}

/** Profiles an in-memory list of rows in one call. */
export function profileRows(
  rows: Iterable<Readonly<Record<string, unknown>>>,
  spec: ProfileSpec,
  options?: ProfileOptions,
): Profile {
  const builder = new ProfileBuilder(spec, options);
  for (const row of rows) builder.addRow(row);
  return builder.finish();
}

/**
 * Column kinds from sample rows: a column whose non-null values are all numbers (or bigints) is
 * numeric, anything else (strings, booleans, mixed) categorical.
 */
export function inferColumnSpecs(
  rows: readonly Readonly<Record<string, unknown>>[],
  names: readonly string[],
): ColumnSpec[] {
  return names.map((name) => {
    let numeric = true;
    let seen = false;
    for (const row of rows) {
      const value = row[name];
      if (value === null || value === undefined) continue;
      seen = true;
      if (typeof value !== 'number' && typeof value !== 'bigint') numeric = false;
    }
    return { name, kind: seen && numeric ? 'numeric' : 'categorical' };
  });
}

function rate(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}
