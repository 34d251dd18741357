import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import cdkJson from '../../../cdk.json' with { type: 'json' };
import { KitFunction } from '../../../infra/constructs/kit-function.ts';
import { KitAwsSolutionsChecks } from '../../../infra/nag.ts';
import { DataStack } from '../../../infra/stacks/data-stack.ts';

const env = { account: '111111111111', region: 'eu-west-1' };

function build(props: Partial<ConstructorParameters<typeof KitFunction>[2]> = {}) {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new KitAwsSolutionsChecks(app));
  const data = new DataStack(app, 'Data', { env, stage: 'dev' });
  const stack = new Stack(app, 'Functions', { env });
  new KitFunction(stack, 'Platform', {
    entry: 'functions/platform/handler.ts',
    description: 'test function',
    stage: 'dev',
    data: {
      key: data.key,
      tables: data.tables,
      buckets: { lakehouse: data.lakehouseBucket, artifacts: data.artifactsBucket },
    },
    tables: { tracking: 'readwrite', registry: 'read' },
    buckets: { artifacts: 'read' },
    ...props,
  });
  return { app, template: Template.fromStack(stack) };
}

describe('KitFunction', () => {
  it('runs on nodejs22.x arm64 with tracing, its own log group and the declared resource names in its environment', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', LogGroup: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          MLOPS_STAGE: 'dev',
          MLOPS_TRACKING_TABLE: Match.anyValue(),
          MLOPS_REGISTRY_TABLE: Match.anyValue(),
          MLOPS_ARTIFACTS_BUCKET: Match.anyValue(),
        }),
      },
    });
    const variables = Object.values(template.findResources('AWS::Lambda::Function'))[0]?.Properties
      .Environment.Variables;
    expect(variables.MLOPS_LAKEHOUSE_BUCKET).toBeUndefined();
  });

  it('grants exactly the declared access: no managed policies and no wildcard actions', () => {
    const { template } = build();
    const roles = template.findResources('AWS::IAM::Role');
    for (const role of Object.values(roles)) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) =>
        policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    expect(actions).toContain('dynamodb:PutItem');
    expect(actions).toContain('s3:GetObject');
    expect(actions).not.toContain('s3:PutObject');
    const registryStatement = statements.find(
      (s) =>
        Array.isArray(s.Action) &&
        s.Action.includes('dynamodb:GetItem') &&
        !s.Action.includes('dynamodb:PutItem'),
    );
    expect(JSON.stringify(registryStatement?.Resource)).toContain('RegistryTable');
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    const { app } = build();
    expect(() => app.synth()).not.toThrow();
  });

  it("rejects a timeout beyond Lambda's limit, naming the value", () => {
    expect(() => build({ timeoutSeconds: 901 })).toThrow('timeoutSeconds must be from 1 to 900, got 901');
  });
});
