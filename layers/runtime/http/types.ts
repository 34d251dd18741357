import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';

/** The event every HTTP function receives: API Gateway HTTP API payload v2 with a JWT authorizer. */
export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;

/** What an HTTP function returns (the structured form of payload v2). */
export type HttpResult = APIGatewayProxyStructuredResultV2;

export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

export type { Context };
