/**
 * Byte-for-byte check of a promotion's copy: every file under the source version's location must be
 * under the target version's location with the same SHA-256, and nothing else. Each side is read
 * with its own S3 client — the source with the source stage's promotion role (or, without it, with
 * the target's role through the cross-account grant on the approved prefix), the target with the
 * target's role.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** Where a version's artifacts are: a bucket and a key prefix. */
export interface ArtifactLocation {
  readonly client: S3Client;
  readonly bucket: string;
  /** The version's `source` (`mlflow-artifacts:/…` or `s3://bucket/…`). */
  readonly source: string;
}

export interface CopyCheck {
  readonly files: number;
  readonly bytes: number;
}

/** A copy that differs from its source. */
export class CopyMismatchError extends Error {
  override readonly name = 'CopyMismatchError';
}

/** The S3 key prefix of a version source (the registry's layout: `mlflow-artifacts/` is the proxy root). */
export function artifactPrefix(source: string, bucket: string): string {
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(source);
  if (proxied) return `mlflow-artifacts/${(proxied[1] ?? '').replace(/\/+$/, '')}`;
  const s3 = /^s3:\/\/([^/]+)\/(.*)$/.exec(source);
  if (s3 && s3[1] === bucket) return (s3[2] ?? '').replace(/\/+$/, '');
  throw new CopyMismatchError(`cannot locate artifacts of source ${source} in bucket ${bucket}`);
}

async function digests(location: ArtifactLocation): Promise<Map<string, { sha256: string; size: number }>> {
  const prefix = artifactPrefix(location.source, location.bucket);
  const found = new Map<string, { sha256: string; size: number }>();
  let token: string | undefined;
  do {
    const page = await location.client.send(
      new ListObjectsV2Command({ Bucket: location.bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      const body = await location.client.send(
        new GetObjectCommand({ Bucket: location.bucket, Key: object.Key }),
      );
      const bytes = await body.Body!.transformToByteArray();
      found.set(object.Key.slice(prefix.length + 1), {
        sha256: createHash('sha256').update(bytes).digest('hex'),
        size: bytes.length,
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (found.size === 0) {
    // A version whose source is a single object rather than a folder.
    const body = await location.client.send(new GetObjectCommand({ Bucket: location.bucket, Key: prefix }));
    const bytes = await body.Body!.transformToByteArray();
    found.set(prefix.slice(prefix.lastIndexOf('/') + 1), {
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length,
    });
  }
  return found;
}

/** Compares source and target; throws CopyMismatchError naming the first difference. */
export async function verifyCopy(source: ArtifactLocation, target: ArtifactLocation): Promise<CopyCheck> {
  const [from, to] = await Promise.all([digests(source), digests(target)]);
  for (const [path, file] of from) {
    const copy = to.get(path);
    if (!copy) throw new CopyMismatchError(`${path} is missing from the target`);
    if (copy.sha256 !== file.sha256) throw new CopyMismatchError(`${path} differs from the source (sha256)`);
  }
  for (const path of to.keys()) {
    if (!from.has(path)) throw new CopyMismatchError(`${path} is in the target but not in the source`);
  }
  return { files: from.size, bytes: [...from.values()].reduce((sum, file) => sum + file.size, 0) };
}
