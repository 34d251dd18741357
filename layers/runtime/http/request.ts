/**
 * Reading a request at the edge: the JSON body (MLflow clients send JSON, also on GET for a few
 * endpoints), the query string, and the caller's identity. Everything is validated with zod here so
 * that the cores only see typed values.
 */
import type { z } from 'zod';
import { InvalidParameterError, MalformedRequestError } from '../errors.ts';
import type { HttpEvent } from './types.ts';

/** The raw body as a Buffer (API Gateway base64-encodes binary bodies). */
export function bodyBytes(event: Pick<HttpEvent, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** Parses the JSON body (empty body = `{}`) and validates it against `schema`. */
export function parseJsonBody<T extends z.ZodType>(event: HttpEvent, schema: T): z.infer<T> {
  const text = bodyBytes(event).toString('utf8').trim();
  let value: unknown = {};
  if (text !== '') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new MalformedRequestError(`Malformed JSON request body: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedRequestError('Request body must be a JSON object');
  }
  return validate(schema, value);
}

/** Validates the query string parameters against `schema`. */
export function parseQuery<T extends z.ZodType>(event: HttpEvent, schema: T): z.infer<T> {
  return validate(schema, event.queryStringParameters ?? {});
}

/** Validates a value, turning the first problem into an INVALID_PARAMETER_VALUE error that names the field. */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : undefined;
  if (issue?.code === 'invalid_type' && field && valueAt(value, issue.path) === undefined) {
    throw new InvalidParameterError(`Missing value for required parameter '${field}'.`);
  }
  throw new InvalidParameterError(
    field
      ? `Invalid value for parameter '${field}': ${issue?.message}`
      : `Invalid request: ${issue?.message}`,
  );
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

export interface Principal {
  /** Stable identity of the caller: the token's subject (or username), `local-user` locally. */
  readonly id: string;
  readonly scopes: readonly string[];
}

/** The authenticated caller, from the JWT authorizer's claims. */
export function principalOf(event: HttpEvent): Principal {
  const jwt = event.requestContext.authorizer?.jwt;
  const claims = jwt?.claims ?? {};
  const id = String(
    claims.username ?? claims['cognito:username'] ?? claims.sub ?? claims.client_id ?? 'anonymous',
  );
  const scopeClaim = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  const scopes = jwt?.scopes?.length ? jwt.scopes : scopeClaim;
  return { id, scopes };
}
