/**
 * Translation between an HTTP exchange and API Gateway HTTP API payload format 2.0, following
 * API Gateway's documented rules, so that a handler cannot tell the local gateway from AWS:
 *
 * - header names lower-cased, repeated headers joined with commas, cookies moved to `cookies`;
 * - `rawQueryString` as sent, `queryStringParameters` decoded with repeated keys comma-joined;
 * - a body is base64-encoded (`isBase64Encoded: true`) unless its content type is textual;
 * - a response without `statusCode` is taken as JSON with status 200; `cookies` become
 *   `Set-Cookie` headers; `isBase64Encoded` bodies are decoded before they are sent.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import type { HttpEvent } from '../../layers/runtime/http/types.ts';

export interface RawRequest {
  readonly method: string;
  /** Path and query as received, e.g. `/a/b?x=1`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly sourceIp: string;
}

export interface RawResponse {
  readonly statusCode: number;
  /** Header values; an array sends the header once per value. */
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

export interface EventContext {
  readonly routeKey: string;
  readonly pathParameters: Record<string, string>;
  /** JWT claims for routes behind the authorizer; undefined for public routes. */
  readonly claims?: Record<string, string>;
  readonly scopes?: readonly string[];
}

const TEXT_TYPES = [
  /^text\//,
  /^application\/(.+\+)?json/,
  /^application\/(.+\+)?xml/,
  /^application\/javascript/,
  /^application\/x-www-form-urlencoded/,
];

/** Whether API Gateway passes a body of this content type as text (otherwise base64). */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = contentType.toLowerCase();
  return TEXT_TYPES.some((pattern) => pattern.test(type));
}

export function toEvent(request: RawRequest, context: EventContext): HttpEvent {
  const questionMark = request.url.indexOf('?');
  const rawPath = questionMark === -1 ? request.url : request.url.slice(0, questionMark);
  const rawQueryString = questionMark === -1 ? '' : request.url.slice(questionMark + 1);
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const joined = Array.isArray(value) ? value.join(',') : value;
    if (lower === 'cookie') {
      cookies = joined
        .split(';')
        .map((cookie) => cookie.trim())
        .filter(Boolean);
      continue;
    }
    headers[lower] = joined;
  }
  const query = parseQueryString(rawQueryString);
  const now = new Date();
  const requestId = randomUUID();
  const textual = isTextContentType(headers['content-type']);
  const hasBody = request.body.length > 0;
  const event: HttpEvent = {
    version: '2.0',
    routeKey: context.routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: context.routeKey,
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: context.claims ?? {}, scopes: [...(context.scopes ?? [])] },
      },
    },
    isBase64Encoded: hasBody && !textual,
  };
  if (!context.claims) delete (event.requestContext as { authorizer?: unknown }).authorizer;
  if (cookies?.length) event.cookies = cookies;
  if (Object.keys(query).length > 0) event.queryStringParameters = query;
  if (Object.keys(context.pathParameters).length > 0) event.pathParameters = context.pathParameters;
  if (hasBody) event.body = textual ? request.body.toString('utf8') : request.body.toString('base64');
  return event;
}

/** Turns a handler's payload v2 result into the HTTP response API Gateway would send. */
export function fromResult(result: APIGatewayProxyResultV2 | undefined): RawResponse {
  if (result === undefined || result === null) {
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.alloc(0) };
  }
  if (typeof result === 'string' || typeof result !== 'object' || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(body, 'utf8'),
    };
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = [...result.cookies];
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : result.isBase64Encoded
        ? Buffer.from(result.body, 'base64')
        : Buffer.from(result.body, 'utf8');
  return { statusCode: result.statusCode ?? 200, headers, body };
}

/** API Gateway's `requestContext.time` format: `12/Mar/2020:19:03:58 +0000`. */
function formatRequestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function parseQueryString(raw: string): Record<string, string> {
  const result: Record<string, string> = {};
  if (raw === '') return result;
  for (const [key, value] of new URLSearchParams(raw)) {
    result[key] = key in result ? `${result[key]},${value}` : value;
  }
  return result;
}
