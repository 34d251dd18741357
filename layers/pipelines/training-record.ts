/**
 * The training pipeline's record-keeping steps: the tracking run, the registered version, the
 * comparison with the current holder of an alias and the alias move, and the rollback a failed run
 * ends with. Each step is idempotent, so Step Functions may retry it:
 *
 *   log run      the run's id is derived from the execution's name; a retry finds the run it made
 *   register     a version of the model made from that run is reused, never made twice
 *   compare      reads only; the decision is the model's approval rule for the compared alias (tag
 *                `mlops.approval.rule[.<alias>]`) or, without one, "better on the objective's
 *                primary metric than the holder"
 *   promote      sets the promotion alias (`challenger` by default); the compared alias itself is
 *                left to people and their approval rules
 *   rollback     deletes the version this execution registered and marks its run FAILED; an alias
 *                this execution did not move is never touched
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  checkRule,
  evaluationMetrics,
  METRIC_TAG_PREFIX,
  parseRule,
  ruleFor,
} from '../../functions/registry/approval-rules.ts';
import type { ModelService } from '../../functions/registry/model-service.ts';
import type { RegistryStore } from '../../functions/registry/registry-store.ts';
import type { VersionService } from '../../functions/registry/version-service.ts';
import { artifactKeyOf } from '../../functions/tracking/artifact-repository.ts';
import { TrackingCore } from '../../functions/tracking/tracking-core.ts';
import type { Principal } from '../runtime/http/request.ts';
import type { Evaluation } from './evaluate-model.ts';
import type { TrainingContext } from './training.ts';
import type { PreparedData } from './training-data.ts';

/** Who the registry records as having made the pipeline's changes. */
export const TRAINING_PRINCIPAL: Principal = { id: 'pipeline:training', scopes: ['write'] };
/** The tag that ties a run and a version to the execution that made them. */
export const EXECUTION_TAG = 'mlops.pipeline.execution';

export interface RecordDeps {
  readonly tracking: TrackingCore;
  readonly models: ModelService;
  readonly versions: VersionService;
  readonly store: RegistryStore;
  readonly s3: S3Client;
  readonly artifactsBucket: string;
}

/** The MLflow run id of an execution: 32 hex characters derived from its name. */
export function runIdOf(executionId: string): string {
  return createHash('sha256').update(`training-run:${executionId}`).digest('hex').slice(0, 32);
}

export interface LoggedRun {
  readonly runId: string;
  readonly experimentId: string;
  readonly artifactUri: string;
}

/** Step 5: the tracking run — params, holdout metrics, tags, input datasets and the model package. */
export async function logTrainingRun(
  deps: Pick<RecordDeps, 'tracking' | 's3' | 'artifactsBucket'>,
  input: {
    readonly context: TrainingContext;
    readonly data: PreparedData;
    readonly evaluation: Evaluation;
    readonly package: Uint8Array;
  },
): Promise<LoggedRun> {
  const { context, data, evaluation } = input;
  const runId = runIdOf(context.executionId);
  const existing = await deps.tracking.store.getRun(runId);
  let run = existing;
  if (!run) {
    const experimentId = await experimentIdOf(deps.tracking, context.experiment);
    const tracking = new TrackingCore({ store: deps.tracking.store, newRunId: () => runId });
    const created = await tracking.createRun({
      experimentId,
      userId: TRAINING_PRINCIPAL.id,
      runName: context.jobName,
      tags: [
        { key: EXECUTION_TAG, value: context.executionId },
        { key: 'mlflow.source.type', value: 'JOB' },
        { key: 'mlflow.source.name', value: 'training pipeline' },
        { key: 'mlops.training_job', value: context.jobName },
        ...Object.entries(context.lineageTags).map(([key, value]) => ({ key, value })),
      ],
    });
    run = created;
  }
  const now = Date.now();
  await deps.tracking.logBatch({
    runId,
    params: [
      ...Object.entries(context.hyperParameters).map(([key, value]) => ({ key, value })),
      { key: 'label', value: context.label },
      { key: 'features', value: data.featureNames.join(',') },
      { key: 'rows.train', value: String(data.rows.train) },
      { key: 'rows.validation', value: String(data.rows.validation) },
      { key: 'rows.holdout', value: String(data.rows.holdout) },
    ].filter((param) => !(existing?.params && param.key in existing.params)),
    metrics: existing
      ? []
      : Object.entries(evaluation.metrics).map(([key, value]) => ({
          key: `holdout_${key}`,
          value,
          timestamp: now,
          step: 0,
        })),
    tags: [],
  });
  await deps.tracking.logInputs(
    runId,
    [
      {
        dataset: {
          name: 'training_set',
          digest: createHash('sha256')
            .update(`${context.trainingSet.table}@${context.trainingSet.version}`)
            .digest('hex')
            .slice(0, 8),
          source_type: 'delta_table',
          source: JSON.stringify({ path: context.trainingSet.table, version: context.trainingSet.version }),
        },
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
      },
    ],
    [],
  );
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.artifactsBucket,
      Key: artifactKeyOf(`${run.info.artifactUri}/model/model.tar.gz`),
      Body: input.package,
    }),
  );
  await deps.tracking.updateRun(runId, { status: 'FINISHED', endTime: Date.now() });
  return { runId, experimentId: run.info.experimentId, artifactUri: run.info.artifactUri };
}

