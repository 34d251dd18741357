import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../../cdk.json' with { type: 'json' };
import { buildApp } from '../../../infra/build-app.ts';
import { MODEL_APPROVED_EVENT_TYPE } from '../../../infra/constructs/github-dispatch.ts';
import { githubSubject } from '../../../infra/constructs/github-oidc.ts';

const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
const ACCOUNTS = { dev: '111111111111', staging: '222222222222', prod: '333333333333' } as const;
const AUD = 'token.actions.githubusercontent.com:aud';
const SUB = 'token.actions.githubusercontent.com:sub';

type Stage = keyof typeof ACCOUNTS;
const templates = {} as Record<Stage, Template>;
let pipelinesProd: Stack;

// biome-ignore lint/suspicious/noExplicitAny: template JSON, asserted field by field
type Json = any;

/** The IAM role resources of a template by role name. */
function roles(template: Template): Record<string, { Properties: Record<string, Json> }> {
  return Object.fromEntries(
    Object.values(template.findResources('AWS::IAM::Role')).map((role) => [role.Properties.RoleName, role]),
  );
}

function trust(template: Template, roleName: string) {
  return roles(template)[roleName]?.Properties.AssumeRolePolicyDocument.Statement;
}

function statements(template: Template, roleName: string): Record<string, Json>[] {
  return roles(template)[roleName]!.Properties.Policies.flatMap(
    (policy: { PolicyDocument: { Statement: unknown[] } }) => policy.PolicyDocument.Statement,
  );
}

const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

beforeAll(() => {
  const { stages } = buildApp({ context });
  for (const stage of Object.keys(ACCOUNTS) as Stage[]) {
    templates[stage] = Template.fromStack(stages[stage]!.github!);
  }
  pipelinesProd = stages.prod!.pipelines;
});

