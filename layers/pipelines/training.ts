/**
 * The training pipeline's data steps (`state-machines/training.asl.json`). A run is one execution;
 * what a step decides travels to the next in the execution's state as a `TrainingContext`:
 *
 *   build        the feature service's point-in-time training set over the entity table (labels
 *                and event times), written as a lakehouse table with its lineage manifest; the
 *                training job's name, image and output path are fixed here
 *   split        train / validation / holdout CSV channels as SageMaker's built-in XGBoost reads
 *                them (label first, no header), by a hash of each row's keys and time
 *   train        `sagemaker:createTrainingJob.sync` (the state machine's integration; locally the
 *                kit's trainer)
 *   evaluate     holdout metrics, and the kit's model package (feature names, metrics, params)
 *
 * Names: the training job is `mlops-<stage>-<model>-<stamp>-<id>` (stamp = the execution's start,
 * id = a hash of the execution's name), so a retried step reuses its names and two runs never
 * collide. Files: `s3://<artifacts>/training/<model>/<job>/{data,output}` and the package at
 * `s3://<artifacts>/models/<model>/<job>/model.tar.gz`.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { featureColumn } from '../features/definitions.ts';
import {
  buildTrainingSet,
  type TrainingSetDeps,
  type TrainingSetManifest,
  type TrainingSetRequest,
} from '../features/training-set.ts';
import type { LakehouseContext } from '../lakehouse/index.ts';
import { loadSnapshot } from '../lakehouse/snapshot.ts';
import { InvalidParameterError } from '../runtime/errors.ts';
import { xgboostImageUri } from '../xgboost/xgboost-image.ts';
import { type Evaluation, evaluateModel } from './evaluate-model.ts';
import { type PreparedData, prepareTrainingData } from './training-data.ts';

/** What a training run is asked to do (the execution's input). */
export interface TrainingRequest {
  /** Registered model the new version belongs to (created when missing). */
  readonly model: string;
  readonly featureService: string;
  /** @default the latest version */
  readonly featureServiceVersion?: number;
  /** Lakehouse table of entity rows: join keys, an event time and the label. */
  readonly entities: string;
  readonly label: string;
  /** @default 'event_timestamp' */
  readonly timestampColumn?: string;
  /** XGBoost hyperparameters, as the training job takes them. */
  readonly hyperParameters?: Readonly<Record<string, string | number>>;
  /** Tracking experiment of the run. @default `training/<model>` */
  readonly experiment?: string;
  /** The alias the new version is compared with. @default 'champion' */
  readonly compareWith?: string;
  /** The alias a better version gets. @default 'challenger' */
  readonly promoteTo?: string;
  /** SageMaker instance type of the training job. @default 'ml.m5.large' */
  readonly instanceType?: string;
  /** @default 3600 */
  readonly maxRuntimeSeconds?: number;
}

export const DEFAULT_HYPERPARAMETERS: Readonly<Record<string, string>> = {
  objective: 'binary:logistic',
  num_round: '100',
  max_depth: '4',
  eta: '0.2',
  eval_metric: 'auc',
};

/** What the run has decided so far; every step reads it and adds to it. */
export interface TrainingContext {
  readonly executionId: string;
  readonly model: string;
  readonly experiment: string;
  readonly compareWith: string;
  readonly promoteTo: string;
  readonly label: string;
  readonly jobName: string;
  readonly trainingImage: string;
  readonly instanceType: string;
  readonly maxRuntimeSeconds: number;
  readonly hyperParameters: Readonly<Record<string, string>>;
  /** `s3://<artifacts>/training/<model>/` (the job writes under `<jobName>/output/`). */
  readonly outputPath: string;
  readonly dataPrefix: string;
  readonly packageUri: string;
  readonly trainingSet: { readonly table: string; readonly version: number; readonly rows: number };
  readonly featureColumns: readonly string[];
  readonly idColumns: readonly string[];
  readonly lineageTags: Readonly<Record<string, string>>;
}

export interface TrainingDeps {
  readonly features: Pick<TrainingSetDeps, 'registry' | 'openTable'>;
  readonly lake: LakehouseContext;
  readonly s3: S3Client;
  readonly artifactsBucket: string;
  readonly lakehouseBucket: string;
  readonly stage: string;
  readonly region: string;
}

