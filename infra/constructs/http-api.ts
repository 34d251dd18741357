import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpIntegrationType,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteIntegration,
  type HttpRouteIntegrationConfig,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { FunctionDefinition, RouteScope } from '../platform/api.ts';
import type { BucketId } from '../platform/buckets.ts';
import { FUNCTIONS } from '../platform/functions.ts';
import type { TableId } from '../platform/tables.ts';
import { KitFunction } from './kit-function.ts';

/** An external OpenID Connect issuer whose access tokens the API accepts instead of Cognito's. */
export interface OidcIssuerProps {
  /** Issuer URL, e.g. `https://login.example.com/realms/ml`. */
  readonly issuer: string;
  /** Accepted `aud` (or `client_id`) values. */
  readonly audience: readonly string[];
  /** Prefix of the scope names (`<prefix>read`, `<prefix>write`, `<prefix>admin`). @default 'mlops/' */
  readonly scopePrefix?: string;
}

export interface MlopsHttpApiProps {
  /** Stage name, used in names and descriptions. */
  readonly stage: string;
  readonly tables: Readonly<Record<TableId, ITable>>;
  readonly buckets: Readonly<Partial<Record<BucketId, IBucket>>>;
  /** The key that encrypts the tables and buckets. */
  readonly encryptionKey: IKey;
  /** The functions to deploy. @default every function of `infra/platform/functions.ts` */
  readonly functions?: Readonly<Record<string, FunctionDefinition>>;
  /** Accept tokens of this issuer. @default a Cognito user pool with the scopes read/write/admin */
  readonly oidc?: OidcIssuerProps;
  /** Steady-state requests per second for the whole stage. @default 200 */
  readonly throttlingRateLimit?: number;
  /** @default 400 */
  readonly throttlingBurstLimit?: number;
  /** Retention of access and function logs. @default one month */
  readonly logRetention?: logs.RetentionDays;
}

/** The OAuth scopes a route's declared scope accepts: a wider scope includes the narrower ones. */
const ACCEPTED_SCOPES: Record<Exclude<RouteScope, 'public'>, readonly string[]> = {
  read: ['read', 'write', 'admin'],
  write: ['write', 'admin'],
  admin: ['admin'],
};

/** The Lambda integration of one function, shared by all its routes (one integration, one permission). */
class LambdaProxyIntegration extends HttpRouteIntegration {
  readonly #handler: lambda.IFunction;

  constructor(id: string, handler: lambda.IFunction) {
    super(id);
    this.#handler = handler;
  }

  bind(): HttpRouteIntegrationConfig {
    return {
      type: HttpIntegrationType.AWS_PROXY,
      uri: this.#handler.functionArn,
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    };
  }
}

/**
 * The kit's HTTP API: every function of `infra/platform/functions.ts` as its own Lambda (bundled ESM
 * for nodejs22.x, the runtime's AWS SDK left external), one route per declared route behind a JWT
 * authorizer that requires the route's scope, stage throttling and JSON access logs. Each function's
 * role allows exactly the declared table and bucket access.
 */
