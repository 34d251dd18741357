/**
 * The feature store's error classes. Each is a KitError (stable `code`, `cause` kept), so the HTTP
 * edge and the CLI report them without knowing the feature store.
 */
import { KitError, type KitErrorOptions } from '../runtime/errors.ts';

/** Where in a definitions file a problem is, and what it is. */
export interface DefinitionIssue {
  /** Dotted path of the field, e.g. `featureViews[0].features[1].type`. */
  readonly path: string;
  /** 1-based line and column in the file, when the field (or its parent) exists there. */
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/** A definitions file that does not parse or validate; every issue names its line and field. */
export class DefinitionError extends KitError {
  override readonly name = 'DefinitionError';
  readonly issues: readonly DefinitionIssue[];

  constructor(source: string, issues: readonly DefinitionIssue[], options?: KitErrorOptions) {
    super(
      'INVALID_PARAMETER_VALUE',
      `${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${issues
        .map((issue) => `  ${formatIssue(source, issue)}`)
        .join('\n')}`,
      options,
    );
    this.issues = issues;
  }
}

/** `defs.yaml:12:7 featureViews[0].ttl: ttl must look like ...` */
export function formatIssue(source: string, issue: DefinitionIssue): string {
  const where = issue.line === undefined ? source : `${source}:${issue.line}:${issue.column ?? 1}`;
  return `${where} ${issue.path === '' ? '' : `${issue.path}: `}${issue.message}`;
}

/** A feature object (entity, view, service) or a version of it that is not registered. */
export class FeatureObjectNotFoundError extends KitError {
  override readonly name = 'FeatureObjectNotFoundError';
  constructor(message: string, options?: KitErrorOptions) {
    super('RESOURCE_DOES_NOT_EXIST', message, options);
  }
}

/** Another apply changed the same object concurrently; re-run plan and apply. */
export class FeatureRegistryConflictError extends KitError {
  override readonly name = 'FeatureRegistryConflictError';
  constructor(message: string, options?: KitErrorOptions) {
    super('RESOURCE_CONFLICT', message, options);
  }
}

/** Input data (an entity table, a source table) that does not fit the feature definitions. */
export class FeatureDataError extends KitError {
  override readonly name = 'FeatureDataError';
  constructor(message: string, options?: KitErrorOptions) {
    super('INVALID_PARAMETER_VALUE', message, options);
  }
}