const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** The training job's name: unique per execution, at most 63 characters. */
export function trainingJobName(
  stage: string,
  model: string,
  executionId: string,
  startedAt: string,
): string {
  const stamp = startedAt.replace(/[-:TZ.]/g, '').slice(0, 14);
  const unique = createHash('sha256').update(executionId).digest('hex').slice(0, 6);
  const suffix = `-${stamp}-${unique}`;
  const base = `mlops-${stage}-${model.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`.replace(/-+$/, '');
  return `${base.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/** A run's names and settings, fixed before the training set exists. */
export type PlannedRun = Omit<
  TrainingContext,
  'trainingSet' | 'featureColumns' | 'idColumns' | 'lineageTags'
> & {
  /** What the training-set step builds (DuckDB in process, or Athena). */
  readonly trainingSetRequest: TrainingSetRequest;
};

/** Step 1a: names, settings and checks; nothing is written. */
export async function planTrainingRun(
  deps: Pick<TrainingDeps, 'features' | 'artifactsBucket' | 'lakehouseBucket' | 'stage' | 'region'>,
  request: TrainingRequest & { readonly executionId: string; readonly startedAt: string },
): Promise<PlannedRun> {
  const image = xgboostImageUri(deps.region);
  if (!image)
    throw new InvalidParameterError(`no built-in XGBoost image is published for region ${deps.region}`);
  const jobName = trainingJobName(deps.stage, request.model, request.executionId, request.startedAt);
  if (!NAME.test(jobName))
    throw new InvalidParameterError(`model name ${request.model} gives no valid job name`);
  const hyperParameters = {
    ...DEFAULT_HYPERPARAMETERS,
    ...Object.fromEntries(Object.entries(request.hyperParameters ?? {}).map(([k, v]) => [k, String(v)])),
  };
  const modelPath = encodeURIComponent(request.model);
  // Checked before anything is written: the entity table carries the label.
  const entityColumns = (await loadSnapshot(deps.features.openTable(request.entities))).schema.fields.map(
    (field) => field.name,
  );
  if (!entityColumns.includes(request.label)) {
    throw new InvalidParameterError(
      `the entity table ${request.entities} has no label column "${request.label}" (columns: ${entityColumns.join(', ')})`,
    );
  }
  const root = `s3://${deps.artifactsBucket}/training/${modelPath}/`;
  return {
    executionId: request.executionId,
    model: request.model,
    experiment: request.experiment ?? `training/${request.model}`,
    compareWith: request.compareWith ?? 'champion',
    promoteTo: request.promoteTo ?? 'challenger',
    label: request.label,
    jobName,
    trainingImage: image,
    instanceType: request.instanceType ?? 'ml.m5.large',
    maxRuntimeSeconds: request.maxRuntimeSeconds ?? 3600,
    hyperParameters,
    outputPath: root,
    dataPrefix: `${root}${jobName}/data/`,
    packageUri: `s3://${deps.artifactsBucket}/models/${modelPath}/${jobName}/model.tar.gz`,
    trainingSetRequest: {
      service: request.featureService,
      ...(request.featureServiceVersion === undefined
        ? {}
        : { serviceVersion: request.featureServiceVersion }),
      entities: { kind: 'table', uri: request.entities },
      out: `s3://${deps.lakehouseBucket}/training-sets/${modelPath}`,
      ...(request.timestampColumn === undefined ? {} : { timestampColumn: request.timestampColumn }),
    },
  };
}

/** Step 1c: the run's context once its training set is written (from the set's manifest). */
export async function completeContext(
  deps: Pick<TrainingDeps, 'features'>,
  run: PlannedRun,
  manifest: TrainingSetManifest,
): Promise<TrainingContext> {
  const service = await deps.features.registry.get(
    'featureService',
    manifest.featureService.name,
    manifest.featureService.version,
  );
  const featureColumns = service.spec.resolved.map((f) => featureColumn(f.view, f.feature));
  const { trainingSetRequest, ...planned } = run;
  return {
    ...planned,
    trainingSet: { table: trainingSetRequest.out, version: manifest.output.version, rows: manifest.rows },
    featureColumns,
    idColumns: manifest.columns.filter((c) => c !== run.label && !featureColumns.includes(c)),
    lineageTags: manifest.lineageTags,
  };
}

/** Step 1 in process: plan, build the training set with DuckDB, complete the context. */
export async function buildTrainingSetStep(
  deps: TrainingDeps,
  request: TrainingRequest & { readonly executionId: string; readonly startedAt: string },
): Promise<TrainingContext> {
  const run = await planTrainingRun(deps, request);
  const manifest = await buildTrainingSet(deps.features, run.trainingSetRequest);
  return completeContext(deps, run, manifest);
}

/** Step 2: the CSV channels of the training set's version. */
export function splitStep(
  deps: Pick<TrainingDeps, 's3' | 'lake'>,
  context: TrainingContext,
): Promise<PreparedData> {
  return prepareTrainingData(deps, {
    table: context.trainingSet.table,
    version: context.trainingSet.version,
    label: context.label,
    idColumns: context.idColumns,
    outputPrefix: context.dataPrefix,
  });
}

/** Step 4: holdout metrics of the trained model, and its package in the kit's format. */
export function evaluateStep(
  deps: Pick<TrainingDeps, 's3'>,
  input: { readonly context: TrainingContext; readonly data: PreparedData; readonly modelArtifacts: string },
): Promise<Evaluation> {
  return evaluateModel(deps.s3, {
    modelArtifacts: input.modelArtifacts,
    holdout: input.data.holdout,
    featureNames: input.data.featureNames,
    hyperParameters: input.context.hyperParameters,
    packageUri: input.context.packageUri,
  });
}
