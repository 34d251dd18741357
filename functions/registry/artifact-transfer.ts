/**
 * Moving a version's artifacts between registries without the bytes passing through Lambda:
 * the source registry lists the version's files with presigned GET URLs (`export`), the target
 * registry hands out presigned PUT URLs under a destination named by the promotion (`import`),
 * and the promoting client copies from one to the other. Each registry signs with its own role,
 * so no role needs access to the other account's bucket.
 *
 * A version's `source` is located in the artifacts bucket as follows:
 *   mlflow-artifacts:/<path>  → s3://<artifacts bucket>/mlflow-artifacts/<path>  (the tracking proxy's root)
 *   s3://<artifacts bucket>/<key> → that key
 * Anything else (another bucket, a local path) cannot be exported, and says so.
 *
 * The destination of an import is `mlflow-artifacts:/promotions/<model>/<promotion key>`, so the
 * target's MLflow clients download the promoted model through the artifact proxy like any other.
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { InvalidParameterError, NotFoundError } from '../../layers/runtime/errors.ts';

export const ARTIFACT_ROOT_PREFIX = 'mlflow-artifacts/';
const PRESIGN_SECONDS = 3600;
/** Files above this size are uploaded in parts of this size (S3 parts are 5 MiB to 5 GiB). */
export const PART_SIZE = 8 * 1024 * 1024;

export interface ArtifactFile {
  /** Path relative to the version's source location. */
  readonly path: string;
  readonly size: number;
}

export interface ExportedFile extends ArtifactFile {
  readonly url: string;
}

export interface ImportSlot extends ArtifactFile {
  /** Presigned PUT for the whole file (files up to PART_SIZE). */
  readonly url?: string;
  /** Presigned part PUTs for a larger file; the parts' ETags go to `completeUpload`. */
  readonly multipart?: {
    readonly upload_id: string;
    readonly part_size: number;
    readonly part_urls: string[];
  };
  /** The file is at the destination already with this size (an earlier, interrupted promotion). */
  readonly present: boolean;
}

/** The S3 key prefix of a version source in the artifacts bucket. */
export function sourceKey(source: string, bucket: string): string {
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(source);
  if (proxied) return `${ARTIFACT_ROOT_PREFIX}${(proxied[1] as string).replace(/\/+$/, '')}`;
  const s3 = /^s3:\/\/([^/]+)\/(.*)$/.exec(source);
  if (s3 && s3[1] === bucket) return (s3[2] as string).replace(/\/+$/, '');
  throw new InvalidParameterError(
    `Cannot export artifacts from '${source}': only mlflow-artifacts:/ sources and s3://${bucket}/ sources can be promoted.`,
  );
}

function destinationPath(model: string, promotionKey: string): string {
  return `promotions/${segment(model)}/${segment(promotionKey)}`;
}

/** A promotion key or model name as one safe path segment. */
function segment(text: string): string {
  if (!/^[\w.@=-]+$/.test(text) || text === '.' || text === '..') {
    throw new InvalidParameterError(`Invalid promotion path segment '${text}'.`);
  }
  return text;
}

function checkRelative(path: string): string {
  const parts = path.split('/');
  if (
    path === '' ||
    path.startsWith('/') ||
    path.includes('\\') ||
    path.includes('\0') ||
    parts.includes('..')
  ) {
    throw new InvalidParameterError(`Invalid artifact path '${path}'.`);
  }
  return path;
}

export class ArtifactTransfer {
  readonly #s3: S3Client;
  readonly #bucket: string;

  constructor(s3: S3Client, bucket: string) {
    this.#s3 = s3;
    this.#bucket = bucket;
  }

  /** Every file under a version's source, each with a presigned GET URL. */
  async exportFiles(source: string): Promise<ExportedFile[]> {
    const prefix = sourceKey(source, this.#bucket);
    const files: ArtifactFile[] = [];
    let token: string | undefined;
    do {
      const page = await this.#s3.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: `${prefix}/`,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key || object.Key.endsWith('/')) continue;
        files.push({ path: object.Key.slice(prefix.length + 1), size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (files.length === 0) {
      // The source may name a single file rather than a directory.
      const head = await this.#head(prefix);
      if (head === undefined) throw new NotFoundError(`No artifacts found at '${source}'.`);
      const name = prefix.slice(prefix.lastIndexOf('/') + 1);
      return [{ path: name, size: head, url: await this.#presignGet(prefix) }];
    }
    return Promise.all(
      files.map(async (file) => ({ ...file, url: await this.#presignGet(`${prefix}/${file.path}`) })),
    );
  }

  /** The destination URI of a promotion, and a presigned PUT URL per file. */
  async importSlots(
    model: string,
    promotionKey: string,
    files: readonly ArtifactFile[],
  ): Promise<{ destination: string; files: ImportSlot[] }> {
    const path = destinationPath(model, promotionKey);
    const slots = await Promise.all(
      files.map(async (file): Promise<ImportSlot> => {
        const key = `${ARTIFACT_ROOT_PREFIX}${path}/${checkRelative(file.path)}`;
        const present = (await this.#head(key)) === file.size;
        if (present) return { path: file.path, size: file.size, present };
        if (file.size <= PART_SIZE) {
          const url = await getSignedUrl(this.#s3, new PutObjectCommand({ Bucket: this.#bucket, Key: key }), {
            expiresIn: PRESIGN_SECONDS,
          });
          return { path: file.path, size: file.size, url, present };
        }
        const upload = await this.#s3.send(
          new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key }),
        );
        const uploadId = upload.UploadId as string;
        const parts = Math.ceil(file.size / PART_SIZE);
        const partUrls = await Promise.all(
          Array.from({ length: parts }, (_, index) =>
            getSignedUrl(
              this.#s3,
              new UploadPartCommand({
                Bucket: this.#bucket,
                Key: key,
                UploadId: uploadId,
                PartNumber: index + 1,
              }),
              { expiresIn: PRESIGN_SECONDS },
            ),
          ),
        );
        return {
          path: file.path,
          size: file.size,
          multipart: { upload_id: uploadId, part_size: PART_SIZE, part_urls: partUrls },
          present,
        };
      }),
    );
    return { destination: `mlflow-artifacts:/${path}`, files: slots };
  }

  /** Completes a multipart upload handed out by `importSlots`. */
  async completeUpload(
    model: string,
    promotionKey: string,
    file: string,
    uploadId: string,
    etags: readonly string[],
  ): Promise<void> {
    const key = `${ARTIFACT_ROOT_PREFIX}${destinationPath(model, promotionKey)}/${checkRelative(file)}`;
    await this.#s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.#bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
      }),
    );
  }

  async #presignGet(key: string): Promise<string> {
    return getSignedUrl(this.#s3, new GetObjectCommand({ Bucket: this.#bucket, Key: key }), {
      expiresIn: PRESIGN_SECONDS,
    });
  }

  /** The object's size, or undefined when there is no such object. */
  async #head(key: string): Promise<number | undefined> {
    try {
      const head = await this.#s3.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NotFound' || name === 'NoSuchKey') return undefined;
      throw error;
    }
  }
}
