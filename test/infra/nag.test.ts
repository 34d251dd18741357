import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { KitAwsSolutionsChecks } from '../../infra/nag.ts';

function synthWith(statement: iam.PolicyStatement): () => void {
  const app = new App();
  Validations.of(app).addPlugins(new KitAwsSolutionsChecks(app));
  const role = new iam.Role(new Stack(app, 'S'), 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  role.addToPolicy(statement);
  return () => app.synth();
}

describe('KitAwsSolutionsChecks', () => {
  it('accepts object-level S3 actions on the objects of a bucket', () => {
    expect(
      synthWith(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] })),
    ).not.toThrow();
  });

  it('accepts X-Ray writes on every resource', () => {
    expect(
      synthWith(new iam.PolicyStatement({ actions: ['xray:PutTraceSegments'], resources: ['*'] })),
    ).not.toThrow();
  });

  it('still reports a resource wildcard outside the allow-list', () => {
    expect(synthWith(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }))).toThrow(
      /wildcard permissions/,
    );
  });

  it('still reports a wildcard action even on an allowed resource shape', () => {
    expect(
      synthWith(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['arn:aws:s3:::bucket/*'] })),
    ).toThrow(/wildcard permissions/);
  });
});
