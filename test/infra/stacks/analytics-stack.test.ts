import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../../cdk.json' with { type: 'json' };
import { buildApp } from '../../../infra/build-app.ts';
import { LakehouseAnalytics } from '../../../infra/constructs/lakehouse-analytics.ts';

const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };

describe('AnalyticsStack', () => {
  let template: Template;

  beforeAll(() => {
    const { stages } = buildApp({ context });
    template = Template.fromStack(stages.dev!.analytics!);
  });

  it('creates the stage Glue database for the Delta tables', () => {
    template.hasResourceProperties('AWS::Glue::Database', {
      DatabaseInput: Match.objectLike({ Name: 'mlops_dev' }),
    });
  });

  it('creates an Athena engine v3 workgroup with KMS-encrypted results and a bytes-scanned cutoff', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'mlops-dev',
      State: 'ENABLED',
      WorkGroupConfiguration: {
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        ResultConfiguration: {
          OutputLocation: Match.anyValue(),
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: Match.anyValue() },
        },
      },
    });
  });

  it('keeps results in an encrypted, private, TLS-only, logged bucket that expires them', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'athena-results/' }),
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30 })]) },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('synthesizes an analytics stack per stage under cdk-nag', () => {
    const { app } = buildApp({ context });
    const names = app
      .synth()
      .stacks.map((stack) => stack.stackName)
      .filter((name) => name.endsWith('-analytics'))
      .sort();
    expect(names).toEqual(['mlops-dev-analytics', 'mlops-prod-analytics', 'mlops-staging-analytics']);
  });

  it('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('LakehouseAnalytics', () => {
  function build(props: Partial<ConstructorParameters<typeof LakehouseAnalytics>[2]> = {}) {
    const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
    const key = new kms.Key(stack, 'K');
    const logs = new s3.Bucket(stack, 'Logs');
    const lake = new s3.Bucket(stack, 'Lake');
    const analytics = new LakehouseAnalytics(stack, 'A', {
      stage: 'dev',
      lakehouseBucket: lake,
      encryptionKey: key,
      accessLogsBucket: logs,
      ...props,
    });
    return { stack, analytics };
  }

  it('rejects a cutoff below Athena minimum, showing the value', () => {
    expect(() => build({ bytesScannedCutoffPerQuery: 5 })).toThrow(
      'bytesScannedCutoffPerQuery must be an integer of at least 10000000, got 5',
    );
  });

  it('grants analysts the workgroup, the stage database and tables, and read access to the lakehouse', () => {
    const { stack, analytics } = build();
    const role = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
    analytics.grantQuery(role);
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
          .Statement,
    );
    const text = JSON.stringify(statements);
    expect(text).toContain('athena:StartQueryExecution');
    expect(text).toContain(':workgroup/mlops-dev');
    expect(text).toContain('glue:GetTable');
    expect(text).toContain(':table/mlops_dev/*');
    expect(text).toContain('s3:GetObject*');
  });
});
