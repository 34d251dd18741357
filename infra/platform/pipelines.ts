/**
 * The kit's pipelines, declared once: the state-machine file, the Lambda task functions it invokes
 * (by the `${Placeholder}` it names them with) and the other placeholders it needs. The CDK
 * pipeline construct deploys exactly this with `definitionSubstitutions`; the local runner fills the
 * same placeholders with local values and runs the file with aws-local-stepfunctions.
 */
import type { Access } from './api.ts';
import type { BucketId } from './buckets.ts';
import type { TableId } from './tables.ts';

export interface TaskFunctionDefinition {
  /** Module exporting `createHandler(env)` (local) and `handler` (Lambda); relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  /** @default 1024 */
  readonly memoryMb?: number;
  /** @default 300 */
  readonly timeoutSeconds?: number;
  readonly tables: Readonly<Partial<Record<TableId, Access>>>;
  readonly buckets: Readonly<Partial<Record<BucketId, Access>>>;
  /**
   * Packages with native binaries that cannot be bundled; installed beside the bundle instead (the
   * function then runs on the architecture of the machine that bundles it). @default none
   */
  readonly nativeModules?: readonly string[];
  /** Registers lakehouse tables in the stage's Glue database (for Athena). @default false */
  readonly registersTables?: boolean;
}

/** A placeholder whose value is a resource name both worlds know. */
export type ResourcePlaceholder =
  | { readonly kind: 'table'; readonly table: TableId }
  | { readonly kind: 'bucket'; readonly bucket: BucketId }
  | { readonly kind: 'stage' }
  /** A value the stack passes in `substitutions` (e.g. a role ARN); `local` is its value locally. */
  | { readonly kind: 'value'; readonly description: string; readonly local: string };

export interface PipelineDefinition {
  /** Stable CloudFormation logical ID of the state machine. */
  readonly logicalId: string;
  /** ASL file, relative to the repository root (JSONPath only). */
  readonly file: string;
  readonly description: string;
  /** Lambda tasks, keyed by the placeholder whose value is the function's ARN. */
  readonly tasks: Readonly<Record<string, TaskFunctionDefinition>>;
  /** Other placeholders. */
  readonly resources: Readonly<Record<string, ResourcePlaceholder>>;
}

export type { Access };

const STATE_MACHINE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * The physical name of a pipeline's state machine in a stage: `mlops-<stage>-<pipeline>`. The one
 * definition of it: the Pipeline construct names the state machine with it, the promotion role's
 * policy allows starting exactly that name, and the promotion job and the local Step Functions
 * stand-in find the state machine by it.
 */
export function pipelineStateMachineName(stage: string, pipeline: string): string {
  const name = `mlops-${stage}-${pipeline}`;
  if (!STATE_MACHINE_NAME.test(name)) {
    throw new Error(
      `state machine name ${name} must be 1-80 letters, digits, "-" or "_" (stage "${stage}", pipeline "${pipeline}")`,
    );
  }
  return name;
}

/** Where a pipeline's state machine is: its ARN in one account and region. */
export function pipelineStateMachineArn(options: {
  readonly stage: string;
  readonly pipeline: string;
  readonly account: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
}): string {
  const name = pipelineStateMachineName(options.stage, options.pipeline);
  return `arn:${options.partition ?? 'aws'}:states:${options.region}:${options.account}:stateMachine:${name}`;
}

/** The pipeline a state machine name belongs to in a stage, or undefined when it is none of the kit's. */
export function pipelineOfStateMachine(stage: string, stateMachineName: string): string | undefined {
  return Object.keys(PIPELINES).find((name) => pipelineStateMachineName(stage, name) === stateMachineName);
}

