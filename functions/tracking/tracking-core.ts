/**
 * The tracking core: MLflow's tracking semantics over a TrackingStore. Pure apart from the store,
 * the clock and the id source it is given, so the same code serves Lambda, the local platform, the
 * CLI and the tests. Inputs arrive typed (schemas.ts); every rule is checked before the first write.
 */
import { InvalidParameterError, NotFoundError } from '../../layers/runtime/errors.ts';
import {
  MAX_RUNS_PER_BULK_INTERVAL,
  MAX_SAMPLED_STEPS,
  pointsAtSteps,
  sampledSteps,
  stepRange,
} from './metric-sampling.ts';
import type {
  DatasetInput,
  Experiment,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  Run,
  RunInfo,
  RunStatus,
  Tag,
  ViewType,
} from './model.ts';
import { newRunId } from './run-ids.ts';
import { generateRunName } from './run-names.ts';
import {
  type ExperimentSearch,
  type LoggedModelOrder,
  type Page,
  paginate,
  type RunSearch,
  runSearchFields,
  searchExperiments,
  searchLoggedModels,
  searchRuns,
  validateRunSearch,
} from './search.ts';
import type { TrackingStore } from './store.ts';
import {
  MAX_DATASET_DIGEST_LENGTH,
  MAX_DATASET_NAME_LENGTH,
  MAX_INPUT_TAG_KEY_LENGTH,
  MAX_INPUT_TAG_VALUE_LENGTH,
  MAX_PARAM_VAL_LENGTH,
  MAX_TAG_VAL_LENGTH,
  truncate,
  validateArtifactLocation,
  validateBatchLimits,
  validateExperimentId,
  validateExperimentName,
  validateExperimentTag,
  validateKey,
  validateMetricTimestamp,
  validateRunId,
} from './validation.ts';

/** The sentence MLflow appends to request-schema errors. */
const SEE_API_DOCS = 'See the API docs for more information about request parameters.';

export interface TrackingDeps {
  readonly store: TrackingStore;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default 32 hex characters naming the experiment (run-ids.ts) */
  readonly newRunId?: (experimentId: string) => string;
}

export interface BatchInput {
  readonly runId: string;
  readonly metrics: readonly Metric[];
  readonly params: readonly Tag[];
  readonly tags: readonly Tag[];
}

/** MLflow's tracking operations. */
export class TrackingCore {
  readonly store: TrackingStore;
  readonly #now: () => number;
  readonly #newRunId: (experimentId: string) => string;

  constructor(deps: TrackingDeps) {
    this.store = deps.store;
    this.#now = deps.now ?? Date.now;
    this.#newRunId = deps.newRunId ?? newRunId;
  }

  // ---- experiments -------------------------------------------------------------------------

  async createExperiment(input: { name: string; artifactLocation?: string; tags: readonly Tag[] }) {
    validateExperimentName(input.name);
    validateArtifactLocation(input.artifactLocation);
    for (const tag of input.tags) validateExperimentTag(tag.key, tag.value);
    const experiment = await this.store.createExperiment({
      name: input.name,
      ...(input.artifactLocation ? { artifactLocation: input.artifactLocation } : {}),
      tags: Object.fromEntries(input.tags.map((tag) => [tag.key, tag.value])),
      now: this.#now(),
    });
    return experiment.experimentId;
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    validateExperimentId(experimentId);
    const experiment = await this.store.getExperiment(experimentId);
    if (!experiment) throw new NotFoundError(`No Experiment with id=${experimentId} exists`);
    return experiment;
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    const experiment = await this.store.getExperimentByName(name);
    if (!experiment) throw new NotFoundError(`Could not find experiment with name '${name}'`);
    return experiment;
  }