async function experimentIdOf(tracking: TrackingCore, name: string): Promise<string> {
  try {
    return (await tracking.getExperimentByName(name)).experimentId;
  } catch (error) {
    if ((error as Error).name !== 'NotFoundError') throw error;
    try {
      return await tracking.createExperiment({ name, tags: [] });
    } catch (raced) {
      // Another run created it first.
      if ((raced as Error).name !== 'AlreadyExistsError') throw raced;
      return (await tracking.getExperimentByName(name)).experimentId;
    }
  }
}

/** Step 6: the model version, with its lineage and its metrics as `mlops.metric.*` tags. */
export async function registerTrainedVersion(
  deps: Pick<RecordDeps, 'models' | 'versions' | 'store'>,
  input: {
    readonly context: TrainingContext;
    readonly evaluation: Evaluation;
    readonly run: LoggedRun;
    /** The model's features in its input order (the serving order). */
    readonly featureNames: readonly string[];
  },
): Promise<{ readonly version: number }> {
  const { context, evaluation, run } = input;
  if (!(await deps.store.getModel(context.model))) {
    try {
      await deps.models.create(TRAINING_PRINCIPAL, {
        name: context.model,
        tags: {},
        description: `trained by the training pipeline from feature service ${context.lineageTags['mlops.lineage.feature_service'] ?? ''}`,
      });
    } catch (error) {
      if ((error as Error).name !== 'AlreadyExistsError') throw error;
    }
  }
  const made = (await deps.store.listVersionsByRun(run.runId)).find((v) => v.name === context.model);
  if (made) return { version: made.version };
  const version = await deps.versions.create(TRAINING_PRINCIPAL, {
    name: context.model,
    source: context.packageUri,
    runId: run.runId,
    description: `training job ${context.jobName}`,
    tags: {
      ...context.lineageTags,
      'mlops.features.columns': input.featureNames.join(','),
      [EXECUTION_TAG]: context.executionId,
      'mlops.training_job': context.jobName,
      'mlops.objective': evaluation.objective,
      ...Object.fromEntries(
        Object.entries(evaluation.metrics).map(([name, value]) => [
          `${METRIC_TAG_PREFIX}${name}`,
          String(value),
        ]),
      ),
    },
  });
  return { version: version.version };
}

export interface Decision {
  readonly decision: 'promote' | 'keep';
  readonly reason: string;
  readonly rule: string;
  readonly version: number;
  /** The version the compared alias pointed at, if any. */
  readonly holder?: number;
}

/** The rule used when the model has none: better than the holder on the objective's primary metric. */
export function defaultRule(objective: string): string {
  if (objective.startsWith('binary:') || objective === 'reg:logistic') return 'metrics.auc > holder';
  if (objective.startsWith('multi:')) return 'metrics.mlogloss < holder';
  return 'metrics.rmse < holder';
}

/** Step 7: compare the new version with the compared alias's holder. Reads only. */
export async function compareWithHolder(
  deps: Pick<RecordDeps, 'store'>,
  input: { readonly context: TrainingContext; readonly evaluation: Evaluation; readonly version: number },
): Promise<Decision> {
  const { context, version } = input;
  const model = await deps.store.getModel(context.model);
  if (!model) throw new Error(`model ${context.model} vanished during the run`);
  const rule = ruleFor(model.tags, context.compareWith) ?? parseRule(defaultRule(input.evaluation.objective));
  const holderVersion = model.aliases[context.compareWith];
  const holder =
    holderVersion === undefined ? undefined : await deps.store.getVersion(context.model, holderVersion);
  const failure = checkRule(
    rule,
    input.evaluation.metrics,
    holder ? evaluationMetrics(holder.tags) : undefined,
  );
  const against =
    holderVersion === undefined
      ? `no version holds '${context.compareWith}'`
      : `'${context.compareWith}' is version ${holderVersion}`;
  return {
    decision: failure === undefined ? 'promote' : 'keep',
    reason:
      failure === undefined
        ? `version ${version} passes '${rule.text}' (${against})`
        : `version ${version} fails '${rule.text}' (${against}): ${failure}`,
    rule: rule.text,
    version,
    ...(holderVersion === undefined ? {} : { holder: holderVersion }),
  };
}

/** Step 8: point the promotion alias at the new version. */
export async function promoteVersion(
  deps: Pick<RecordDeps, 'models'>,
  input: { readonly context: TrainingContext; readonly version: number },
): Promise<{ readonly alias: string; readonly version: number }> {
  await deps.models.setAlias(
    TRAINING_PRINCIPAL,
    input.context.model,
    input.context.promoteTo,
    String(input.version),
  );
  return { alias: input.context.promoteTo, version: input.version };
}

/** On failure: undo what this execution recorded. Safe to run when nothing was recorded. */
export async function rollbackTraining(
  deps: Pick<RecordDeps, 'tracking' | 'versions' | 'store'>,
  input: { readonly executionId: string; readonly model: string },
): Promise<{ readonly deletedVersions: readonly number[]; readonly failedRun?: string }> {
  const runId = runIdOf(input.executionId);
  const deleted: number[] = [];
  for (const version of await deps.store.listVersionsByRun(runId)) {
    if (version.name !== input.model || version.tags[EXECUTION_TAG] !== input.executionId) continue;
    // Deleting the version removes the aliases pointing at it; a protected one makes it refuse.
    await deps.versions.delete(TRAINING_PRINCIPAL, input.model, String(version.version));
    deleted.push(version.version);
  }
  const run = await deps.tracking.store.getRun(runId);
  if (run && run.info.status !== 'FAILED') {
    await deps.tracking.updateRun(runId, { status: 'FAILED', endTime: Date.now() });
  }
  return { deletedVersions: deleted, ...(run ? { failedRun: runId } : {}) };
}
