/**
 * The tracking domain as the core sees it, and its MLflow wire form.
 *
 * The wire form follows MLflow's proto2 JSON: snake_case names, int64 as JSON numbers, NaN and
 * ±Infinity as the strings "NaN"/"Infinity"/"-Infinity", and unset or empty fields omitted.
 */

export type LifecycleStage = 'active' | 'deleted';

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const;
export type ViewType = (typeof VIEW_TYPES)[number];

export const LOGGED_MODEL_STATUSES = [
  'LOGGED_MODEL_STATUS_UNSPECIFIED',
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

export interface Tag {
  readonly key: string;
  readonly value: string;
}

export interface Experiment {
  readonly experimentId: string;
  readonly name: string;
  readonly artifactLocation: string;
  readonly lifecycleStage: LifecycleStage;
  readonly creationTime: number;
  readonly lastUpdateTime: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** One metric point. `value` may be NaN or ±Infinity. */
export interface Metric {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
}

export interface DatasetInput {
  readonly dataset: {
    readonly name: string;
    readonly digest: string;
    readonly source_type: string;
    readonly source: string;
    readonly schema?: string;
    readonly profile?: string;
  };
  readonly tags?: readonly Tag[];
}

export interface RunInfo {
  readonly runId: string;
  readonly experimentId: string;
  readonly runName: string;
  readonly userId: string;
  readonly status: RunStatus;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly artifactUri: string;
  readonly lifecycleStage: LifecycleStage;
}

/** A run with its latest metric values, params, tags, inputs and outputs. */
export interface Run {
  readonly info: RunInfo;
  /** Latest value per metric key (max step, then max timestamp, then max value). */
  readonly metrics: Readonly<Record<string, Metric>>;
  readonly params: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly datasetInputs: readonly DatasetInput[];
  readonly modelInputs: readonly string[];
  readonly modelOutputs: readonly { readonly modelId: string; readonly step: number }[];
}

export interface LoggedModel {
  readonly modelId: string;
  readonly experimentId: string;
  readonly name: string;
  readonly creationTimestampMs: number;
  readonly lastUpdatedTimestampMs: number;
  readonly artifactUri: string;
  readonly status: LoggedModelStatus;
  readonly modelType: string;
  readonly sourceRunId?: string;
  readonly statusMessage?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
}

/** A double as MLflow's JSON carries it. */
export function wireDouble(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

function tagList(tags: Readonly<Record<string, string>>): Tag[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

/** Drops keys whose value is undefined, an empty array or an empty object (proto2 omission). */
function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, field]) => {
      if (field === undefined) return false;
      if (Array.isArray(field)) return field.length > 0;
      return true;
    }),
  ) as Partial<T>;
}

export function experimentToWire(experiment: Experiment): Record<string, unknown> {
  return compact({
    experiment_id: experiment.experimentId,
    name: experiment.name,
    artifact_location: experiment.artifactLocation,
    lifecycle_stage: experiment.lifecycleStage,
    last_update_time: experiment.lastUpdateTime,
    creation_time: experiment.creationTime,
    tags: tagList(experiment.tags),
  });
}

export function metricToWire(metric: Metric): Record<string, unknown> {
  return { key: metric.key, value: wireDouble(metric.value), timestamp: metric.timestamp, step: metric.step };
}

export function runInfoToWire(info: RunInfo): Record<string, unknown> {
  return compact({
    run_uuid: info.runId,
    experiment_id: info.experimentId,
    run_name: info.runName,
    user_id: info.userId,
    status: info.status,
    start_time: info.startTime,
    end_time: info.endTime,
    artifact_uri: info.artifactUri,
    lifecycle_stage: info.lifecycleStage,
    run_id: info.runId,
  });
}

export function runToWire(run: Run): Record<string, unknown> {
  const inputs = compact({
    dataset_inputs: run.datasetInputs.map((input) => compact({ ...input, tags: input.tags ?? [] })),
    model_inputs: run.modelInputs.map((modelId) => ({ model_id: modelId })),
  });
  const outputs = compact({
    model_outputs: run.modelOutputs.map((output) => ({ model_id: output.modelId, step: output.step })),
  });
  return {
    info: runInfoToWire(run.info),
    data: compact({
      metrics: Object.values(run.metrics).map(metricToWire),
      params: tagList(run.params),
      tags: tagList(run.tags),
    }),
    inputs,
    outputs,
  };
}

export function loggedModelToWire(model: LoggedModel): Record<string, unknown> {
  return {
    info: compact({
      model_id: model.modelId,
      experiment_id: model.experimentId,
      name: model.name,
      creation_timestamp_ms: model.creationTimestampMs,
      last_updated_timestamp_ms: model.lastUpdatedTimestampMs,
      artifact_uri: model.artifactUri,
      status: model.status,
      model_type: model.modelType,
      source_run_id: model.sourceRunId,
      status_message: model.statusMessage,
      tags: tagList(model.tags),
    }),
    data: compact({ params: tagList(model.params) }),
  };
}
