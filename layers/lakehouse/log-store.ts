/**
 * The commit port: how a new `_delta_log/N.json` comes into existence exactly once.
 *
 * Every implementation guarantees:
 * - `write(N)` makes commit N durable and visible to readers, or throws. When another writer
 *   already holds N it throws `CommitConflictError` and changes nothing; the caller re-reads the
 *   log, checks for conflicts and retries at a later version.
 * - `latestVersion()` returns the newest committed version it knows (repairing an unfinished commit
 *   first), or undefined when it keeps no record of the table (then readers list `_delta_log/`).
 */
import { commitFileName, LOG_DIR } from './actions.ts';
import { CommitConflictError } from './errors.ts';
import type { ObjectStore } from './object-store.ts';

export interface LogStore {
  latestVersion(): Promise<number | undefined>;
  write(version: number, content: string): Promise<void>;
}

/**
 * Put-if-absent of `N.json` on the object store itself: a local directory (exclusive create) or AWS
 * S3 (`If-None-Match: *`, what delta-rs 1.x does). Knows no version on its own.
 */
export class PutIfAbsentLogStore implements LogStore {
  constructor(private readonly objects: ObjectStore) {}

  async latestVersion(): Promise<number | undefined> {
    return undefined;
  }

  async write(version: number, content: string): Promise<void> {
    const created = await this.objects.putIfAbsent(`${LOG_DIR}/${commitFileName(version)}`, content);
    if (!created)
      throw new CommitConflictError(`version ${version} of ${this.objects.root} already exists`, version);
  }
}
