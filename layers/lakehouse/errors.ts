/**
 * The lakehouse's error classes. Each is a KitError (stable `code`, `cause` kept), so the HTTP edge
 * and the CLI report them without knowing the lakehouse. Step Functions match the class `name`.
 */
import { KitError, type KitErrorOptions } from '../runtime/errors.ts';

/**
 * Another writer committed first and this transaction cannot be rebased onto its commit (it read
 * data that the winner changed, or the winner changed the protocol or the metadata).
 */
export class CommitConflictError extends KitError {
  override readonly name = 'CommitConflictError';
  constructor(
    message: string,
    readonly version: number,
    options?: KitErrorOptions,
  ) {
    super('RESOURCE_CONFLICT', message, options);
  }
}

/** The table location holds no Delta table (no `_delta_log/` commits). */
export class TableNotFoundError extends KitError {
  override readonly name = 'TableNotFoundError';
  constructor(message: string, options?: KitErrorOptions) {
    super('RESOURCE_DOES_NOT_EXIST', message, options);
  }
}

/** `createTable` on a location that already holds a table. */
export class TableExistsError extends KitError {
  override readonly name = 'TableExistsError';
  constructor(message: string, options?: KitErrorOptions) {
    super('RESOURCE_ALREADY_EXISTS', message, options);
  }
}

/** Data that does not match the table's schema; the message names the column. */
export class SchemaMismatchError extends KitError {
  override readonly name = 'SchemaMismatchError';
  constructor(
    message: string,
    readonly column: string,
    options?: KitErrorOptions,
  ) {
    super('INVALID_PARAMETER_VALUE', message, options);
  }
}

/** The table needs a protocol version or table feature this reader/writer does not implement. */
export class UnsupportedFeatureError extends KitError {
  override readonly name = 'UnsupportedFeatureError';
  constructor(message: string, options?: KitErrorOptions) {
    super('INVALID_STATE', message, options);
  }
}

/** The Delta log or a data file is not valid (missing protocol/metadata, version gap, bad Parquet). */
export class CorruptTableError extends KitError {
  override readonly name = 'CorruptTableError';
  constructor(message: string, options?: KitErrorOptions) {
    super('INVALID_STATE', message, options);
  }
}

/** A table location outside the allowed bucket, or an unparsable URI. */
export class InvalidTableLocationError extends KitError {
  override readonly name = 'InvalidTableLocationError';
  constructor(message: string, options?: KitErrorOptions) {
    super('INVALID_PARAMETER_VALUE', message, options);
  }
}
