/**
 * MLflow's input rules (mlflow/utils/validation.py): key syntax, value lengths and truncation,
 * batch limits. Every rule throws InvalidParameterError with MLflow's wording, before anything is
 * written.
 */
import { posix } from 'node:path';
import { InvalidParameterError } from '../../layers/runtime/errors.ts';

export const MAX_ENTITY_KEY_LENGTH = 250;
export const MAX_PARAM_VAL_LENGTH = 6000;
export const MAX_TAG_VAL_LENGTH = 8000;
export const MAX_EXPERIMENT_NAME_LENGTH = 500;
export const MAX_EXPERIMENT_TAG_VAL_LENGTH = 5000;
export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
export const MAX_ENTITIES_PER_BATCH = 1000;
export const MAX_DATASET_NAME_LENGTH = 500;
export const MAX_DATASET_DIGEST_LENGTH = 36;
export const MAX_INPUT_TAG_KEY_LENGTH = 255;
export const MAX_INPUT_TAG_VALUE_LENGTH = 500;

const KEY_PATTERN = /^[/\w.\- :]*$/;
const RUN_ID_PATTERN = /^[a-zA-Z0-9][\w-]{0,255}$/;
const EXPERIMENT_ID_PATTERN = /^\d{1,18}$/;

function pathNotUnique(name: string): boolean {
  const normalised = posix.normalize(name);
  return (
    normalised !== name || normalised === '.' || normalised.startsWith('..') || normalised.startsWith('/')
  );
}

/** Validates a metric, param or tag key (`what` names it in messages). */
export function validateKey(key: string, what: 'metric' | 'param' | 'tag'): void {
  if (!KEY_PATTERN.test(key)) {
    throw new InvalidParameterError(
      `Invalid value "${key}" for parameter 'name' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
    );
  }
  if (pathNotUnique(key)) {
    throw new InvalidParameterError(
      `Invalid value "${key}" for parameter 'name' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${posix.normalize(key)}'`,
    );
  }
  if (key.length > MAX_ENTITY_KEY_LENGTH) {
    throw new InvalidParameterError(
      `'${key.slice(0, 32)}...' exceeds the maximum length of ${MAX_ENTITY_KEY_LENGTH} characters for a ${what} key`,
    );
  }
}

/** MLflow truncates over-long param and run tag values (MLFLOW_TRUNCATE_LONG_VALUES, on by default). */
export function truncate(value: string, limit: number): string {
  return value.length > limit ? value.slice(0, limit) : value;
}

export function validateExperimentId(experimentId: string): void {
  if (!EXPERIMENT_ID_PATTERN.test(experimentId)) {
    throw new InvalidParameterError(
      `Invalid experiment ID '${experimentId}'. Experiment ID must be a valid integer.`,
    );
  }
}

export function validateRunId(runId: string): void {
  if (!RUN_ID_PATTERN.test(runId)) throw new InvalidParameterError(`Invalid run ID: '${runId}'`);
}

export function validateExperimentName(name: string): void {
  if (name.trim() === '') throw new InvalidParameterError(`Invalid experiment name: '${name}'`);
  if (name.length > MAX_EXPERIMENT_NAME_LENGTH) {
    throw new InvalidParameterError(
      `Experiment name exceeds the maximum length of ${MAX_EXPERIMENT_NAME_LENGTH} characters`,
    );
  }
}

export function validateExperimentTag(key: string, value: string): void {
  validateKey(key, 'tag');
  if (value.length > MAX_EXPERIMENT_TAG_VAL_LENGTH) {
    throw new InvalidParameterError(
      `'${value.slice(0, 32)}...' exceeds the maximum length of ${MAX_EXPERIMENT_TAG_VAL_LENGTH} characters for an experiment tag value`,
    );
  }
}

export function validateArtifactLocation(location: string | undefined): void {
  if (location?.startsWith('runs:')) {
    throw new InvalidParameterError(`Artifact location cannot be a runs:/ URI. Given: '${location}'`);
  }
}

/** log-batch's limits, checked in MLflow's order. */
export function validateBatchLimits(counts: { metrics: number; params: number; tags: number }): void {
  const total = counts.metrics + counts.params + counts.tags;
  if (counts.metrics > MAX_METRICS_PER_BATCH) {
    throw new InvalidParameterError(
      `A batch logging request can contain at most ${MAX_METRICS_PER_BATCH} metrics. Got ${counts.metrics} metrics. Please split up metrics across multiple requests and try again.`,
    );
  }
  if (counts.params > MAX_PARAMS_TAGS_PER_BATCH) {
    throw new InvalidParameterError(
      `A batch logging request can contain at most ${MAX_PARAMS_TAGS_PER_BATCH} params. Got ${counts.params} params. Please split up params across multiple requests and try again.`,
    );
  }
  if (counts.tags > MAX_PARAMS_TAGS_PER_BATCH) {
    throw new InvalidParameterError(
      `A batch logging request can contain at most ${MAX_PARAMS_TAGS_PER_BATCH} tags. Got ${counts.tags} tags. Please split up tags across multiple requests and try again.`,
    );
  }
  if (total > MAX_ENTITIES_PER_BATCH) {
    throw new InvalidParameterError(
      `A batch logging request can contain at most ${MAX_ENTITIES_PER_BATCH} metrics, params, and tags in total. Got ${total} entities. Please split up entities across multiple requests and try again.`,
    );
  }
}

export function validateMetricTimestamp(timestamp: number): void {
  if (timestamp < 0) {
    throw new InvalidParameterError(
      `Invalid value ${timestamp} for parameter 'timestamp' supplied: metric timestamps must be non-negative`,
    );
  }
}
