/**
 * Reading an MLflow request at the edge, as MLflow's server does:
 *
 * - GET: fields come from the query string, repeated keys (`order_by=a&order_by=b`) becoming lists;
 *   with no query string, a JSON body is accepted instead.
 * - POST/PATCH: a JSON object body with `Content-Type: application/json` (anything else is
 *   INVALID_PARAMETER_VALUE). DELETE may carry a JSON body too.
 * - int64 fields accept numbers or numeric strings; doubles also accept "NaN"/"Infinity"/
 *   "-Infinity" and `true`; enums accept names or numbers; unknown fields are ignored.
 */
import { z } from 'zod';
import { InvalidParameterError } from '../../layers/runtime/errors.ts';
import { bodyBytes, validate } from '../../layers/runtime/http/request.ts';
import type { HttpEvent } from '../../layers/runtime/http/types.ts';

/** Largest JSON body accepted (MLflow batches stay far below; Lambda's own limit is 6 MB). */
export const MAX_JSON_BODY_BYTES = 5 * 1024 * 1024;

/** Reads the request's fields; `listFields` are always arrays (a GET may send them once). */
export function requestFields(event: HttpEvent, listFields: readonly string[] = []): Record<string, unknown> {
  const method = event.requestContext.http.method.toUpperCase();
  const raw = bodyBytes(event);
  if (method === 'GET' || method === 'HEAD') {
    if (event.rawQueryString === '' && raw.length > 0) return jsonBody(raw);
    const fields: Record<string, unknown> = {};
    for (const [key, value] of new URLSearchParams(event.rawQueryString)) {
      const existing = fields[key];
      if (existing === undefined) fields[key] = listFields.includes(key) ? [value] : value;
      else fields[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    return fields;
  }
  if (method === 'POST' || method === 'PATCH' || method === 'PUT') {
    const contentType = (event.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') {
      throw new InvalidParameterError("Bad Request. Content-Type must be one of ['application/json'].");
    }
  }
  return raw.length === 0 ? {} : jsonBody(raw);
}

function jsonBody(raw: Buffer): Record<string, unknown> {
  if (raw.length > MAX_JSON_BODY_BYTES) {
    throw new InvalidParameterError(
      `Request body of ${raw.length} bytes exceeds the limit of ${MAX_JSON_BODY_BYTES} bytes`,
    );
  }
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidParameterError(`Malformed JSON request body: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidParameterError('Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Parses an MLflow request with `schema`. */
export function parseRequest<T extends z.ZodType>(
  event: HttpEvent,
  schema: T,
  listFields: readonly string[] = [],
): z.infer<T> {
  return validate(schema, requestFields(event, listFields));
}

export const int64 = z.union([
  z.number().int().refine(Number.isSafeInteger, 'must be a 64-bit integer within ±2^53'),
  z
    .string()
    .regex(/^-?\d{1,16}$/, 'must be an integer')
    .transform(Number),
]);

export const positiveInt = int64.refine((n) => n > 0, 'must be a positive integer');

export const double = z.union([
  z.number(),
  z.literal(true).transform(() => 1),
  z
    .string()
    .refine(
      (text) =>
        (text.trim() !== '' && !Number.isNaN(Number(text))) || /^(NaN|[+-]?Infinity|[+-]?inf)$/i.test(text),
      'must be a number',
    )
    .transform((text) =>
      /^[+-]?inf(inity)?$/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text),
    ),
]);

export const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', 'True', 'False']).transform((text) => text.toLowerCase() === 'true'),
]);

/** An enum given by name or by its proto number. */
export function protoEnum<const T extends readonly [string, ...string[]]>(names: T, firstNumber = 1) {
  return z.union([
    z.enum(names),
    z
      .union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)])
      .refine((n) => n >= firstNumber && n < firstNumber + names.length, 'is not a valid enum value')
      .transform((n) => names[n - firstNumber] as T[number]),
  ]);
}

export const tagSchema = z.object({ key: z.string(), value: z.string() });
export const tagsSchema = z.array(tagSchema).default([]);
export const stringList = z.array(z.string()).default([]);