/** Every pipeline of the kit, by name (`mlops pipeline run <name>`). */
export const PIPELINES: Readonly<Record<string, PipelineDefinition>> = {
  monitoring: {
    logicalId: 'MonitoringPipeline',
    file: 'state-machines/monitoring.asl.json',
    description:
      "Model monitoring: drift, quality, alarms and a report for one window of a model's predictions",
    tasks: {
      MonitorFunction: {
        entry: 'functions/monitoring/handler.ts',
        description: 'One monitoring run: profile, compare, write metrics, report, announce',
        memoryMb: 2048,
        timeoutSeconds: 900,
        // platform: the inference buffer's batch claims and the table catalog; tracking: the run.
        tables: { deltaLog: 'readwrite', platform: 'readwrite', tracking: 'readwrite' },
        buckets: { lakehouse: 'readwrite', artifacts: 'readwrite' },
      },
    },
    resources: {},
  },
  'batch-inference': {
    logicalId: 'BatchInferencePipeline',
    file: 'state-machines/batch-inference.asl.json',
    description: 'Score a lakehouse table with a registered model version into a predictions Delta table',
    tasks: {
      PlanFunction: {
        entry: 'functions/batch-inference/plan.ts',
        description: 'Batch inference: resolve the model, pin the input version, plan chunks',
        tables: { registry: 'read', deltaLog: 'readwrite' },
        buckets: { lakehouse: 'read', artifacts: 'read' },
      },
      ScoreChunkFunction: {
        entry: 'functions/batch-inference/score-chunk.ts',
        description: 'Batch inference: score one chunk and stage its predictions',
        memoryMb: 2048,
        tables: { registry: 'read', deltaLog: 'readwrite' },
        buckets: { lakehouse: 'read', artifacts: 'readwrite' },
      },
      CommitFunction: {
        entry: 'functions/batch-inference/commit.ts',
        description: 'Batch inference: commit the staged predictions in one commit and register the table',
        memoryMb: 2048,
        tables: { registry: 'read', deltaLog: 'readwrite', platform: 'readwrite' },
        registersTables: true,
        buckets: { lakehouse: 'readwrite', artifacts: 'readwrite' },
      },
      DiscardFunction: {
        entry: 'functions/batch-inference/discard.ts',
        description: 'Batch inference: discard what a failed run staged',
        tables: { registry: 'read', deltaLog: 'readwrite' },
        buckets: { lakehouse: 'read', artifacts: 'readwrite' },
      },
    },
    resources: {},
  },
  materialization: {
    logicalId: 'MaterializationPipeline',
    file: 'state-machines/materialization.asl.json',
    description: 'Materialize feature views incrementally into the online store',
    tasks: {
      PlanFunction: {
        entry: 'functions/materialization/plan.ts',
        description: 'Materialization: the feature view versions a run covers',
        tables: { featureRegistry: 'read' },
        buckets: {},
      },
      MaterializeViewFunction: {
        entry: 'functions/materialization/materialize-view.ts',
        description: 'Materialization: one feature view, incrementally, into the online store',
        memoryMb: 2048,
        timeoutSeconds: 900,
        tables: { featureRegistry: 'readwrite', onlineStore: 'readwrite', deltaLog: 'read' },
        buckets: { lakehouse: 'read' },
      },
    },
    resources: {},
  },
  training: {
    logicalId: 'TrainingPipeline',
    file: 'state-machines/training.asl.json',
    description:
      'Train a model version from a feature service: training set, training job, evaluation, run, version, comparison',
    tasks: {
      BuildTrainingSetFunction: {
        entry: 'functions/training/build-training-set.ts',
        description:
          'Training: the point-in-time training set of a feature service (DuckDB), or its Athena statement',
        memoryMb: 3008,
        timeoutSeconds: 900,
        tables: { featureRegistry: 'read', deltaLog: 'readwrite', platform: 'read' },
        buckets: { lakehouse: 'readwrite' },
        nativeModules: ['@duckdb/node-api'],
      },
      CommitTrainingSetFunction: {
        entry: 'functions/training/commit-training-set.ts',
        description: "Training: Athena's staged training set committed as the Delta table",
        memoryMb: 1024,
        timeoutSeconds: 300,
        tables: { featureRegistry: 'read', deltaLog: 'readwrite', platform: 'read' },
        buckets: { lakehouse: 'readwrite' },
      },
      SplitTrainingDataFunction: {
        entry: 'functions/training/split-training-data.ts',
        description: 'Training: train, validation and holdout CSV channels',
        memoryMb: 2048,
        timeoutSeconds: 900,
        tables: { deltaLog: 'read' },
        buckets: { lakehouse: 'read', artifacts: 'readwrite' },
      },
      EvaluateFunction: {
        entry: 'functions/training/evaluate.ts',
        description: 'Training: holdout metrics and the model package',
        memoryMb: 2048,
        tables: {},
        buckets: { artifacts: 'readwrite' },
      },
      LogRunFunction: {
        entry: 'functions/training/log-run.ts',
        description: 'Training: the tracking run with params, metrics, inputs and the model',
        tables: { tracking: 'readwrite', registry: 'read' },
        buckets: { artifacts: 'readwrite', lakehouse: 'read' },
      },
      RegisterFunction: {
        entry: 'functions/training/register.ts',
        description: 'Training: the registered model version with lineage and metrics',
        tables: { registry: 'readwrite', tracking: 'read', deltaLog: 'readwrite' },
        buckets: { artifacts: 'readwrite', lakehouse: 'readwrite' },
      },
      CompareFunction: {
        entry: 'functions/training/compare.ts',
        description: 'Training: the new version against the alias holder under the approval rule',
        tables: { registry: 'read', tracking: 'read', deltaLog: 'read' },
        buckets: { artifacts: 'read', lakehouse: 'read' },
      },
      PromoteFunction: {
        entry: 'functions/training/promote.ts',
        description: 'Training: the promotion alias onto the new version',
        tables: { registry: 'readwrite', tracking: 'read', deltaLog: 'readwrite' },
        buckets: { artifacts: 'read', lakehouse: 'readwrite' },
      },
      RollbackFunction: {
        entry: 'functions/training/rollback.ts',
        description: 'Training: undo what a failed run recorded',
        tables: { registry: 'readwrite', tracking: 'readwrite', deltaLog: 'readwrite' },
        buckets: { artifacts: 'read', lakehouse: 'readwrite' },
      },
    },
    resources: {
      SageMakerExecutionRoleArn: {
        kind: 'value',
        description: 'the role SageMaker training jobs assume to read channels and write the model',
        local: 'arn:aws:iam::000000000000:role/mlops-local-sagemaker-execution',
      },
    },
  },
  deployment: {
    logicalId: 'DeploymentPipeline',
    file: 'state-machines/deployment.asl.json',
    description: 'Deploy a registered model version to its SageMaker endpoint, smoke-test it, record it',
    tasks: {
      PrepareFunction: {
        entry: 'functions/deployment/prepare.ts',
        description: 'Deployment: resolve the version, check its package, read the smoke-test rows',
        tables: { registry: 'read', deltaLog: 'read' },
        buckets: { lakehouse: 'read', artifacts: 'read' },
      },
      SmokeTestFunction: {
        entry: 'functions/deployment/smoke-test.ts',
        description: 'Deployment: send real rows to the endpoint and check the predictions',
        tables: {},
        buckets: {},
      },
      RecordFunction: {
        entry: 'functions/deployment/record.ts',
        description: 'Deployment: record the deployment and tag the version with its endpoint',
        tables: { platform: 'readwrite', registry: 'readwrite', tracking: 'read', deltaLog: 'readwrite' },
        buckets: { artifacts: 'read', lakehouse: 'readwrite' },
      },
    },
    resources: {
      SageMakerExecutionRoleArn: {
        kind: 'value',
        description: 'the role SageMaker assumes to read model packages',
        local: 'arn:aws:iam::000000000000:role/mlops-local-sagemaker-execution',
      },
    },
  },
};
