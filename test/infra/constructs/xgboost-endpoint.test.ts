import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { XgboostEndpoint } from '../../../infra/constructs/xgboost-endpoint.ts';
import { KitAwsSolutionsChecks } from '../../../infra/nag.ts';

function build(props: Partial<ConstructorParameters<typeof XgboostEndpoint>[2]> = {}, instance = false) {
  const region = 'eu-west-1';
  const app = new App();
  Validations.of(app).addPlugins(new KitAwsSolutionsChecks(app));
  const stack = new Stack(app, 'Serving', { env: { account: '111111111111', region } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const bucket = s3.Bucket.fromBucketAttributes(stack, 'Artifacts', {
    bucketName: 'artifacts-bucket',
    encryptionKey: key,
  });
  const endpoint = new XgboostEndpoint(stack, 'Churn', {
    modelBucket: bucket,
    modelKey: 'models/churn/3/model.tar.gz',
    ...(instance ? { instanceType: 'ml.m5.large', instanceCount: 2, volumeKey: key } : {}),
    ...props,
  });
  const caller = new iam.Role(stack, 'Caller', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  endpoint.grantInvoke(caller);
  return { app, template: Template.fromStack(stack) };
}

describe('XgboostEndpoint', () => {
  it('deploys the package on the region’s XGBoost 1.7-1 image as a serverless endpoint by default', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1',
        ModelDataUrl: 's3://artifacts-bucket/models/churn/3/model.tar.gz',
        Mode: 'SingleModel',
      },
    });
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [
        Match.objectLike({
          VariantName: 'AllTraffic',
          ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 },
        }),
      ],
    });
    template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
  });

  it('gives the execution role only the package object, its key, the image and its own logs', () => {
    const { template } = build();
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const s3Read = statements.find((s) => s.Action === 's3:GetObject');
    expect(JSON.stringify(s3Read?.Resource)).toContain('models/churn/3/model.tar.gz');
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions).toContain('kms:Decrypt');
    expect(actions).toContain('sagemaker:InvokeEndpoint');
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(actions).not.toContain('s3:PutObject');
  });

  it('uses instances with an encrypted volume when an instance type is given', () => {
    const { template } = build({}, true);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      KmsKeyId: Match.anyValue(),
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.m5.large', InitialInstanceCount: 2 })],
    });
  });

  it('passes the cdk-nag AwsSolutions checks, serverless and instance-based', () => {
    expect(() => build().app.synth()).not.toThrow();
    expect(() => build({}, true).app.synth()).not.toThrow();
  });

  it('rejects an unsupported serverless memory size with the bad value', () => {
    expect(() => build({ memorySizeInMb: 1500 })).toThrow(
      'memorySizeInMb must be one of 1024, 2048, 3072, 4096, 5120, 6144, got 1500',
    );
  });
});
