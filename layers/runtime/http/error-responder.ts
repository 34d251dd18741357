/**
 * The one middleware that turns errors into HTTP responses, in MLflow's error format.
 *
 * A KitError answers with its code's status and its message; DynamoDB throttling answers 429 with
 * `Retry-After`; anything else is an internal error whose message is logged, never returned.
 */
import type { MiddlewareObj } from '@middy/core';
import { isKitError } from '../errors.ts';
import { errorResponse } from './responses.ts';
import type { HttpEvent, HttpResult } from './types.ts';

export interface ErrorResponderOptions {
  /** Where unexpected errors are reported. @default console.error */
  readonly log?: (message: string, error: unknown) => void;
}

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'SlowDown',
  'TooManyRequestsException',
]);

/** Maps an error to the response the client sees. */
export function errorToResponse(error: unknown, log: ErrorResponderOptions['log'] = defaultLog): HttpResult {
  if (isKitError(error)) {
    if (error.statusCode >= 500) log('request failed', error);
    const message =
      error.statusCode >= 500 && error.code === 'INTERNAL_ERROR' ? 'Internal error' : error.message;
    return errorResponse(error.statusCode, error.code, message, { ...error.headers });
  }
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && THROTTLING.has(name)) {
    return errorResponse(429, 'REQUEST_LIMIT_EXCEEDED', 'Request rate exceeded, retry later', {
      'Retry-After': '1',
    });
  }
  log('request failed', error);
  return errorResponse(500, 'INTERNAL_ERROR', 'Internal error');
}

export function errorResponder(options: ErrorResponderOptions = {}): MiddlewareObj<HttpEvent, HttpResult> {
  const log = options.log ?? defaultLog;
  return {
    onError: async (request) => {
      request.response = errorToResponse(request.error, log);
    },
  };
}

function defaultLog(message: string, error: unknown): void {
  console.error(JSON.stringify({ level: 'ERROR', message, error: describe(error) }));
}

function describe(error: unknown): unknown {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return error;
}
