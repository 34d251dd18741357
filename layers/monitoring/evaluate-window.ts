/**
 * One monitoring evaluation: a window's profile (and quality, when labels were joined) against the
 * model version's baseline and against the previous window, with the alarms the thresholds raise.
 * Pure: reading the window, storing results and publishing metrics are the caller's job.
 */
import { compareProfiles, type ProfileComparison } from './compare-profiles.ts';
import type { ColumnSpec, Profile, ProfileOptions, ProfileSpec } from './profile.ts';
import { ProfileBuilder } from './profile.ts';
import { type ModelTask, QualityAccumulator, type QualityMetrics } from './quality.ts';
import {
  type Alarm,
  driftAlarms,
  type MonitoringThresholds,
  type MonitoringThresholdsInput,
  MonitoringThresholdsSchema,
  qualityAlarms,
} from './thresholds.ts';

/** A half-open time interval [start, end), ISO-8601 instants. */
export interface MonitoringWindow {
  readonly start: string;
  readonly end: string;
}

/** The reference a model version is monitored against, stored beside the model. */
export interface Baseline {
  readonly formatVersion: 1;
  readonly model: string;
  readonly version: string;
  readonly createdAt: string;
  readonly task: ModelTask;
  /** Training-set features; `prediction` is the distribution of predictions on the holdout. */
  readonly profile: Profile;
  /** The holdout's quality, which live quality is compared with. */
  readonly quality: QualityMetrics | null;
}

export interface WindowProfile {
  readonly window: MonitoringWindow;
  readonly profile: Profile;
  readonly quality: QualityMetrics | null;
}

export interface EvaluateWindowInput {
  readonly model: string;
  readonly modelVersion?: string | null;
  readonly window: MonitoringWindow;
  readonly current: Profile;
  readonly quality?: QualityMetrics | null;
  readonly baseline?: Baseline | null;
  readonly previous?: WindowProfile | null;
  readonly thresholds?: MonitoringThresholdsInput;
}

export type MonitoringOutcome = 'ok' | 'alarm' | 'no-data';

export interface MonitoringResult {
  readonly model: string;
  readonly modelVersion: string | null;
  readonly window: MonitoringWindow;
  readonly rows: number;
  readonly outcome: MonitoringOutcome;
  /** Plain-language notes on what could not be evaluated and why. */
  readonly notes: readonly string[];
  readonly againstBaseline: ProfileComparison | null;
  readonly againstPrevious: ProfileComparison | null;
  readonly previousWindow: MonitoringWindow | null;
  readonly quality: QualityMetrics | null;
  readonly baselineQuality: QualityMetrics | null;
  readonly alarms: readonly Alarm[];
  readonly thresholds: MonitoringThresholds;
}

