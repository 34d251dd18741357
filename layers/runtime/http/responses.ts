import type { HttpResult } from './types.ts';

/** A JSON response with the given status. */
export function jsonResponse(
  body: unknown,
  statusCode = 200,
  headers: Record<string, string> = {},
): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** The MLflow error body: `{"error_code": ..., "message": ...}`. */
export function errorResponse(
  statusCode: number,
  errorCode: string,
  message: string,
  headers: Record<string, string> = {},
): HttpResult {
  return jsonResponse({ error_code: errorCode, message }, statusCode, headers);
}
