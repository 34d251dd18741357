import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { MlopsHttpApi } from '../../../infra/constructs/http-api.ts';
import type { FunctionDefinition } from '../../../infra/platform/api.ts';
import { TABLE_IDS, type TableId } from '../../../infra/platform/tables.ts';

function stackWith(props: {
  oidc?: { issuer: string; audience: string[] };
  functions: Record<string, FunctionDefinition>;
}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key');
  const tables = Object.fromEntries(
    TABLE_IDS.map((id) => [
      id,
      new dynamodb.Table(stack, `T${id}`, {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      }),
    ]),
  ) as unknown as Record<TableId, dynamodb.ITable>;
  const artifacts = new s3.Bucket(stack, 'Artifacts');
  const api = new MlopsHttpApi(stack, 'Api', {
    stage: 'test',
    tables,
    buckets: { artifacts },
    encryptionKey: key,
    functions: props.functions,
    ...(props.oidc ? { oidc: props.oidc } : {}),
  });
  return { api, template: Template.fromStack(stack) };
}

const ONE_FUNCTION: Record<string, FunctionDefinition> = {
  probe: {
    logicalId: 'ProbeFunction',
    entry: 'functions/platform/handler.ts',
    description: 'probe',
    tables: { tracking: 'read' },
    buckets: {},
    routes: [
      { method: 'GET', path: '/probe', scope: 'read' },
      { method: 'POST', path: '/probe', scope: 'admin' },
      { method: 'GET', path: '/open', scope: 'public' },
    ],
  },
};

describe('MlopsHttpApi', () => {
  it('accepts tokens of an external OIDC issuer instead of creating a Cognito user pool', () => {
    const { api, template } = stackWith({
      oidc: { issuer: 'https://login.example.com/realms/ml', audience: ['mlops-api'] },
      functions: ONE_FUNCTION,
    });
    expect(api.userPool).toBeUndefined();
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://login.example.com/realms/ml', Audience: ['mlops-api'] },
    });
  });

  it("requires each route's scope (or a wider one) and no token on public routes", () => {
    const { api, template } = stackWith({ functions: ONE_FUNCTION });
    expect(api.userPool).toBeDefined();
    expect(api.machineClient).toBeDefined();
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /probe',
      AuthorizationType: 'JWT',
      AuthorizationScopes: ['mlops/read', 'mlops/write', 'mlops/admin'],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /probe',
      AuthorizationType: 'JWT',
      AuthorizationScopes: ['mlops/admin'],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /open',
      AuthorizationType: 'NONE',
    });
    // One integration and one invoke permission per function, however many routes it has.
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    template.resourceCountIs('AWS::Lambda::Permission', 1);
  });

  it('refuses a function that needs a bucket it was not given', () => {
    expect(() =>
      stackWith({ functions: { x: { ...ONE_FUNCTION.probe!, buckets: { lakehouse: 'read' } } } }),
    ).toThrow('bucket lakehouse is not part of the platform data');
  });
});
