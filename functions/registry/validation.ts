/**
 * MLflow's registry validation rules (mlflow/utils/validation.py), with MLflow's messages, so that a
 * client sees the same error for the same bad input.
 */
import { InvalidParameterError } from '../../layers/runtime/errors.ts';
import { STAGES, type Stage } from './registry-types.ts';

const MAX_NAME_LENGTH = 256;
const MAX_TAG_KEY_LENGTH = 250;
const MAX_TAG_VALUE_LENGTH = 100_000;
const MAX_ALIAS_LENGTH = 255;

/** A registered model name: non-empty, no `/` or `:`, no path traversal. */
export function checkModelName(name: string): string {
  if (name === '') throw new InvalidParameterError('Registered model name cannot be empty.');
  if (name.includes('/') || name.includes(':')) {
    throw new InvalidParameterError(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`);
  }
  if (name === '..' || name === '.' || name.length > MAX_NAME_LENGTH) {
    throw new InvalidParameterError(`Invalid model name '${name}'.`);
  }
  return name;
}

/** A version number: a positive integer given as a string (or a number). */
export function parseVersion(value: string | number): number {
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) {
    throw new InvalidParameterError(`Parameter 'version' must be an integer, got '${value}'.`);
  }
  return Number(text);
}

/** An alias: `^[\w\-]*$`, at most 255 characters, not `latest` (any case) nor `v<digits>`. */
export function checkAlias(alias: string): string {
  if (alias.toLowerCase() === 'latest') {
    throw new InvalidParameterError("'latest' alias name (case insensitive) is reserved.");
  }
  if (/^[vV]\d+$/.test(alias)) {
    throw new InvalidParameterError(`Version alias name '${alias}' is reserved.`);
  }
  if (alias === '' || !/^[\w-]*$/.test(alias) || alias.length > MAX_ALIAS_LENGTH) {
    throw new InvalidParameterError(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_) and dashes (-), at most ${MAX_ALIAS_LENGTH} characters.`,
    );
  }
  return alias;
}

export function checkTag(key: string, value?: string): void {
  if (key === '' || key.length > MAX_TAG_KEY_LENGTH) {
    throw new InvalidParameterError(
      `Tag key '${key}' must be between 1 and ${MAX_TAG_KEY_LENGTH} characters long.`,
    );
  }
  if (value !== undefined && value.length > MAX_TAG_VALUE_LENGTH) {
    throw new InvalidParameterError(
      `Tag value for key '${key}' exceeds the maximum length of ${MAX_TAG_VALUE_LENGTH} characters.`,
    );
  }
}

/** A version's source URI must not step out of its location (`..`, even URL-encoded) nor hold a NUL. */
export function checkSource(source: string): string {
  let decoded = source;
  for (let i = 0; i < 3; i += 1) {
    try {
      const next = decodeURIComponent(decoded);
      if (next === decoded) break;
      decoded = next;
    } catch {
      break;
    }
  }
  const path = decoded.replace(/^[a-zA-Z][\w+.-]*:(\/\/[^/]*)?/, '');
  if (decoded.includes('\0') || path.split(/[/\\]/).includes('..')) {
    throw new InvalidParameterError(
      `Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.`,
    );
  }
  return source;
}

/** A stage name, case-insensitively, in its canonical spelling. */
export function parseStage(stage: string): Stage {
  const found = STAGES.find((candidate) => candidate.toLowerCase() === stage.toLowerCase());
  if (!found) {
    throw new InvalidParameterError(
      `Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`,
    );
  }
  return found;
}
