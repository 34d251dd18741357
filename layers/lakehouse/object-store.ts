/**
 * The object storage port: everything the lakehouse reads or writes under a table's root goes
 * through it. Keys are relative to the root (`_delta_log/00000000000000000000.json`,
 * `part=1/part-00000-<uuid>.snappy.parquet`).
 *
 * Every implementation guarantees:
 * - `get` returns undefined for a missing object and the whole object otherwise;
 * - `getRange` returns exactly bytes `[start, end)` of an existing object;
 * - `put` replaces the object atomically (readers see the old or the new body, never a mix);
 * - `putIfAbsent` creates the object only when no object has the key, atomically, and says whether
 *   it did; implementations that cannot guarantee atomicity (S3 stand-ins without If-None-Match)
 *   must not be used with a log store that relies on it;
 * - `list` yields every object under a prefix in lexicographic key order, starting after `startAfter`.
 */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface ObjectStore {
  /** The root as a URI (`s3://bucket/prefix/table` or `file:///dir`), without a trailing slash. */
  readonly root: string;
  get(key: string): Promise<Uint8Array | undefined>;
  getRange(key: string, start: number, end: number): Promise<Uint8Array>;
  head(key: string): Promise<ObjectInfo | undefined>;
  put(key: string, body: Uint8Array | string): Promise<void>;
  putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean>;
  list(prefix: string, startAfter?: string): AsyncIterable<ObjectInfo>;
  delete(keys: readonly string[]): Promise<void>;
}

/** Collects `list` into an array. */
export async function listAll(
  store: ObjectStore,
  prefix: string,
  startAfter?: string,
): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of store.list(prefix, startAfter)) out.push(info);
  return out;
}
