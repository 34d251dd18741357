import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../../cdk.json' with { type: 'json' };
import { buildApp } from '../../../infra/build-app.ts';
import { parseStages } from '../../../infra/config/stages.ts';
import { BUCKETS } from '../../../infra/platform/buckets.ts';
import { TABLES } from '../../../infra/platform/tables.ts';

const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };

describe('DataStack', () => {
  let template: Template;

  beforeAll(() => {
    const { stages } = buildApp({ context });
    template = Template.fromStack(stages.dev!.data);
  });

  it('creates every shared table with its keys, indexes, TTL, KMS encryption, PITR and retention', () => {
    for (const table of Object.values(TABLES)) {
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({
          KeySchema: [
            { AttributeName: table.partitionKey.name, KeyType: 'HASH' },
            ...(table.sortKey ? [{ AttributeName: table.sortKey.name, KeyType: 'RANGE' }] : []),
          ],
          BillingMode: 'PAY_PER_REQUEST',
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
          ...(table.timeToLiveAttribute
            ? { TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true } }
            : {}),
          ...(table.globalIndexes.length
            ? {
                GlobalSecondaryIndexes: table.globalIndexes.map((index) =>
                  Match.objectLike({ IndexName: index.indexName }),
                ),
              }
            : {}),
        }),
      });
      expect(template.toJSON().Resources[table.logicalId]?.Type).toBe('AWS::DynamoDB::Table');
    }
  });

  it('keeps the Delta commit log compatible with S3DynamoDBLogStore', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'tablePath', KeyType: 'HASH' },
        { AttributeName: 'fileName', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'tablePath', AttributeType: 'S' },
        { AttributeName: 'fileName', AttributeType: 'S' },
      ]),
      TimeToLiveSpecification: { AttributeName: 'expireTime', Enabled: true },
    });
  });

  it('encrypts the data buckets with the platform key, versions them, blocks public access and logs access', () => {
    for (const id of ['lakehouse', 'artifacts'] as const) {
      const bucket = template.toJSON().Resources[BUCKETS[id].logicalId];
      expect(bucket).toMatchObject({ Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain' });
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': ['PlatformKey', 'Arn'] },
              },
            },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: BUCKETS.accessLogs.logicalId },
          LogFilePrefix: `${id}/`,
        },
      });
    }
  });

  it('denies every request to every bucket that does not use TLS', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    const buckets = Object.keys(template.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(3);
    for (const bucket of buckets) {
      const policy = Object.values(policies).find((p) => p.Properties.Bucket.Ref === bucket);
      expect(policy?.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('rotates the platform key and retains it', () => {
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ EnableKeyRotation: true }),
    });
  });

  it('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('buildApp', () => {
  it('synthesizes one data stack per stage with zero unacknowledged cdk-nag AwsSolutions findings', () => {
    const { app } = buildApp({ context });
    const assembly = app.synth();
    expect(
      assembly.stacks
        .map((stack) => stack.stackName)
        .filter((name) => name.endsWith('-data'))
        .sort(),
    ).toEqual(['mlops-dev-data', 'mlops-prod-data', 'mlops-staging-data']);
  });

  it('fails synthesis when cdk-nag finds an unacknowledged problem', () => {
    const app = new App({ context });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    new s3.Bucket(new Stack(app, 'Careless'), 'OpenBucket');
    expect(() => app.synth()).toThrow(/server access logs disabled/);
  });

  it('rejects a stage with a malformed account id, naming the field', () => {
    expect(() => parseStages({ dev: { account: '12', region: 'eu-west-1' } })).toThrow(
      'invalid mlops:stages context at dev.account: account must be a 12-digit AWS account id',
    );
  });
});