export class MlopsHttpApi extends Construct {
  readonly api: HttpApi;
  readonly url: string;
  readonly functions: Readonly<Record<string, NodejsFunction>>;
  /** The Cognito user pool, when no external issuer is configured. */
  readonly userPool?: cognito.UserPool;
  /** A machine client (client-credentials flow) of the user pool, for pipelines and the CLI. */
  readonly machineClient?: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, props: MlopsHttpApiProps) {
    super(scope, id);
    const definitions: Readonly<Record<string, FunctionDefinition>> = props.functions ?? FUNCTIONS;
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const stack = Stack.of(this);

    this.api = new HttpApi(this, 'Api', {
      description: `MLOps kit API (${props.stage})`,
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? 200,
        burstLimit: props.throttlingBurstLimit ?? 400,
      },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationLatency: '$context.integrationLatency',
            principal: '$context.authorizer.claims.sub',
            error: '$context.error.message',
          }),
        ),
      },
    });
    this.url = this.api.apiEndpoint;

    const { authorizer, scopePrefix, userPool, machineClient } = this.#authorizer(props);
    if (userPool) this.userPool = userPool;
    if (machineClient) this.machineClient = machineClient;

    const functions: Record<string, NodejsFunction> = {};
    for (const [name, definition] of Object.entries(definitions)) {
      const fn = this.#function(definition, props, retention);
      functions[name] = fn;
      new lambda.CfnPermission(this, `${definition.logicalId}InvokePermission`, {
        action: 'lambda:InvokeFunction',
        functionName: fn.functionArn,
        principal: 'apigateway.amazonaws.com',
        sourceArn: stack.formatArn({ service: 'execute-api', resource: this.api.apiId, resourceName: '*/*' }),
      });
      const integration = new LambdaProxyIntegration(`${definition.logicalId}Integration`, fn);
      for (const route of definition.routes) {
        const method = route.method as keyof typeof HttpMethod;
        const httpRoute = new HttpRoute(this, `${definition.logicalId}${routeId(route.method, route.path)}`, {
          httpApi: this.api,
          routeKey: HttpRouteKey.with(route.path, HttpMethod[method]),
          integration,
          ...(route.scope === 'public'
            ? { authorizer: new HttpNoneAuthorizer() }
            : {
                authorizer,
                authorizationScopes: ACCEPTED_SCOPES[route.scope].map((s) => `${scopePrefix}${s}`),
              }),
        });
        if (route.scope === 'public') {
          Validations.of(httpRoute).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason: `${route.method} ${route.path} is declared public in infra/platform/functions.ts (a probe clients call before authenticating).`,
          });
        }
      }
    }
    this.functions = functions;
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Only routes declared public in infra/platform/functions.ts (server-info, health probes) have no authorizer; every other route requires a JWT with its scope.',
    });
    new CfnOutput(this, 'ApiUrl', { value: this.url, description: 'MLFLOW_TRACKING_URI / MLOPS_API_URL' });
  }

  #authorizer(props: MlopsHttpApiProps): {
    authorizer: HttpJwtAuthorizer;
    scopePrefix: string;
    userPool?: cognito.UserPool;
    machineClient?: cognito.UserPoolClient;
  } {
    if (props.oidc) {
      return {
        authorizer: new HttpJwtAuthorizer('JwtAuthorizer', props.oidc.issuer, {
          jwtAudience: [...props.oidc.audience],
        }),
        scopePrefix: props.oidc.scopePrefix ?? 'mlops/',
      };
    }
    const userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const resourceServer = userPool.addResourceServer('ResourceServer', {
      identifier: 'mlops',
      scopes: [
        new cognito.ResourceServerScope({
          scopeName: 'read',
          scopeDescription: 'Read tracking, registry and platform data',
        }),
        new cognito.ResourceServerScope({
          scopeName: 'write',
          scopeDescription: 'Log runs, register models',
        }),
        new cognito.ResourceServerScope({
          scopeName: 'admin',
          scopeDescription: 'Administrative operations',
        }),
      ],
    });
    const scopes = ['read', 'write', 'admin'].map((scopeName) =>
      cognito.OAuthScope.resourceServer(
        resourceServer,
        new cognito.ResourceServerScope({ scopeName, scopeDescription: scopeName }),
      ),
    );
    userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: `mlops-${props.stage}-${Aws.ACCOUNT_ID}` },
    });
    const machineClient = userPool.addClient('MachineClient', {
      generateSecret: true,
      authFlows: {},
      oAuth: { flows: { clientCredentials: true }, scopes },
      accessTokenValidity: Duration.hours(1),
    });
    Validations.of(userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'API callers are mostly machine clients (client-credentials flow, no MFA possible); MFA is optional for human users.',
    });
    Validations.of(userPool).acknowledge({
      id: 'AwsSolutions-COG3',
      reason:
        'Threat protection needs the Plus feature plan; left to the operator, as it is a per-user cost.',
    });
    Validations.of(userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'The Plus feature plan is a per-user cost; left to the operator (it can be enabled on the pool at any time).',
    });
    new CfnOutput(this, 'UserPoolId', { value: userPool.userPoolId });
    new CfnOutput(this, 'MachineClientId', { value: machineClient.userPoolClientId });
    return {
      authorizer: new HttpJwtAuthorizer(
        'JwtAuthorizer',
        `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${userPool.userPoolId}`,
        { jwtAudience: [machineClient.userPoolClientId] },
      ),
      scopePrefix: 'mlops/',
      userPool,
      machineClient,
    };
  }

  #function(
    definition: FunctionDefinition,
    props: MlopsHttpApiProps,
    retention: logs.RetentionDays,
  ): NodejsFunction {
    const kit = new KitFunction(this, definition.logicalId, {
      entry: definition.entry,
      description: definition.description,
      stage: props.stage,
      data: { key: props.encryptionKey, tables: props.tables, buckets: props.buckets },
      tables: definition.tables,
      buckets: definition.buckets,
      ...(definition.memoryMb !== undefined ? { memoryMb: definition.memoryMb } : {}),
      ...(definition.timeoutSeconds !== undefined ? { timeoutSeconds: definition.timeoutSeconds } : {}),
      ...(definition.invokesSageMakerEndpoints
        ? { invokesSageMakerEndpoints: definition.invokesSageMakerEndpoints }
        : {}),
      logRetention: retention,
    });
    return kit.function;
  }
}

function routeId(method: string, path: string): string {
  const words = `${method} ${path}`
    .replace(/\{proxy\+\}/g, ' proxy ')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1));
  return words.join('');
}