describe('GitHubOidcStack', () => {
  it('creates the GitHub OIDC provider with the STS audience in each account', () => {
    for (const stage of Object.keys(ACCOUNTS) as Stage[]) {
      templates[stage].resourceCountIs('AWS::IAM::OIDCProvider', 1);
      templates[stage].hasResourceProperties('AWS::IAM::OIDCProvider', {
        Url: 'https://token.actions.githubusercontent.com',
        ClientIdList: ['sts.amazonaws.com'],
      });
    }
  });

  it("trusts only the stage's GitHub environment for its deploy role", () => {
    for (const stage of Object.keys(ACCOUNTS) as Stage[]) {
      expect(trust(templates[stage], `mlops-${stage}-github-deploy`)).toEqual([
        {
          Action: 'sts:AssumeRoleWithWebIdentity',
          Effect: 'Allow',
          Principal: { Federated: { Ref: expect.stringMatching(/^GitHubProvider/) } },
          Condition: {
            StringEquals: {
              [AUD]: 'sts.amazonaws.com',
              [SUB]: `repo:example-org/mlops-kit:environment:${stage}`,
            },
          },
        },
      ]);
    }
  });

  it('lets the deploy role assume the CDK bootstrap roles of its own account and region, nothing else', () => {
    for (const [stage, account] of Object.entries(ACCOUNTS) as [Stage, string][]) {
      expect(statements(templates[stage], `mlops-${stage}-github-deploy`)).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Resource: ['deploy-role', 'file-publishing-role', 'lookup-role'].map((role) =>
            arn(`:iam::${account}:role/cdk-hnb659fds-${role}-${account}-eu-west-1`),
          ),
        },
      ]);
    }
  });

  it('gives dev no promotion role; the promotion roles of staging and prod trust only the prod environment', () => {
    expect(roles(templates.dev)['mlops-dev-github-promotion']).toBeUndefined();
    for (const stage of ['staging', 'prod'] as const) {
      expect(trust(templates[stage], `mlops-${stage}-github-promotion`)[0].Condition).toEqual({
        StringEquals: { [AUD]: 'sts.amazonaws.com', [SUB]: 'repo:example-org/mlops-kit:environment:prod' },
      });
    }
  });

  it("lets the source stage's promotion role only read its approved artifacts", () => {
    const actions = statements(templates.staging, 'mlops-staging-github-promotion').flatMap((s) => s.Action);
    expect(actions.sort()).toEqual(['kms:Decrypt', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket']);
    expect(statements(templates.staging, 'mlops-staging-github-promotion')).toContainEqual(
      expect.objectContaining({
        Action: 's3:ListBucket',
        Condition: { StringLike: { 's3:prefix': ['mlflow-artifacts/*'] } },
      }),
    );
  });

  it("lets the target's promotion role read its copy, deploy, smoke-test, and read the source's approved artifacts", () => {
    const bySid = Object.fromEntries(
      statements(templates.prod, 'mlops-prod-github-promotion').map((s) => [s.Sid, s]),
    );
    expect(Object.keys(bySid).sort()).toEqual([
      'DecryptSourceArtifactsThroughS3',
      'FollowDeployment',
      'ListApprovedArtifacts',
      'ListSourceApprovedArtifacts',
      'ReadApprovedArtifacts',
      'ReadSourceApprovedArtifacts',
      'SmokeTestEndpoints',
      'StartDeployment',
      'UseArtifactsKeyThroughS3',
    ]);
    expect(bySid.ReadApprovedArtifacts.Action).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(bySid.UseArtifactsKeyThroughS3.Action).toBe('kms:Decrypt');
    expect(bySid.StartDeployment.Resource).toEqual(
      arn(':states:eu-west-1:333333333333:stateMachine:mlops-prod-deployment'),
    );
    // The name the policy allows is the name the pipelines stack gives the deployment state machine.
    const machine = Template.fromStack(pipelinesProd).findResources('AWS::StepFunctions::StateMachine', {
      Properties: { StateMachineName: 'mlops-prod-deployment' },
    });
    expect(Object.keys(machine)).toEqual(['DeploymentPipeline']);
    expect(bySid.SmokeTestEndpoints.Resource).toEqual(
      arn(':sagemaker:eu-west-1:333333333333:endpoint/mlops-prod-*'),
    );
    expect(bySid.ReadSourceApprovedArtifacts).toMatchObject({
      Resource: arn(':s3:::*/mlflow-artifacts/*'),
      Condition: { StringEquals: { 's3:ResourceAccount': '222222222222' } },
    });
    expect(bySid.DecryptSourceArtifactsThroughS3).toMatchObject({
      Action: 'kms:Decrypt',
      Resource: arn(':kms:eu-west-1:222222222222:key/*'),
      Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
    });
  });

  it('creates one provider per account when two stages share it, and can use an existing one', () => {
    const shared = structuredClone(cdkJson.context['mlops:stages']) as Record<
      string,
      Record<string, unknown>
    >;
    shared.staging!.account = ACCOUNTS.dev;
    shared.prod!.githubOidcProvider = 'existing';
    const { stages } = buildApp({ context: { ...context, 'mlops:stages': shared } });
    const providers = (stage: string) =>
      Template.fromStack(stages[stage]!.github!).findResources('AWS::IAM::OIDCProvider');
    expect(Object.keys(providers('dev'))).toHaveLength(1);
    expect(Object.keys(providers('staging'))).toHaveLength(0);
    expect(Object.keys(providers('prod'))).toHaveLength(0);
    const stagingTrust = trust(Template.fromStack(stages.staging!.github!), 'mlops-staging-github-deploy');
    expect(stagingTrust[0].Principal.Federated).toEqual(
      arn(':iam::111111111111:oidc-provider/token.actions.githubusercontent.com'),
    );
  });

  it('synthesizes no GitHub stacks without the mlops:github context', () => {
    const { app } = buildApp({ context: { ...context, 'mlops:github': undefined } });
    expect(app.synth().stacks.map((stack) => stack.stackName)).not.toContainEqual(
      expect.stringMatching(/-github$/),
    );
  });

  it('writes immutable-id subjects when the repository ids are configured', () => {
    expect(
      githubSubject({ owner: 'example-org', repository: 'mlops-kit', ownerId: 42, repositoryId: 7 }, 'prod'),
    ).toBe('repo:example-org@42/mlops-kit@7:environment:prod');
  });

  it('refuses an environment or repository that would put a wildcard into a subject', () => {
    expect(() => githubSubject({ owner: 'example-org', repository: 'mlops-kit' }, 'pr*')).toThrow(
      'environment may hold only letters, digits, ".", "_" and "-", got "pr*"',
    );
    expect(() => githubSubject({ owner: 'example-org', repository: '*' }, 'prod')).toThrow(
      'repository may hold only letters, digits, ".", "_" and "-", got "*"',
    );
  });

  it('sends no repository dispatch by default, so a deploy needs no GitHub token', () => {
    for (const stage of Object.keys(ACCOUNTS) as Stage[]) {
      for (const type of ['AWS::Events::Rule', 'AWS::Events::Connection', 'AWS::Events::ApiDestination'])
        templates[stage].resourceCountIs(type, 0);
    }
  });

  it("forwards the source registry's protected alias moves to GitHub's dispatches API when asked to", () => {
    const withDispatch = structuredClone(cdkJson.context['mlops:stages']) as Record<string, Json>;
    withDispatch.prod.promotion.dispatch = { tokenSecretName: 'mlops/github-dispatch' };
    const { app, stages } = buildApp({ context: { ...context, 'mlops:stages': withDispatch } });
    // cdk-nag runs in synth and throws on any unsuppressed finding.
    expect(() => app.synth()).not.toThrow();
    const staging = Template.fromStack(stages.staging!.github!);
    const prod = Template.fromStack(stages.prod!.github!);
    prod.resourceCountIs('AWS::Events::Rule', 0);

    staging.hasResourceProperties('AWS::Events::Connection', {
      AuthorizationType: 'API_KEY',
      AuthParameters: {
        ApiKeyAuthParameters: {
          ApiKeyName: 'Authorization',
          ApiKeyValue: '{{resolve:secretsmanager:mlops/github-dispatch:SecretString:::}}',
        },
      },
    });
    staging.hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationEndpoint: 'https://api.github.com/repos/example-org/mlops-kit/dispatches',
      HttpMethod: 'POST',
    });
    const rules = Object.values(staging.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties;
    expect(rule.EventPattern).toEqual({
      source: ['mlops.registry'],
      'detail-type': ['alias.set'],
      detail: { alias: ['champion'] },
    });
    expect(rule.Targets).toHaveLength(1);
    const target = rule.Targets[0];
    expect(target.HttpParameters).toEqual({
      HeaderParameters: { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' },
    });
    expect(target.InputTransformer).toEqual({
      InputPathsMap: {
        'detail-alias': '$.detail.alias',
        'detail-model': '$.detail.model',
        'detail-version': '$.detail.version',
      },
      InputTemplate: `{"event_type":"${MODEL_APPROVED_EVENT_TYPE}","client_payload":{"model":<detail-model>,"version":<detail-version>,"alias":<detail-alias>}}`,
    });
    // The rule's role may invoke this one API destination and nothing else.
    const roleId = target.RoleArn['Fn::GetAtt'][0];
    const policies = Object.values(staging.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes(roleId),
    );
    expect(policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement)).toEqual([
      {
        Action: 'events:InvokeApiDestination',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^PromotionDispatchDestination/), 'Arn'] },
      },
    ]);
  });

  it('refuses a dispatch setting that names no secret or no alias', () => {
    const stages = (dispatch: unknown) => {
      const value = structuredClone(cdkJson.context['mlops:stages']) as Record<string, Json>;
      value.prod.promotion.dispatch = dispatch;
      return () => buildApp({ context: { ...context, 'mlops:stages': value } });
    };
    expect(stages({ tokenSecretName: 'has space' })).toThrow(
      'invalid mlops:stages context at prod.promotion.dispatch.tokenSecretName: tokenSecretName must be a Secrets Manager secret name',
    );
    expect(stages({ tokenSecretName: 'mlops/github', aliases: [] })).toThrow(
      /^invalid mlops:stages context at prod\.promotion\.dispatch\.aliases: /,
    );
  });

  it('matches the snapshot', () => {
    expect(templates.prod.toJSON()).toMatchSnapshot();
  });
});
