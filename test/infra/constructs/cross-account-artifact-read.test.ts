import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../../cdk.json' with { type: 'json' };
import { buildApp } from '../../../infra/build-app.ts';
import { CrossAccountArtifactRead } from '../../../infra/constructs/cross-account-artifact-read.ts';

const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
const PROD_ROLE = {
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':iam::333333333333:role/mlops-prod-github-promotion'],
  ],
};
const PROD_ROOT = {
  AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::333333333333:root']] },
};

// biome-ignore lint/suspicious/noExplicitAny: template JSON, asserted field by field
type Statement = Record<string, any>;
const templates: Record<string, Template> = {};

/** Statements of every bucket policy and key policy that name a principal other than `*`. */
function grantsToPrincipals(template: Template): Statement[] {
  const bucketStatements = Object.values(template.findResources('AWS::S3::BucketPolicy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
  const keyStatements = Object.values(template.findResources('AWS::KMS::Key')).flatMap(
    (key) => key.Properties.KeyPolicy.Statement as Statement[],
  );
  return [...bucketStatements, ...keyStatements].filter(
    (statement) => statement.Effect === 'Allow' && statement.Principal?.AWS !== undefined,
  );
}

beforeAll(() => {
  const { stages } = buildApp({ context });
  for (const stage of ['dev', 'staging', 'prod']) templates[stage] = Template.fromStack(stages[stage]!.data);
});

describe('CrossAccountArtifactRead', () => {
  it("admits prod's promotion role to staging's approved artifacts: bucket policy limited to the role and prefix", () => {
    const statements = grantsToPrincipals(templates.staging!).filter((s) => s.Principal.AWS !== undefined);
    const bucket = statements.filter((s) => String(s.Action).startsWith('s3:'));
    expect(bucket).toEqual([
      {
        Sid: 'ReadApprovedArtifacts333333333333mlopsprodgithubpromotion',
        Effect: 'Allow',
        Principal: PROD_ROOT,
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['ArtifactsBucket', 'Arn'] }, '/mlflow-artifacts/*']] },
        Condition: { ArnEquals: { 'aws:PrincipalArn': PROD_ROLE } },
      },
      {
        Sid: 'ListApprovedArtifacts333333333333mlopsprodgithubpromotion',
        Effect: 'Allow',
        Principal: PROD_ROOT,
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': ['ArtifactsBucket', 'Arn'] },
        Condition: {
          ArnEquals: { 'aws:PrincipalArn': PROD_ROLE },
          StringLike: { 's3:prefix': ['mlflow-artifacts/*'] },
        },
      },
    ]);
  });

  it("grants prod's promotion role only kms:Decrypt through S3 for the artifact bucket in the key policy", () => {
    const key = grantsToPrincipals(templates.staging!).filter((s) => String(s.Action).startsWith('kms:'));
    expect(key).toEqual([
      expect.objectContaining({ Action: 'kms:*', Principal: { AWS: expect.anything() } }),
      {
        Sid: 'DecryptApprovedArtifacts333333333333mlopsprodgithubpromotion',
        Effect: 'Allow',
        Principal: PROD_ROOT,
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: {
          ArnEquals: { 'aws:PrincipalArn': PROD_ROLE },
          StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
        },
      },
    ]);
    expect(JSON.stringify(key[0]?.Principal)).toContain(':iam::222222222222:root');
  });

  it('admits no other account to the data of dev or prod', () => {
    for (const stage of ['dev', 'prod']) {
      const foreign = grantsToPrincipals(templates[stage]!).filter(
        (s) =>
          !JSON.stringify(s.Principal).includes(
            `${cdkJson.context['mlops:stages'][stage as 'dev'].account}:root`,
          ),
      );
      expect(foreign, stage).toEqual([]);
    }
  });

  it('refuses a prefix that is not a key prefix, naming it', () => {
    const stack = new Stack(new App(), 'S');
    const key = new kms.Key(stack, 'K');
    const bucket = new s3.Bucket(stack, 'B', { encryptionKey: key });
    expect(
      () =>
        new CrossAccountArtifactRead(stack, 'R', {
          bucket,
          key,
          account: '333333333333',
          roleName: 'reader',
          prefix: '*',
        }),
    ).toThrow('prefix must be a key prefix ending in "/", got "*"');
  });

  it('refuses a bucket it cannot attach a policy to', () => {
    const stack = new Stack(new App(), 'S');
    const key = new kms.Key(stack, 'K');
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'elsewhere');
    expect(
      () =>
        new CrossAccountArtifactRead(stack, 'R', {
          bucket,
          key,
          account: '333333333333',
          roleName: 'reader',
          prefix: 'models/',
        }),
    ).toThrow('the artifact bucket and key must be defined in this app to admit a cross-account reader');
  });
});
