/**
 * fauxqs as the local S3, storing objects as plain files under `<data-dir>/s3`, and the platform's
 * buckets created from the shared definitions.
 */
import { CreateBucketCommand, HeadBucketCommand, NotFound, type S3Client } from '@aws-sdk/client-s3';
import { startFauxqs } from 'fauxqs';

export interface LocalS3 {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Starts fauxqs on loopback. `storageDir` undefined keeps objects in memory. */
export async function startLocalS3(options: { port: number; storageDir?: string }): Promise<LocalS3> {
  const server = await startFauxqs({
    port: options.port,
    host: '127.0.0.1',
    logger: false,
    ...(options.storageDir ? { s3StorageDir: options.storageDir } : {}),
  });
  return { endpoint: `http://127.0.0.1:${server.port}`, close: () => server.stop() };
}

/** Creates each bucket unless it exists already. Returns the names it created. */
export async function ensureBuckets(client: S3Client, names: readonly string[]): Promise<string[]> {
  const created: string[] = [];
  for (const name of names) {
    try {
      await client.send(new HeadBucketCommand({ Bucket: name }));
      continue;
    } catch (error) {
      if (
        !(error instanceof NotFound) &&
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404
      ) {
        throw error;
      }
    }
    // In us-east-1, CreateBucket on a bucket one already owns succeeds, so HeadBucket decides "created".
    await client.send(new CreateBucketCommand({ Bucket: name }));
    created.push(name);
  }
  return created;
}
