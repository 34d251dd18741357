import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../../cdk.json' with { type: 'json' };
import { buildApp } from '../../../infra/build-app.ts';
import { type FunctionDefinition, type RouteDefinition, routeKey } from '../../../infra/platform/api.ts';
import { BUCKETS } from '../../../infra/platform/buckets.ts';
import { FUNCTIONS } from '../../../infra/platform/functions.ts';
import { TABLES } from '../../../infra/platform/tables.ts';

const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The template with asset hashes and bundle locations replaced, so the snapshot survives code changes. */
function stripAssets(template: unknown): unknown {
  return JSON.parse(
    JSON.stringify(template)
      .replace(/[0-9a-f]{64}(\.zip)?/g, '<asset>')
      .replace(/"S3Bucket":\{[^}]*\}/g, '"S3Bucket":"<assets bucket>"'),
  );
}

describe('ApiStack', () => {
  let template: Template;
  let resources: Resources;

  beforeAll(() => {
    const { stages, app } = buildApp({ context });
    app.synth();
    template = Template.fromStack(stages.dev!.api);
    resources = template.toJSON().Resources as Resources;
  });

  const ofType = (type: string) => Object.values(resources).filter((resource) => resource.Type === type);

  it('declares one route per declared function route, each behind the JWT authorizer with its scope unless public', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route');
    const declared: RouteDefinition[] = Object.values(
      FUNCTIONS as Record<string, FunctionDefinition>,
    ).flatMap((fn) => [...fn.routes]);
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(declared.map(routeKey).sort());
    for (const route of declared) {
      const found = routes.find((r) => r.Properties.RouteKey === routeKey(route));
      if (route.scope === 'public') {
        expect(found?.Properties.AuthorizationType).toBe('NONE');
        continue;
      }
      expect(found?.Properties).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: expect.anything() });
      const expectedScopes = {
        read: ['read', 'write', 'admin'],
        write: ['write', 'admin'],
        admin: ['admin'],
      }[route.scope].map((scope) => `mlops/${scope}`);
      expect(found?.Properties.AuthorizationScopes).toEqual(expectedScopes);
    }
  });

  it('creates a Cognito user pool with a resource server offering read, write and admin scopes', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'mlops',
      Scopes: [
        Match.objectLike({ ScopeName: 'read' }),
        Match.objectLike({ ScopeName: 'write' }),
        Match.objectLike({ ScopeName: 'admin' }),
      ],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: Match.objectLike({ Issuer: Match.anyValue(), Audience: Match.anyValue() }),
    });
  });

  it('deploys every function on nodejs22.x with its declared tables and buckets as environment variables', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const definition of Object.values(FUNCTIONS)) {
      const fn = functions.find((f) => f.Properties.Description === definition.description);
      expect(fn?.Properties).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'index.handler' });
      const variables = (fn!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const expected = [
        'MLOPS_STAGE',
        ...Object.keys(definition.tables).map((id) => TABLES[id as keyof typeof TABLES].envVar),
        ...Object.keys(definition.buckets).map((id) => BUCKETS[id as keyof typeof BUCKETS].envVar),
      ];
      for (const name of expected) expect(variables).toHaveProperty(name);
      expect(variables.MLOPS_STAGE).toBe('dev');
    }
  });

  it('grants each function exactly its declared access, naming every action (no wildcard actions)', () => {
    const policies = ofType('AWS::IAM::Policy');
    const actions = policies.flatMap((policy) =>
      (policy.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement.flatMap(
        (s) => (Array.isArray(s.Action) ? s.Action : [s.Action]),
      ),
    );
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    const trackingPolicy = policies.find((p) => JSON.stringify(p).includes('TrackingFunctionRole'));
    const trackingActions = JSON.stringify(trackingPolicy);
    expect(trackingActions).toContain('dynamodb:BatchWriteItem');
    expect(trackingActions).not.toContain('s3:PutObject');
    const artifactsPolicy = policies.find((p) => JSON.stringify(p).includes('TrackingArtifactsFunctionRole'));
    expect(JSON.stringify(artifactsPolicy)).toContain('s3:PutObject');
    expect(JSON.stringify(artifactsPolicy)).not.toContain('dynamodb:');
  });

  it("lets the features function invoke only the stage's SageMaker endpoints (mlops-<stage>-*)", () => {
    const statementsOf = (roleFragment: string) =>
      ofType('AWS::IAM::Policy')
        .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleFragment))
        .flatMap(
          (policy) =>
            (policy.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
              .Statement,
        );
    const invoke = statementsOf('FeaturesFunctionRole').filter(
      (s) => s.Action === 'sagemaker:InvokeEndpoint',
    );
    expect(invoke).toHaveLength(1);
    const resource = JSON.stringify(invoke[0]?.Resource);
    expect(resource).toContain(':endpoint/mlops-dev-*');
    expect(resource).not.toContain(':endpoint/*');
    // The scoring function serves endpoints of any name (`mlops endpoint create churn`).
    const scoring = statementsOf('ScoringFunctionRole').filter(
      (s) => s.Action === 'sagemaker:InvokeEndpoint',
    );
    expect(JSON.stringify(scoring[0]?.Resource)).toContain(':endpoint/*');
  });

  it('lets only the registry put events, on the default bus and as mlops.registry', () => {
    const statements = ofType('AWS::IAM::Policy').flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    const putEvents = statements.filter((statement) => JSON.stringify(statement.Action).includes('events:'));
    expect(putEvents).toHaveLength(1);
    expect(putEvents[0]).toMatchObject({
      Action: 'events:PutEvents',
      Condition: { StringEquals: { 'events:source': 'mlops.registry' } },
    });
    expect(JSON.stringify(putEvents[0]?.Resource)).toContain(':event-bus/default');
  });

  it('throttles the stage and writes JSON access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('lets API Gateway invoke each function through one permission scoped to this API', () => {
    const permissions = ofType('AWS::Lambda::Permission');
    expect(permissions).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const permission of permissions) {
      expect(permission.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
      });
      expect(JSON.stringify(permission.Properties.SourceArn)).toContain('/*/*');
    }
  });

  it('matches the snapshot (asset hashes stripped)', () => {
    expect(stripAssets(template.toJSON())).toMatchSnapshot();
  });
});
