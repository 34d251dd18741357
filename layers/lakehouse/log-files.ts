/**
 * Discovery of a table's log: which commit and checkpoint files exist in `_delta_log/`, and the
 * newest checkpoint usable for a version. Readers ignore everything else there — Spark's and the
 * kit's `.tmp/` temp commits, delta-rs `_commit_<uuid>.json.tmp`, `.crc`, compacted logs,
 * `_staged_commits/` and sidecar folders.
 */
import { LOG_DIR } from './actions.ts';
import type { ObjectInfo, ObjectStore } from './object-store.ts';

export interface CheckpointRef {
  readonly version: number;
  /** Keys of the checkpoint's parts, in part order (one for a classic checkpoint). */
  readonly keys: readonly string[];
}

export interface LogListing {
  /** Commit files by version. */
  readonly commits: ReadonlyMap<number, ObjectInfo>;
  /** Complete checkpoints, oldest first. */
  readonly checkpoints: readonly CheckpointRef[];
}

const COMMIT = /^(\d{20})\.json$/;
const SINGLE_CHECKPOINT = /^(\d{20})\.checkpoint\.parquet$/;
const MULTI_CHECKPOINT = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;

/** Lists `_delta_log/` (paginated; keys sort by version thanks to zero padding). */
export async function listLog(objects: ObjectStore, startAfterVersion?: number): Promise<LogListing> {
  const commits = new Map<number, ObjectInfo>();
  const single = new Map<number, string>();
  const multi = new Map<number, { total: number; parts: Map<number, string> }>();
  const startAfter =
    startAfterVersion !== undefined && startAfterVersion >= 0
      ? `${LOG_DIR}/${String(startAfterVersion).padStart(20, '0')}`
      : undefined;
  for await (const info of objects.list(`${LOG_DIR}/`, startAfter)) {
    const name = info.key.slice(LOG_DIR.length + 1);
    if (name.includes('/')) continue;
    let match = COMMIT.exec(name);
    if (match) {
      commits.set(Number(match[1]), info);
      continue;
    }
    match = SINGLE_CHECKPOINT.exec(name);
    if (match) {
      single.set(Number(match[1]), info.key);
      continue;
    }
    match = MULTI_CHECKPOINT.exec(name);
    if (match) {
      const version = Number(match[1]);
      const entry = multi.get(version) ?? { total: Number(match[3]), parts: new Map<number, string>() };
      if (entry.total === Number(match[3])) entry.parts.set(Number(match[2]), info.key);
      multi.set(version, entry);
    }
  }
  const checkpoints: CheckpointRef[] = [...single].map(([version, key]) => ({ version, keys: [key] }));
  for (const [version, entry] of multi) {
    // Readers must ignore multi-part checkpoints with missing parts.
    if (single.has(version) || entry.parts.size !== entry.total) continue;
    const keys = [...entry.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, key]) => key);
    checkpoints.push({ version, keys });
  }
  checkpoints.sort((a, b) => a.version - b.version);
  return { commits, checkpoints };
}

/** Reads `_last_checkpoint`'s version; undefined when missing or unreadable (readers must tolerate both). */
export async function readLastCheckpointVersion(objects: ObjectStore): Promise<number | undefined> {
  try {
    const body = await objects.get(`${LOG_DIR}/_last_checkpoint`);
    if (!body || body.length === 0) return undefined;
    const parsed = JSON.parse(new TextDecoder().decode(body)) as { version?: unknown };
    return typeof parsed.version === 'number' && Number.isInteger(parsed.version)
      ? parsed.version
      : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `fn` over items with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}