export function evaluateWindow(input: EvaluateWindowInput): MonitoringResult {
  const thresholds = MonitoringThresholdsSchema.parse(input.thresholds ?? {});
  const notes: string[] = [];
  const { current } = input;
  const common = {
    model: input.model,
    modelVersion: input.modelVersion ?? input.baseline?.version ?? null,
    window: input.window,
    rows: current.rows,
    quality: input.quality ?? null,
    baselineQuality: input.baseline?.quality ?? null,
    previousWindow: input.previous?.window ?? null,
    thresholds,
  };
  if (current.rows === 0) {
    notes.push(`no inference rows between ${input.window.start} and ${input.window.end}: nothing to compare`);
    return {
      ...common,
      outcome: 'no-data',
      notes,
      againstBaseline: null,
      againstPrevious: null,
      alarms: [],
    };
  }
  if (current.rows < thresholds.minRows) {
    notes.push(
      `only ${current.rows} rows in the window: drift alarms need at least ${thresholds.minRows} (minRows)`,
    );
  }
  const alarms: Alarm[] = [];
  let againstBaseline: ProfileComparison | null = null;
  if (input.baseline) {
    againstBaseline = compareProfiles(input.baseline.profile, current);
    alarms.push(...driftAlarms(againstBaseline, 'baseline', thresholds));
    for (const column of againstBaseline.features) {
      if (column.status === 'missing')
        notes.push(`feature ${column.column} is missing from the window's data`);
    }
  } else {
    notes.push('no baseline is stored for this model version: drift against the baseline was skipped');
  }
  let againstPrevious: ProfileComparison | null = null;
  if (input.previous && input.previous.profile.rows > 0) {
    againstPrevious = compareProfiles(input.previous.profile, current);
    // A column missing now is reported once, against the baseline (or here when there is none).
    const alarmsPrevious = driftAlarms(againstPrevious, 'previous', thresholds).filter(
      (alarm) => !(input.baseline && alarm.statistic === 'missing'),
    );
    alarms.push(...alarmsPrevious);
  } else {
    notes.push('no earlier window with rows: drift against the previous window was skipped');
  }
  if (input.quality) {
    if (input.quality.labeled < thresholds.quality.minLabeled) {
      notes.push(
        `${input.quality.labeled} predictions have labels so far: quality alarms need ${thresholds.quality.minLabeled}`,
      );
    }
    alarms.push(...qualityAlarms(input.quality, input.baseline?.quality, thresholds));
  }
  return {
    ...common,
    outcome: alarms.length > 0 ? 'alarm' : 'ok',
    notes,
    againstBaseline,
    againstPrevious,
    alarms,
  };
}

export interface CreateBaselineInput {
  readonly model: string;
  readonly version: string;
  readonly task: ModelTask;
  readonly features: readonly ColumnSpec[];
  /** The training set's rows (only the feature columns are read), or their profile when already built. */
  readonly trainingRows: Iterable<Readonly<Record<string, unknown>>> | Profile;
  /** The model's predictions on the holdout, with the holdout's labels when known. */
  readonly holdout?: { readonly predictions: ArrayLike<unknown>; readonly labels?: ArrayLike<unknown> };
  readonly predictionKind?: ColumnSpec['kind'];
  readonly options?: ProfileOptions;
  readonly now?: () => Date;
}

/** Profiles a training set and its holdout predictions into the baseline stored with a model version. */
export function createBaseline(input: CreateBaselineInput): Baseline {
  const training = isProfile(input.trainingRows)
    ? input.trainingRows
    : profileTraining(input.trainingRows, { features: input.features }, input.options);
  let prediction: Profile['prediction'];
  let quality: QualityMetrics | null = null;
  if (input.holdout) {
    const { predictions, labels } = input.holdout;
    if (labels && labels.length !== predictions.length) {
      throw new RangeError(`holdout has ${predictions.length} predictions but ${labels.length} labels`);
    }
    const builder = new ProfileBuilder(
      { features: [], prediction: { name: 'prediction', kind: input.predictionKind ?? 'numeric' } },
      input.options,
    );
    builder.addColumns({ prediction: predictions }, predictions.length);
    prediction = builder.finish().prediction;
    if (labels) {
      const accumulator = new QualityAccumulator(input.task);
      for (let i = 0; i < predictions.length; i++) accumulator.add(predictions[i], labels[i]);
      quality = accumulator.finish();
    }
  }
  return {
    formatVersion: 1,
    model: input.model,
    version: input.version,
    createdAt: (input.now?.() ?? new Date()).toISOString(),
    task: input.task,
    profile: { ...training, ...(prediction ? { prediction } : {}) },
    quality,
  };
}

function isProfile(value: CreateBaselineInput['trainingRows']): value is Profile {
  return (value as Profile).formatVersion === 1 && 'features' in value;
}

function profileTraining(
  rows: Iterable<Readonly<Record<string, unknown>>>,
  spec: ProfileSpec,
  options: ProfileOptions | undefined,
): Profile {
  const builder = new ProfileBuilder(spec, options);
  for (const row of rows) builder.addRow(row);
  return builder.finish();
}
