/**
 * The tracking store port: what the tracking core needs from storage, and what every
 * implementation must guarantee.
 *
 * - Reads are read-your-writes: a `get*`/`list*` after a completed write sees it (the DynamoDB
 *   implementation reads the base table with `ConsistentRead`).
 * - `createExperiment` is atomic on the name: two creates of one name never both succeed; names
 *   stay taken by deleted experiments (AlreadyExistsError).
 * - `logBatch` never loses a point under concurrent writers to one run: every point is appended to
 *   the history, and the latest value per key only ever moves forward in (step, timestamp, value)
 *   order. A param already logged with another value fails with InvalidParameterError and writes no
 *   params; re-delivering an identical batch is harmless (points are de-duplicated on read).
 * - Nothing is written when a call throws before its first write (callers validate first).
 */
import type {
  DatasetInput,
  Experiment,
  LifecycleStage,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  Run,
  RunInfo,
  RunStatus,
} from './model.ts';

export interface NewExperiment {
  readonly name: string;
  /** Undefined: the store assigns `mlflow-artifacts:/<id>`. */
  readonly artifactLocation?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly now: number;
}

export interface RunUpdate {
  readonly status?: RunStatus;
  readonly endTime?: number;
  readonly runName?: string;
}

export interface Batch {
  readonly metrics: readonly Metric[];
  readonly params: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
}

/** The parts of runs a search reads. */
export interface RunFields {
  readonly metrics: readonly string[];
  readonly params: readonly string[];
  readonly tags: readonly string[];
  readonly datasets: boolean;
}

export interface RunListing {
  readonly runs: Run[];
  /** Whether the runs carry all their data (a search may answer with them as they are). */
  readonly complete: boolean;
}

export interface NewLoggedModel {
  readonly experimentId: string;
  readonly name: string;
  readonly modelType: string;
  readonly sourceRunId?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
  readonly now: number;
}

export interface TrackingStore {
  createExperiment(input: NewExperiment): Promise<Experiment>;
  /** Also answers deleted experiments. Experiment `0` ("Default") always exists. */
  getExperiment(experimentId: string): Promise<Experiment | undefined>;
  /** Prefers an active experiment of that name over a deleted one. */
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  listExperiments(): Promise<Experiment[]>;
  renameExperiment(experimentId: string, newName: string, now: number): Promise<void>;
  /** Soft delete / restore; cascades to the experiment's runs. */
  setExperimentLifecycle(experimentId: string, stage: LifecycleStage, now: number): Promise<void>;
  setExperimentTag(experimentId: string, key: string, value: string | undefined, now: number): Promise<void>;

  createRun(info: RunInfo, tags: Readonly<Record<string, string>>): Promise<void>;
  getRun(runId: string): Promise<Run | undefined>;
  /**
   * Every run (active and deleted) of the experiments, reflecting every write that completed before
   * the call. With `fields`, the runs may carry only their info and the named metrics, params and
   * tags (and dataset inputs when asked), which is all a search needs to filter and order; then
   * `complete` is false and `getRuns` reads the page in full.
   */
  listRuns(experimentIds: readonly string[], fields?: RunFields): Promise<RunListing>;
  /** The runs, in the order given (runs that vanished are left out). Strongly consistent. */
  getRuns(runs: readonly { readonly runId: string; readonly experimentId: string }[]): Promise<Run[]>;
  updateRun(runId: string, update: RunUpdate): Promise<RunInfo>;
  setRunLifecycle(runId: string, stage: LifecycleStage): Promise<void>;
  logBatch(runId: string, batch: Batch): Promise<void>;
  /** Returns false when the tag was not set. */
  deleteRunTag(runId: string, key: string): Promise<boolean>;
  /** Every point of one metric, sorted by step, then timestamp, then value; duplicates removed. */
  getMetricHistory(runId: string, key: string): Promise<Metric[]>;
  logInputs(runId: string, datasets: readonly DatasetInput[], modelIds: readonly string[]): Promise<void>;
  logOutputs(runId: string, outputs: readonly { modelId: string; step: number }[]): Promise<void>;

  createLoggedModel(input: NewLoggedModel): Promise<LoggedModel>;
  getLoggedModel(modelId: string): Promise<LoggedModel | undefined>;
  listLoggedModels(experimentIds: readonly string[]): Promise<LoggedModel[]>;
  updateLoggedModel(
    modelId: string,
    update: {
      readonly status?: LoggedModelStatus;
      readonly tags?: Readonly<Record<string, string>>;
      readonly removeTag?: string;
      readonly params?: Readonly<Record<string, string>>;
      readonly now: number;
    },
  ): Promise<LoggedModel>;
  deleteLoggedModel(modelId: string): Promise<void>;
}
