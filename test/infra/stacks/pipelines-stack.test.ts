import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../../cdk.json' with { type: 'json' };
import { buildApp } from '../../../infra/build-app.ts';
import { PIPELINES, pipelineStateMachineName } from '../../../infra/platform/pipelines.ts';

const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

describe('PipelinesStack', () => {
  let template: Template;
  let prodTemplate: Template;
  let resources: Resources;

  beforeAll(() => {
    const { stages, app } = buildApp({ context });
    app.synth();
    prodTemplate = Template.fromStack(stages.prod!.pipelines);
    template = Template.fromStack(stages.dev!.pipelines);
    resources = template.toJSON().Resources as Resources;
  });

  const logicalIdOf = (type: string, match: (props: Record<string, unknown>) => boolean) =>
    Object.entries(resources).find(([, r]) => r.Type === type && match(r.Properties))?.[0];

  it("builds training sets with Athena in the stage's workgroup through the state machine's integration", () => {
    for (const prefix of [
      'Training: the point-in-time training set',
      "Training: Athena's staged training set",
    ]) {
      const fnId = logicalIdOf('AWS::Lambda::Function', (p) => String(p.Description).startsWith(prefix));
      expect(fnId, prefix).toBeDefined();
      expect(
        (resources[fnId!]!.Properties as { Environment: { Variables: unknown } }).Environment.Variables,
      ).toMatchObject({
        MLOPS_TRAINING_SET_ENGINE: 'athena',
        MLOPS_ATHENA_WORKGROUP: 'mlops-dev',
      });
    }
    const machineId = logicalIdOf(
      'AWS::StepFunctions::StateMachine',
      (p) => p.StateMachineName === 'mlops-dev-training',
    );
    const roleId = (resources[machineId!]!.Properties.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const statements = Object.values(resources)
      .filter(
        (r) =>
          r.Type === 'AWS::IAM::Policy' &&
          JSON.stringify((r.Properties as { Roles: unknown }).Roles).includes(String(roleId)),
      )
      .flatMap(
        (r) =>
          (r.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
      );
    const athena = statements.find((st) => JSON.stringify(st.Action).includes('athena:StartQueryExecution'));
    expect(JSON.stringify(athena?.Resource)).toContain('workgroup/mlops-dev');
    const glue = statements.find((st) => JSON.stringify(st.Action).includes('glue:GetTable'));
    expect(JSON.stringify(glue?.Resource)).toContain('table/mlops_dev/*');
    const unload = statements.find(
      (st) =>
        JSON.stringify(st.Action).includes('s3:PutObject') &&
        JSON.stringify(st.Resource).includes('training-sets/*'),
    );
    expect(unload).toBeDefined();
  });

  it('names every state machine mlops-<stage>-<pipeline> under its stable logical ID', () => {
    const machines = Object.fromEntries(
      Object.entries(resources)
        .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
        .map(([id, r]) => [id, r.Properties.StateMachineName]),
    );
    expect(machines).toEqual(
      Object.fromEntries(
        Object.entries(PIPELINES).map(([name, definition]) => [definition.logicalId, `mlops-dev-${name}`]),
      ),
    );
    expect(machines.DeploymentPipeline).toBe('mlops-dev-deployment');
  });

  it('refuses a state machine name Step Functions would refuse', () => {
    expect(pipelineStateMachineName('prod', 'batch-inference')).toBe('mlops-prod-batch-inference');
    expect(() => pipelineStateMachineName('prod', 'x'.repeat(70))).toThrow(
      /^state machine name mlops-prod-x+ must be 1-80 letters, digits, "-" or "_" \(stage "prod", pipeline "x+"\)$/,
    );
    expect(() => pipelineStateMachineName('prod', 'a b')).toThrow('must be 1-80 letters');
  });

  it('schedules the materialization pipeline daily with a role that may only start it', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 day)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { Ref: 'MaterializationPipeline' },
        Input: '{}',
      },
    });
    const schedule = Object.values(resources).find((r) => r.Type === 'AWS::Scheduler::Schedule')!;
    const roleId = (schedule.Properties.Target as { RoleArn: { 'Fn::GetAtt': string[] } }).RoleArn[
      'Fn::GetAtt'
    ][0];
    const policies = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
    );
    expect(policies.map((p) => p.Properties.PolicyDocument)).toEqual([
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: 'MaterializationPipeline' } },
        ],
      },
    ]);
    expect(resources[roleId!]?.Properties.AssumeRolePolicyDocument).toMatchObject({
      Statement: [{ Principal: { Service: 'scheduler.amazonaws.com' } }],
    });
  });

  it("starts the deployment pipeline on the registry's champion alias moves, passing model and version", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['mlops.registry'],
        'detail-type': ['alias.set'],
        detail: { alias: ['champion'] },
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: 'DeploymentPipeline' },
          InputTransformer: {
            InputPathsMap: { 'detail-model': '$.detail.model', 'detail-version': '$.detail.version' },
            InputTemplate: '{"model":<detail-model>,"version":<detail-version>}',
          },
        }),
      ],
    });
  });

  it('starts no deployment on alias moves in a promotion target, whose promotion job deploys before moving the alias', () => {
    const aliasRules = (t: Template) =>
      Object.values(t.findResources('AWS::Events::Rule')).filter((rule) =>
        JSON.stringify(rule.Properties.EventPattern ?? {}).includes('alias.set'),
      );
    expect(aliasRules(prodTemplate)).toEqual([]);
    expect(aliasRules(template)).toHaveLength(1);
    prodTemplate.resourceCountIs('AWS::StepFunctions::StateMachine', Object.keys(PIPELINES).length);
  });

  it("limits the deployment's and training's SageMaker calls to the stage's name prefix and passes only the execution role", () => {
    const roleId = logicalIdOf('AWS::IAM::Role', (p) =>
      JSON.stringify(p.AssumeRolePolicyDocument).includes('sagemaker.amazonaws.com'),
    );
    expect(roleId).toBeDefined();
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter((s) =>
        [s.Action].flat().some((a) => String(a).startsWith('sagemaker:') || a === 'iam:PassRole'),
      );
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of [statement.Action].flat()) expect(String(action)).not.toContain('*');
      if ([statement.Action].flat().includes('iam:PassRole')) {
        expect(statement).toMatchObject({
          Resource: { 'Fn::GetAtt': [roleId, 'Arn'] },
          Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        });
      } else {
        for (const resource of [statement.Resource].flat())
          expect(JSON.stringify(resource)).toMatch(
            /:(model|endpoint-config|endpoint|training-job)\/mlops-dev-\*"/,
          );
      }
    }
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionSubstitutions: Match.objectLike({
        SageMakerExecutionRoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
      }),
    });
  });
});
