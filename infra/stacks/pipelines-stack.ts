import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { PlatformData } from '../constructs/kit-function.ts';
import type { LakehouseAnalytics } from '../constructs/lakehouse-analytics.ts';
import { Pipeline, type PipelineProps } from '../constructs/pipeline.ts';
import { PipelineSchedule } from '../constructs/pipeline-schedule.ts';
import { SageMakerDeploymentAccess } from '../constructs/sagemaker-deployment-access.ts';
import { PIPELINES } from '../platform/pipelines.ts';

export interface PipelinesStackProps extends StackProps {
  readonly stage: string;
  readonly data: PlatformData;
  /** When the materialization pipeline runs (EventBridge Scheduler expression). @default 'rate(1 day)' */
  readonly materializationSchedule?: string;
  /**
   * Registry aliases whose moves start the deployment pipeline; empty for none (a promotion
   * target, whose deployments the promotion job starts before it moves the alias).
   * @default ['champion']
   */
  readonly deployOnAliases?: readonly string[];
  /**
   * The stage's Athena workgroup and Glue database: when given, training sets are built with Athena
   * (UNLOAD of the point-in-time SQL through the state machine's Athena integration) instead of
   * DuckDB inside the BuildTrainingSet task. @default DuckDB
   */
  readonly analytics?: LakehouseAnalytics;
}

/** Every pipeline of `infra/platform/pipelines.ts` for one stage, with its state machine ARN as an output. */
export class PipelinesStack extends Stack {
  readonly pipelines: Readonly<Record<string, Pipeline>>;

  constructor(scope: Construct, id: string, props: PipelinesStackProps) {
    super(scope, id, { description: `MLOps kit pipelines (${props.stage})`, ...props });
    const artifacts = props.data.buckets.artifacts;
    const sagemaker = artifacts
      ? new SageMakerDeploymentAccess(this, 'SageMakerDeployment', {
          stage: props.stage,
          artifacts,
          key: props.data.key,
        })
      : undefined;
    const extra: Record<string, Partial<PipelineProps>> = sagemaker
      ? {
          deployment: {
            substitutions: { SageMakerExecutionRoleArn: sagemaker.executionRole.roleArn },
            integrationPolicies: sagemaker.integrationPolicies,
          },
          training: {
            substitutions: { SageMakerExecutionRoleArn: sagemaker.executionRole.roleArn },
            integrationPolicies: sagemaker.trainingPolicies,
          },
        }
      : {};
    const pipelines: Record<string, Pipeline> = {};
    for (const [name, definition] of Object.entries(PIPELINES)) {
      const pipeline = new Pipeline(this, definition.logicalId, {
        name,
        definition,
        stage: props.stage,
        data: props.data,
        ...extra[name],
      });
      pipelines[name] = pipeline;
      new CfnOutput(this, `${definition.logicalId}Arn`, {
        value: pipeline.stateMachine.stateMachineArn,
        description: `MLOPS_PIPELINE_${name.toUpperCase().replaceAll('-', '_')}_ARN`,
      });
    }
    this.pipelines = pipelines;

    const materialization = pipelines.materialization;
    if (materialization) {
      new PipelineSchedule(this, 'MaterializationSchedule', {
        stateMachine: materialization.stateMachine,
        description: `materialization of every feature view (${props.stage})`,
        expression: props.materializationSchedule ?? 'rate(1 day)',
        input: {},
      });
    }
    const training = pipelines.training;
    if (training && props.analytics) {
      const analytics = props.analytics;
      const database = analytics.databaseName;
      const lakehouse = props.data.buckets.lakehouse;
      for (const task of ['BuildTrainingSetFunction', 'CommitTrainingSetFunction']) {
        training.tasks[task]?.function.addEnvironment('MLOPS_TRAINING_SET_ENGINE', 'athena');
        training.tasks[task]?.function.addEnvironment('MLOPS_ATHENA_WORKGROUP', analytics.workGroupName);
      }
      // The Athena integration runs the UNLOAD with the state machine's role: the workgroup's query
      // calls, the stage's Glue tables, the lakehouse (read; write under training-sets/), the results.
      const statements = [
        new iam.PolicyStatement({
          actions: [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:StopQueryExecution',
            'athena:GetWorkGroup',
          ],
          resources: [
            this.formatArn({
              service: 'athena',
              resource: 'workgroup',
              resourceName: analytics.workGroupName,
            }),
          ],
        }),
        new iam.PolicyStatement({
          actions: ['glue:GetDatabase', 'glue:GetTable'],
          resources: [
            this.formatArn({ service: 'glue', resource: 'catalog' }),
            this.formatArn({ service: 'glue', resource: 'database', resourceName: database }),
            this.formatArn({ service: 'glue', resource: 'table', resourceName: `${database}/*` }),
          ],
        }),
        new iam.PolicyStatement({
          actions: ['s3:GetBucketLocation', 's3:ListBucket'],
          resources: [analytics.resultsBucket.bucketArn, ...(lakehouse ? [lakehouse.bucketArn] : [])],
        }),
        new iam.PolicyStatement({
          actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
          resources: [analytics.resultsBucket.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.data.key.keyArn],
        }),
      ];
      if (lakehouse) {
        statements.push(
          new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [lakehouse.arnForObjects('*')] }),
          new iam.PolicyStatement({
            actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
            resources: [lakehouse.arnForObjects('training-sets/*')],
          }),
        );
      }
      for (const statement of statements) training.stateMachine.addToRolePolicy(statement);
    }
    // The pipeline steps that change the registry announce it as the registry does.
    const registryWriters = [
      ...['RegisterFunction', 'PromoteFunction', 'RollbackFunction'].map((t) => pipelines.training?.tasks[t]),
      pipelines.deployment?.tasks.RecordFunction,
    ];
    for (const task of registryWriters) {
      task?.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['events:PutEvents'],
          resources: [this.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
          conditions: { StringEquals: { 'events:source': 'mlops.registry' } },
        }),
      );
    }
    const deployment = pipelines.deployment;
    const deployOnAliases = props.deployOnAliases ?? ['champion'];
    if (deployment && sagemaker) {
      const smokeTest = deployment.tasks.SmokeTestFunction;
      smokeTest?.role.addToPolicy(sagemaker.invokePolicy);
    }
    if (deployment && sagemaker && deployOnAliases.length > 0) {
      new events.Rule(this, 'DeployOnAliasMove', {
        description: `Deploys a model version when a registry alias moves to it (${props.stage})`,
        eventPattern: {
          source: ['mlops.registry'],
          detailType: ['alias.set'],
          detail: { alias: [...deployOnAliases] },
        },
        targets: [
          new targets.SfnStateMachine(deployment.stateMachine, {
            input: events.RuleTargetInput.fromObject({
              model: events.EventField.fromPath('$.detail.model'),
              version: events.EventField.fromPath('$.detail.version'),
            }),
          }),
        ],
      });
    }
  }
}