  async searchExperiments(search: ExperimentSearch): Promise<Page<Experiment>> {
    // Validate the filter and order before reading, so bad input costs no reads.
    searchExperiments([], search);
    return searchExperiments(await this.store.listExperiments(), search);
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    await this.getExperiment(experimentId);
    await this.store.renameExperiment(experimentId, newName, this.#now());
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    const experiment = await this.getExperiment(experimentId);
    if (experimentId === '0') {
      throw new InvalidParameterError(
        "Cannot delete the default experiment '0'. This is a reserved experiment.",
      );
    }
    if (experiment.lifecycleStage !== 'deleted') {
      await this.store.setExperimentLifecycle(experimentId, 'deleted', this.#now());
    }
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    const experiment = await this.getExperiment(experimentId);
    if (experiment.lifecycleStage !== 'active') {
      await this.store.setExperimentLifecycle(experimentId, 'active', this.#now());
    }
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    validateExperimentTag(key, value);
    await this.#activeExperiment(experimentId);
    await this.store.setExperimentTag(experimentId, key, value, this.#now());
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    const experiment = await this.#activeExperiment(experimentId);
    if (experiment.tags[key] === undefined) {
      throw new NotFoundError(`No tag with name: ${key} in experiment with id ${experimentId}`);
    }
    await this.store.setExperimentTag(experimentId, key, undefined, this.#now());
  }

  async #activeExperiment(experimentId: string): Promise<Experiment> {
    const experiment = await this.getExperiment(experimentId);
    if (experiment.lifecycleStage !== 'active') {
      throw new InvalidParameterError(
        `The experiment ${experimentId} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`,
      );
    }
    return experiment;
  }

  // ---- runs --------------------------------------------------------------------------------

  async createRun(input: {
    experimentId?: string;
    userId?: string;
    runName?: string;
    startTime?: number;
    tags: readonly Tag[];
  }): Promise<Run> {
    const experimentId = input.experimentId ?? '0';
    for (const tag of input.tags) validateKey(tag.key, 'tag');
    const experiment = await this.#activeExperiment(experimentId);
    const tags = Object.fromEntries(
      input.tags.map((tag) => [tag.key, truncate(tag.value, MAX_TAG_VAL_LENGTH)]),
    );
    const tagName = tags['mlflow.runName'];
    if (input.runName && tagName !== undefined && tagName !== input.runName) {
      throw new InvalidParameterError(
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${input.runName}', mlflow.runName='${tagName}').`,
      );
    }
    const runName = input.runName || tagName || generateRunName();
    tags['mlflow.runName'] = runName;
    const runId = this.#newRunId(experimentId);
    const info: RunInfo = {
      runId,
      experimentId,
      runName,
      userId: input.userId ?? '',
      status: 'RUNNING',
      startTime: input.startTime ?? this.#now(),
      artifactUri: `${experiment.artifactLocation.replace(/\/+$/, '')}/${runId}/artifacts`,
      lifecycleStage: 'active',
    };
    await this.store.createRun(info, tags);
    return { info, metrics: {}, params: {}, tags, datasetInputs: [], modelInputs: [], modelOutputs: [] };
  }

  async getRun(runId: string): Promise<Run> {
    validateRunId(runId);
    const run = await this.store.getRun(runId);
    if (!run) throw new NotFoundError(`Run with id=${runId} not found`);
    return run;
  }

  async #activeRun(runId: string): Promise<Run> {
    const run = await this.getRun(runId);
    if (run.info.lifecycleStage !== 'active') {
      throw new InvalidParameterError(
        `The run ${runId} must be in the 'active' state. Current state is ${run.info.lifecycleStage}.`,
      );
    }
    return run;
  }

  async updateRun(runId: string, update: { status?: RunStatus; endTime?: number; runName?: string }) {
    await this.#activeRun(runId);
    return this.store.updateRun(runId, {
      ...(update.status !== undefined ? { status: update.status } : {}),
      ...(update.endTime !== undefined ? { endTime: update.endTime } : {}),
      ...(update.runName ? { runName: update.runName } : {}),
    });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.getRun(runId);
    await this.store.setRunLifecycle(runId, 'deleted');
  }

  async restoreRun(runId: string): Promise<void> {
    await this.getRun(runId);
    await this.store.setRunLifecycle(runId, 'active');
  }

  async searchRuns(experimentIds: readonly string[], search: RunSearch): Promise<Page<Run>> {
    for (const id of experimentIds) validateExperimentId(id);
    validateRunSearch(search);
    if (experimentIds.length === 0) return { items: [] };
    // Filter and order on a projection of the runs, then read the page's runs in full.
    const listing = await this.store.listRuns([...new Set(experimentIds)], runSearchFields(search));
    const page = searchRuns(listing.runs, search);
    if (listing.complete) return page;
    const runs = await this.store.getRuns(
      page.items.map((run) => ({ runId: run.info.runId, experimentId: run.info.experimentId })),
    );
    return { ...page, items: runs };
  }

  async logBatch(input: BatchInput): Promise<void> {
    validateBatchLimits({
      metrics: input.metrics.length,
      params: input.params.length,
      tags: input.tags.length,
    });
    for (const metric of input.metrics) {
      validateKey(metric.key, 'metric');
      validateMetricTimestamp(metric.timestamp);
    }
    for (const param of input.params) validateKey(param.key, 'param');
    for (const tag of input.tags) validateKey(tag.key, 'tag');
    const keys = input.params.map((param) => param.key);
    const duplicates = [...new Set(keys.filter((key, index) => keys.indexOf(key) !== index))];
    if (duplicates.length > 0) {
      throw new InvalidParameterError(
        `Duplicate parameter keys have been submitted: [${duplicates.map((key) => `'${key}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`,
      );
    }
    validateRunId(input.runId);
    // The store checks that the run exists and is active, in the same read it needs anyway.
    const runName = input.tags.find((tag) => tag.key === 'mlflow.runName')?.value;
    await this.store.logBatch(input.runId, {
      metrics: input.metrics,
      params: Object.fromEntries(input.params.map((p) => [p.key, truncate(p.value, MAX_PARAM_VAL_LENGTH)])),
      tags: Object.fromEntries(input.tags.map((t) => [t.key, truncate(t.value, MAX_TAG_VAL_LENGTH)])),
    });
    // Setting the `mlflow.runName` tag renames the run, as in MLflow.
    if (runName) await this.store.updateRun(input.runId, { runName: truncate(runName, MAX_TAG_VAL_LENGTH) });
  }

  logMetric(runId: string, metric: Metric): Promise<void> {
    return this.logBatch({ runId, metrics: [metric], params: [], tags: [] });
  }

  logParam(runId: string, param: Tag): Promise<void> {
    return this.logBatch({ runId, metrics: [], params: [param], tags: [] });
  }

  setTag(runId: string, tag: Tag): Promise<void> {
    return this.logBatch({ runId, metrics: [], params: [], tags: [tag] });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    validateKey(key, 'tag');
    await this.#activeRun(runId);
    if (!(await this.store.deleteRunTag(runId, key))) {
      throw new NotFoundError(`No tag with name: ${key} in run with id ${runId}`);
    }
  }

  async getMetricHistory(
    runId: string,
    key: string,
    maxResults: number,
    pageToken: string | undefined,
  ): Promise<Page<Metric>> {
    await this.getRun(runId);
    return paginate(await this.store.getMetricHistory(runId, key), maxResults, pageToken);
  }

  /**
   * One metric's history across runs at sampled steps (metrics/get-history-bulk-interval). Runs that
   * do not exist contribute no points, as with MLflow's SQL store; malformed run ids are rejected.
   */
  async getMetricHistoryBulkInterval(input: {
    runIds: readonly string[];
    key: string;
    startStep?: number;
    endStep?: number;
    maxResults: number;
  }): Promise<{ runId: string; metric: Metric }[]> {
    if (input.runIds.length > MAX_RUNS_PER_BULK_INTERVAL) {
      throw new InvalidParameterError(
        `GetMetricHistoryBulkInterval request must specify at most ${MAX_RUNS_PER_BULK_INTERVAL} run_ids. Received ${input.runIds.length} run_ids. ${SEE_API_DOCS}`,
      );
    }
    if (input.maxResults < 1 || input.maxResults > MAX_SAMPLED_STEPS) {
      throw new InvalidParameterError(
        `max_results must be between 1 and ${MAX_SAMPLED_STEPS}. ${SEE_API_DOCS}`,
      );
    }
    for (const runId of input.runIds) validateRunId(runId);
    const range = stepRange(input.startStep, input.endStep);
    const histories = await Promise.all(
      input.runIds.map((runId) => this.store.getMetricHistory(runId, input.key)),
    );
    const steps = sampledSteps(histories, range, input.maxResults);
    return input.runIds.flatMap((runId, i) =>
      pointsAtSteps(histories[i] ?? [], steps).map((metric) => ({ runId, metric })),
    );
  }

  async logInputs(
    runId: string,
    datasets: readonly DatasetInput[],
    modelIds: readonly string[],
  ): Promise<void> {
    for (const input of datasets) {
      if (
        input.dataset.name.length > MAX_DATASET_NAME_LENGTH ||
        input.dataset.digest.length > MAX_DATASET_DIGEST_LENGTH
      ) {
        throw new InvalidParameterError(
          `Dataset name must be at most ${MAX_DATASET_NAME_LENGTH} and digest at most ${MAX_DATASET_DIGEST_LENGTH} characters`,
        );
      }
      for (const tag of input.tags ?? []) {
        if (tag.key.length > MAX_INPUT_TAG_KEY_LENGTH || tag.value.length > MAX_INPUT_TAG_VALUE_LENGTH) {
          throw new InvalidParameterError(
            `Input tag keys must be at most ${MAX_INPUT_TAG_KEY_LENGTH} and values at most ${MAX_INPUT_TAG_VALUE_LENGTH} characters`,
          );
        }
      }
    }
    await this.#activeRun(runId);
    await this.store.logInputs(runId, datasets, modelIds);
  }

  async logOutputs(runId: string, outputs: readonly { modelId: string; step: number }[]): Promise<void> {
    await this.#activeRun(runId);
    await this.store.logOutputs(runId, outputs);
  }

  // ---- logged models -----------------------------------------------------------------------

  async createLoggedModel(input: {
    experimentId: string;
    name?: string;
    modelType?: string;
    sourceRunId?: string;
    tags: readonly Tag[];
    params: readonly Tag[];
  }): Promise<LoggedModel> {
    for (const tag of input.tags) validateKey(tag.key, 'tag');
    for (const param of input.params) validateKey(param.key, 'param');
    await this.#activeExperiment(input.experimentId);
    if (input.sourceRunId) await this.getRun(input.sourceRunId);
    return this.store.createLoggedModel({
      experimentId: input.experimentId,
      name: input.name || generateRunName(),
      modelType: input.modelType ?? '',
      ...(input.sourceRunId ? { sourceRunId: input.sourceRunId } : {}),
      tags: Object.fromEntries(input.tags.map((tag) => [tag.key, truncate(tag.value, MAX_TAG_VAL_LENGTH)])),
      params: Object.fromEntries(input.params.map((p) => [p.key, truncate(p.value, MAX_PARAM_VAL_LENGTH)])),
      now: this.#now(),
    });
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    const model = await this.store.getLoggedModel(modelId);
    if (!model) throw new NotFoundError(`Logged model with ID '${modelId}' not found.`);
    return model;
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    await this.getLoggedModel(modelId);
    return this.store.updateLoggedModel(modelId, { status, now: this.#now() });
  }

  async setLoggedModelTags(modelId: string, tags: readonly Tag[]): Promise<LoggedModel> {
    for (const tag of tags) validateKey(tag.key, 'tag');
    await this.getLoggedModel(modelId);
    return this.store.updateLoggedModel(modelId, {
      tags: Object.fromEntries(tags.map((tag) => [tag.key, truncate(tag.value, MAX_TAG_VAL_LENGTH)])),
      now: this.#now(),
    });
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    const model = await this.getLoggedModel(modelId);
    if (model.tags[key] === undefined) {
      throw new NotFoundError(`No tag with key '${key}' found for logged model '${modelId}'.`);
    }
    await this.store.updateLoggedModel(modelId, { removeTag: key, now: this.#now() });
  }

  async logLoggedModelParams(modelId: string, params: readonly Tag[]): Promise<void> {
    for (const param of params) validateKey(param.key, 'param');
    await this.getLoggedModel(modelId);
    await this.store.updateLoggedModel(modelId, {
      params: Object.fromEntries(params.map((p) => [p.key, truncate(p.value, MAX_PARAM_VAL_LENGTH)])),
      now: this.#now(),
    });
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    await this.store.deleteLoggedModel(modelId);
  }

  async searchLoggedModels(
    experimentIds: readonly string[],
    search: {
      filter?: string;
      orderBy?: readonly LoggedModelOrder[];
      maxResults: number;
      pageToken?: string;
    },
  ): Promise<Page<LoggedModel>> {
    for (const id of experimentIds) validateExperimentId(id);
    searchLoggedModels([], search);
    return searchLoggedModels(await this.store.listLoggedModels([...new Set(experimentIds)]), search);
  }
}

export type { ViewType };
