import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SageMakerDeploymentAccessProps {
  readonly stage: string;
  /** Where model packages are. */
  readonly artifacts: IBucket;
  /** The key the artifacts are encrypted with. */
  readonly key: IKey;
}

/**
 * What deploying models to SageMaker needs, limited to the stage's name prefix
 * (`mlops-<stage>-`): the execution role SageMaker assumes to read model packages, the statements
 * the deployment state machine's integrations need, and the statement for invoking endpoints.
 */
export class SageMakerDeploymentAccess extends Construct {
  /** Assumed by SageMaker; reads model packages from the artifacts bucket. */
  readonly executionRole: iam.Role;
  /** For the deployment state machine's SageMaker integrations. */
  readonly integrationPolicies: readonly iam.PolicyStatement[];
  /** For whatever smoke-tests an endpoint. */
  readonly invokePolicy: iam.PolicyStatement;
  /** For the training state machine's `createTrainingJob.sync` integration. */
  readonly trainingPolicies: readonly iam.PolicyStatement[];

  constructor(scope: Construct, id: string, props: SageMakerDeploymentAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = `mlops-${props.stage}-`;
    const arn = (resource: string) =>
      stack.formatArn({ service: 'sagemaker', resource, resourceName: `${prefix}*` });
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      description: `SageMaker execution role of the kit's ${props.stage} endpoints`,
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.artifacts.arnForObjects('*')],
      }),
    );
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.key.keyArn] }),
    );
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `/aws/sagemaker/Endpoints/${prefix}*:log-stream:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    this.integrationPolicies = [
      new iam.PolicyStatement({
        actions: ['sagemaker:CreateModel', 'sagemaker:DeleteModel'],
        resources: [arn('model')],
      }),
      new iam.PolicyStatement({
        actions: ['sagemaker:CreateEndpointConfig', 'sagemaker:DeleteEndpointConfig'],
        resources: [arn('endpoint-config')],
      }),
      new iam.PolicyStatement({
        actions: [
          'sagemaker:CreateEndpoint',
          'sagemaker:UpdateEndpoint',
          'sagemaker:DescribeEndpoint',
          'sagemaker:DeleteEndpoint',
        ],
        resources: [arn('endpoint'), arn('endpoint-config')],
      }),
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.executionRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    ];
    // Training jobs read their channels and write the model under `training/` of the artifacts bucket.
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.artifacts.bucketArn] }),
    );
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [props.artifacts.arnForObjects('training/*')],
      }),
    );
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [props.key.keyArn] }),
    );
    const trainingLogs = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws/sagemaker/TrainingJobs',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogGroup'], resources: [trainingLogs] }),
    );
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${trainingLogs}:log-stream:*`],
      }),
    );
    this.trainingPolicies = [
      new iam.PolicyStatement({
        actions: [
          'sagemaker:CreateTrainingJob',
          'sagemaker:DescribeTrainingJob',
          'sagemaker:StopTrainingJob',
          'sagemaker:AddTags',
        ],
        resources: [arn('training-job')],
      }),
      // How Step Functions follows a `.sync` training job.
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForSageMakerTrainingJobsRule',
          }),
        ],
      }),
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.executionRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    ];
    this.invokePolicy = new iam.PolicyStatement({
      actions: ['sagemaker:InvokeEndpoint'],
      resources: [arn('endpoint')],
    });
  }
}
