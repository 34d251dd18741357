/**
 * Optimistic transactions: a commit at `readVersion + 1`, and when another writer took that version,
 * the protocol's conflict checks against each winning commit before retrying one version later.
 *
 * - A winning commit that changed the protocol or the metadata always conflicts.
 * - A winning commit with a `txn` for our appId at our version or later means our write already
 *   happened: nothing is committed (idempotent retries).
 * - Blind appends (no reads) never conflict otherwise and are retried automatically.
 * - A transaction that read files (overwrite, merge, optimize) conflicts when a winner removed a
 *   file it read, or added data in a non-blind commit where it read; a concurrent blind append is
 *   allowed (WriteSerializable, as Delta's default isolation level).
 */
import type { Action, AddFile, CommitInfo, RemoveFile, Txn } from './actions.ts';
import { serializeCommit } from './actions.ts';
import { writeCheckpointIfDue } from './checkpoint.ts';
import { CommitConflictError } from './errors.ts';
import { latestVersion, readCommit, type TableHandle } from './snapshot.ts';

export const ENGINE_INFO = 'mlops-kit/0.1.0';

export interface CommitRequest {
  /** Version the transaction read; -1 when creating the table. */
  readonly readVersion: number;
  /** Actions other than commitInfo. */
  readonly actions: readonly Action[];
  readonly operation: string;
  readonly operationParameters?: Readonly<Record<string, unknown>>;
  readonly operationMetrics?: Readonly<Record<string, string>>;
  /** True when the transaction only adds files and read nothing. */
  readonly isBlindAppend: boolean;
  /** Paths of files this transaction read (decoded); conflicts if a winner removes one. */
  readonly readFiles?: ReadonlySet<string>;
  /** Whether an added file of a non-blind winning commit touches what this transaction read. */
  readonly readsAdded?: (file: AddFile) => boolean;
  /** `delta.checkpointInterval` of the table. @default 10 */
  readonly checkpointInterval?: number;
  /** Attempts before giving up on a contended table. @default 1000 for blind appends, 50 otherwise */
  readonly maxAttempts?: number;
}

export interface CommitResult {
  /** The committed version (or, when skipped, the version that already holds this write). */
  readonly version: number;
  /** True when an identical (appId, version) write had already been committed. */
  readonly skipped: boolean;
}

/** Commits the actions, retrying at later versions while the protocol allows. */
export async function commit(table: TableHandle, request: CommitRequest): Promise<CommitResult> {
  const ourTxn = request.actions.find((a): a is { txn: Txn } => 'txn' in a)?.txn;
  const maxAttempts = request.maxAttempts ?? (request.isBlindAppend ? 1000 : 50);
  let version = request.readVersion + 1;
  for (let attempt = 1; ; attempt++) {
    const commitInfo: CommitInfo = {
      timestamp: Date.now(),
      operation: request.operation,
      operationParameters: request.operationParameters ?? {},
      readVersion: request.readVersion >= 0 ? request.readVersion : undefined,
      isolationLevel: request.isBlindAppend ? 'WriteSerializable' : 'Serializable',
      isBlindAppend: request.isBlindAppend,
      operationMetrics: request.operationMetrics ?? {},
      engineInfo: ENGINE_INFO,
      txnId: crypto.randomUUID(),
    };
    try {
      await table.log.write(version, serializeCommit([{ commitInfo }, ...request.actions]));
      await writeCheckpointIfDue(table, version, request.checkpointInterval ?? 10);
      return { version, skipped: false };
    } catch (error) {
      if (!(error instanceof CommitConflictError)) throw error;
      if (request.readVersion < 0) throw error;
      if (attempt >= maxAttempts) {
        throw new CommitConflictError(
          `gave up committing to ${table.objects.root} after ${attempt} attempts (version ${version} taken)`,
          version,
          { cause: error },
        );
      }
    }
    const latest = await latestVersion(table);
    for (let winner = version; winner <= latest; winner++) {
      const outcome = checkWinner(await readCommit(table.objects, winner), winner, request, ourTxn);
      if (outcome === 'already-committed') return { version: winner, skipped: true };
    }
    version = latest + 1;
    // Jittered backoff so that a writer that keeps losing gets its turn (delta-rs#3066).
    await new Promise((resolve) =>
      setTimeout(resolve, Math.random() * Math.min(250, 5 * 2 ** Math.min(attempt, 6))),
    );
  }
}

function checkWinner(
  actions: readonly Action[],
  winner: number,
  request: CommitRequest,
  ourTxn: Txn | undefined,
): 'ok' | 'already-committed' {
  const info = actions.find((a): a is { commitInfo: CommitInfo } => 'commitInfo' in a)?.commitInfo;
  const conflict = (why: string) =>
    new CommitConflictError(`concurrent commit ${winner} ${why}; re-read the table and retry`, winner);
  for (const action of actions) {
    if ('protocol' in action) throw conflict('changed the protocol');
    if ('metaData' in action) throw conflict('changed the table metadata');
    if ('txn' in action && ourTxn) {
      const txn = action.txn as Txn;
      if (txn.appId === ourTxn.appId && Number(txn.version) >= ourTxn.version) return 'already-committed';
    }
  }
  if (request.isBlindAppend) return 'ok';
  const winnerIsBlind = info?.isBlindAppend === true;
  for (const action of actions) {
    if ('remove' in action) {
      const remove = action.remove as RemoveFile;
      if (request.readFiles?.has(decodeURIComponent(remove.path)))
        throw conflict(`removed ${remove.path}, which this write read`);
    }
    if ('add' in action && !winnerIsBlind) {
      const add = action.add as AddFile;
      if (add.dataChange !== false && (request.readsAdded?.(add) ?? true)) {
        throw conflict(`added data (${add.path}) where this write read`);
      }
    }
  }
  return 'ok';
}
