/**
 * The artifact store behind the `mlflow-artifacts` proxy: S3, under the `mlflow-artifacts/` prefix of
 * the artifacts bucket. `mlflow-artifacts:/<path>` URIs (what runs and logged models carry as
 * artifact_uri) map to `s3://<artifacts bucket>/mlflow-artifacts/<path>`.
 *
 * Bytes never have to pass through Lambda on the way out: downloads are presigned GET URLs (the
 * handler answers 302), and large uploads use S3 multipart with presigned part URLs.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { InvalidParameterError, NotFoundError } from '../../layers/runtime/errors.ts';

export const ARTIFACT_PREFIX = 'mlflow-artifacts/';
const PRESIGN_SECONDS = 900;

export interface FileInfo {
  readonly path: string;
  readonly is_dir: boolean;
  readonly file_size?: number;
}

/** The path inside the artifact root of an `mlflow-artifacts:/...` URI (host part ignored). */
export function artifactPathOf(uri: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(uri);
  if (!match) throw new InvalidParameterError(`Not an mlflow-artifacts URI: '${uri}'`);
  return (match[1] as string).replace(/\/+$/, '');
}

/** The S3 key of an `mlflow-artifacts:/...` URI or artifact path: for the registry and pipelines. */
export function artifactKeyOf(uriOrPath: string): string {
  const path = uriOrPath.startsWith('mlflow-artifacts:') ? artifactPathOf(uriOrPath) : uriOrPath;
  return `${ARTIFACT_PREFIX}${validateArtifactPath(path)}`;
}

/** Rejects traversal (`..`), absolute paths, backslashes and NUL bytes, as MLflow does ("Invalid path"). */
export function validateArtifactPath(path: string): string {
  const segments = path.split('/');
  if (
    path.startsWith('/') ||
    path.includes('\\') ||
    path.includes('\0') ||
    segments.some((segment) => segment === '..' || segment === '.')
  ) {
    throw new InvalidParameterError('Invalid path');
  }
  const clean = segments.filter((segment) => segment !== '').join('/');
  if (Buffer.byteLength(clean) > MAX_PATH_BYTES) {
    throw new InvalidParameterError(`Invalid path: longer than ${MAX_PATH_BYTES} bytes`);
  }
  return clean;
}

/** S3 keys are at most 1024 bytes; the prefix takes some. */
const MAX_PATH_BYTES = 1000;

const S3_NOT_FOUND = new Set(['NoSuchUpload', 'NoSuchKey', 'NotFound']);
const S3_BAD_INPUT = new Set([
  'InvalidPart',
  'InvalidPartOrder',
  'EntityTooSmall',
  'EntityTooLarge',
  'InvalidArgument',
  'InvalidRequest',
  'MalformedXML',
  'KeyTooLongError',
]);

/** S3's answers to bad client input, as the MLflow errors they are; anything else is rethrown. */
function translateS3Error(error: unknown): unknown {
  const name = (error as Error | null)?.name ?? '';
  const message = (error as Error | null)?.message ?? '';
  if (S3_NOT_FOUND.has(name))
    return new NotFoundError(`Artifact store: ${message || name}`, { cause: error });
  if (S3_BAD_INPUT.has(name))
    return new InvalidParameterError(`Artifact store: ${message || name}`, { cause: error });
  return error;
}

export interface MultipartCredential {
  readonly url: string;
  readonly part_number: number;
  readonly headers: Record<string, string>;
}

/** Artifact storage operations; paths are relative to the artifact root. */
export interface ArtifactRepository {
  put(path: string, body: Uint8Array, contentType: string | undefined): Promise<void>;
  /** A presigned GET URL, or NotFoundError when there is no such file. */
  downloadUrl(path: string): Promise<string>;
  /** Entries directly under `dir` (basenames); empty when the directory does not exist. */
  list(dir: string): Promise<FileInfo[]>;
  /** Deletes a file, or everything under a directory. */
  delete(path: string): Promise<void>;
  createMultipartUpload(
    path: string,
    numParts: number,
  ): Promise<{ uploadId: string; credentials: MultipartCredential[] }>;
  completeMultipartUpload(
    path: string,
    uploadId: string,
    parts: readonly { part_number: number; etag: string }[],
  ): Promise<void>;
  abortMultipartUpload(path: string, uploadId: string): Promise<void>;
}

