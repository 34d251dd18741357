/**
 * The registry's storage port. The core decides what may change; the store makes each change with
 * one atomic single-item write, so that concurrent requests never lose an update:
 *
 * - `createModel` and `putVersion` are put-if-absent: a taken name or version number throws
 *   `AlreadyExistsError` (model) or `VersionConflictError` (version) and writes nothing.
 * - `allocateVersion` increments the model's version counter atomically and returns the new value;
 *   every call returns a distinct number, 20 concurrent calls on a new model return 1..20 once each.
 *   A number whose `putVersion` never happens (the caller crashed) stays unused: versions are unique
 *   and increasing, not necessarily gap-free.
 * - `setAlias`/`deleteAlias` change one entry of the model's alias map atomically and return the
 *   version the alias pointed to just before this write (last writer wins between racing moves, and
 *   each mover learns exactly what it replaced).
 * - Updates of a missing model or version throw `NotFoundError` and write nothing.
 * - Reads after a completed write see it (strongly consistent reads on the base table; the listing
 *   indexes are eventually consistent in AWS and are used only for search).
 */
import { KitError } from '../../layers/runtime/errors.ts';
import type { ModelVersion, RegisteredModel, Stage } from './registry-types.ts';

/** A conditional write lost a race (a version number taken, an item changed meanwhile). */
export class VersionConflictError extends KitError {
  override readonly name = 'VersionConflictError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('RESOURCE_CONFLICT', message, options);
  }
}

export interface ModelChanges {
  readonly description?: string;
  readonly lastUpdatedTimestamp: number;
}

export interface VersionChanges {
  readonly description?: string;
  readonly currentStage?: Stage;
  readonly lastUpdatedTimestamp: number;
}

export interface RegistryStore {
  createModel(model: RegisteredModel): Promise<void>;
  getModel(name: string): Promise<RegisteredModel | undefined>;
  /** The model and all its versions (one partition read). */
  getModelWithVersions(
    name: string,
  ): Promise<{ model: RegisteredModel; versions: ModelVersion[] } | undefined>;
  listModels(): Promise<RegisteredModel[]>;
  updateModel(name: string, changes: ModelChanges): Promise<RegisteredModel>;
  /** Sets a tag; returns the previous value. */
  setModelTag(name: string, key: string, value: string, now: number): Promise<string | undefined>;
  /** Removes a tag; returns the removed value (undefined when there was none). */
  deleteModelTag(name: string, key: string, now: number): Promise<string | undefined>;
  setAlias(name: string, alias: string, version: number, now: number): Promise<number | undefined>;
  /** Removes an alias only while it still points at `expected` (when given); returns what it pointed at. */
  deleteAlias(name: string, alias: string, now: number, expected?: number): Promise<number | undefined>;
  /** Moves the model and its versions to `newName` (the old name is gone afterwards). */
  renameModel(name: string, newName: string, now: number): Promise<void>;
  /** Deletes the model and every version of it. */
  deleteModel(name: string): Promise<void>;

  allocateVersion(name: string, now: number): Promise<number>;
  putVersion(version: ModelVersion): Promise<void>;
  getVersion(name: string, version: number): Promise<ModelVersion | undefined>;
  listVersions(name: string): Promise<ModelVersion[]>;
  listAllVersions(): Promise<ModelVersion[]>;
  listVersionsByRun(runId: string): Promise<ModelVersion[]>;
  updateVersion(name: string, version: number, changes: VersionChanges): Promise<ModelVersion>;
  setVersionTag(
    name: string,
    version: number,
    key: string,
    value: string,
    now: number,
  ): Promise<string | undefined>;
  deleteVersionTag(name: string, version: number, key: string, now: number): Promise<string | undefined>;
  deleteVersion(name: string, version: number): Promise<void>;
}
