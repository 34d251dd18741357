/**
 * The error hierarchy shared by every function and the CLI.
 *
 * Each error carries a stable `code` (MLflow's error codes, since the kit's HTTP APIs answer in
 * MLflow's `{"error_code", "message"}` format) and keeps the underlying `cause`. Exactly one place
 * turns them into HTTP responses (`http/error-responder.ts`) and one into CLI exits. Step Functions
 * `Retry`/`Catch` clauses match the class `name`, so renaming a class is a breaking change.
 */

/** MLflow's error codes and the HTTP status each maps to (mlflow/protos/databricks.proto, handlers.py). */
export const ERROR_STATUS = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  MALFORMED_REQUEST: 400,
  INVALID_STATE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_CONFLICT: 409,
  TEMPORARILY_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface KitErrorOptions {
  readonly cause?: unknown;
  /** Extra response headers, e.g. `Retry-After` for throttling. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Base class of every error the kit raises on purpose. */
export class KitError extends Error {
  override readonly name: string = 'KitError';
  readonly code: ErrorCode;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, options: KitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.headers = options.headers ?? {};
  }

  get statusCode(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Input that does not satisfy the API's contract. */
export class InvalidParameterError extends KitError {
  override readonly name = 'InvalidParameterError';
  constructor(message: string, options?: KitErrorOptions) {
    super('INVALID_PARAMETER_VALUE', message, options);
  }
}

/** A request body that is not valid JSON or not of the expected shape at all. */
export class MalformedRequestError extends KitError {
  override readonly name = 'MalformedRequestError';
  constructor(message: string, options?: KitErrorOptions) {
    super('MALFORMED_REQUEST', message, options);
  }
}

export class NotFoundError extends KitError {
  override readonly name = 'NotFoundError';
  constructor(message: string, options?: KitErrorOptions) {
    super('RESOURCE_DOES_NOT_EXIST', message, options);
  }
}

export class AlreadyExistsError extends KitError {
  override readonly name = 'AlreadyExistsError';
  constructor(message: string, options?: KitErrorOptions) {
    super('RESOURCE_ALREADY_EXISTS', message, options);
  }
}

export class InvalidStateError extends KitError {
  override readonly name = 'InvalidStateError';
  constructor(message: string, options?: KitErrorOptions) {
    super('INVALID_STATE', message, options);
  }
}

export class PermissionDeniedError extends KitError {
  override readonly name = 'PermissionDeniedError';
  constructor(message: string, options?: KitErrorOptions) {
    super('PERMISSION_DENIED', message, options);
  }
}

export class UnauthenticatedError extends KitError {
  override readonly name = 'UnauthenticatedError';
  constructor(message: string, options?: KitErrorOptions) {
    super('UNAUTHENTICATED', message, options);
  }
}

/** A downstream service throttled the request; the caller should retry after `retryAfterSeconds`. */
export class ThrottledError extends KitError {
  override readonly name = 'ThrottledError';
  constructor(message: string, retryAfterSeconds = 1, options: KitErrorOptions = {}) {
    super('REQUEST_LIMIT_EXCEEDED', message, {
      ...options,
      headers: { ...options.headers, 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

/** Settings or environment the kit needs are missing or wrong. */
export class ConfigurationError extends KitError {
  override readonly name = 'ConfigurationError';
  constructor(message: string, options?: KitErrorOptions) {
    super('INTERNAL_ERROR', message, options);
  }
}

export function isKitError(error: unknown): error is KitError {
  return error instanceof KitError;
}