export class S3ArtifactRepository implements ArtifactRepository {
  readonly #s3: S3Client;
  readonly #bucket: string;

  constructor(options: { client: S3Client; bucket: string }) {
    this.#s3 = options.client;
    this.#bucket = options.bucket;
  }

  /** Runs an S3 call, translating S3's answers to bad input (unknown upload, bad parts). */
  async #send(call: (s3: S3Client) => Promise<unknown>): Promise<void> {
    try {
      await call(this.#s3);
    } catch (error) {
      throw translateS3Error(error);
    }
  }

  #key(path: string): string {
    return `${ARTIFACT_PREFIX}${validateArtifactPath(path)}`;
  }

  async put(path: string, body: Uint8Array, contentType: string | undefined): Promise<void> {
    await this.#s3.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: this.#key(path),
        Body: body,
        ContentType: contentType || 'application/octet-stream',
      }),
    );
  }

  async downloadUrl(path: string): Promise<string> {
    const key = this.#key(path);
    try {
      await this.#s3.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'NotFound' || name === 'NoSuchKey') {
        throw new NotFoundError(`No such artifact: '${validateArtifactPath(path)}'`, { cause: error });
      }
      throw error;
    }
    const filename = key.slice(key.lastIndexOf('/') + 1).replaceAll('"', '');
    return getSignedUrl(
      this.#s3,
      new GetObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        ResponseContentDisposition: `attachment; filename=${filename}`,
      }),
      { expiresIn: PRESIGN_SECONDS },
    );
  }

  async list(dir: string): Promise<FileInfo[]> {
    const clean = validateArtifactPath(dir);
    const prefix = clean === '' ? ARTIFACT_PREFIX : `${ARTIFACT_PREFIX}${clean}/`;
    const files: FileInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.#s3.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: prefix,
          Delimiter: '/',
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const common of page.CommonPrefixes ?? []) {
        const name = (common.Prefix ?? '').slice(prefix.length).replace(/\/$/, '');
        if (name) files.push({ path: name, is_dir: true });
      }
      for (const object of page.Contents ?? []) {
        const name = (object.Key ?? '').slice(prefix.length);
        if (name) files.push({ path: name, is_dir: false, file_size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async delete(path: string): Promise<void> {
    const key = this.#key(path);
    const keys = [key];
    let token: string | undefined;
    do {
      const page = await this.#s3.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: `${key}/`,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    for (let i = 0; i < keys.length; i += 1000) {
      await this.#s3.send(
        new DeleteObjectsCommand({
          Bucket: this.#bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
  }

  async createMultipartUpload(path: string, numParts: number) {
    const key = this.#key(path);
    const created = await this.#s3.send(new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key }));
    const uploadId = created.UploadId ?? '';
    const credentials = await Promise.all(
      Array.from({ length: numParts }, async (_, index) => ({
        url: await getSignedUrl(
          this.#s3,
          new UploadPartCommand({
            Bucket: this.#bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: index + 1,
          }),
          { expiresIn: PRESIGN_SECONDS * 4 },
        ),
        part_number: index + 1,
        headers: {},
      })),
    );
    return { uploadId, credentials };
  }

  async completeMultipartUpload(
    path: string,
    uploadId: string,
    parts: readonly { part_number: number; etag: string }[],
  ): Promise<void> {
    await this.#send((s3) =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.#bucket,
          Key: this.#key(path),
          UploadId: uploadId,
          MultipartUpload: {
            Parts: [...parts]
              .sort((a, b) => a.part_number - b.part_number)
              .map((part) => ({ PartNumber: part.part_number, ETag: part.etag })),
          },
        }),
      ),
    );
  }

  async abortMultipartUpload(path: string, uploadId: string): Promise<void> {
    await this.#send((s3) =>
      s3.send(
        new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: this.#key(path), UploadId: uploadId }),
      ),
    );
  }
}
