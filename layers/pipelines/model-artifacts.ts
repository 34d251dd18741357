/**
 * Finding and loading a registered model's package: resolve `name@alias` or `name/version` in the
 * registry, then read the `model.tar.gz` its `source` points at (an `s3://` URI of the package, or
 * of the folder holding `model.tar.gz`, or an `mlflow-artifacts:/` path, which the artifacts bucket
 * keeps under the tracking proxy's `mlflow-artifacts/` prefix).
 */
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import type { RegistryStore } from '../../functions/registry/registry-store.ts';
import type { ModelVersion } from '../../functions/registry/registry-types.ts';
import { artifactKeyOf } from '../../functions/tracking/artifact-repository.ts';
import { InvalidParameterError, NotFoundError } from '../runtime/errors.ts';
import { type ModelPackage, readModelPackage } from '../xgboost/model-package.ts';

export interface ModelReference {
  readonly name: string;
  /** A version number, or undefined when `alias` is given. */
  readonly version?: number;
  readonly alias?: string;
}

/** The registered version a reference means, or NotFoundError / InvalidParameterError. */
export async function resolveModelVersion(
  store: RegistryStore,
  reference: ModelReference,
): Promise<ModelVersion> {
  let number = reference.version;
  if (number === undefined) {
    if (!reference.alias)
      throw new InvalidParameterError(`model ${reference.name}: give a version or an alias`);
    const model = await store.getModel(reference.name);
    if (!model) throw new NotFoundError(`Registered Model with name=${reference.name} not found`);
    number = model.aliases[reference.alias];
    if (number === undefined) {
      throw new InvalidParameterError(
        `Registered model alias ${reference.alias} not found on model ${reference.name}`,
      );
    }
  }
  const version = await store.getVersion(reference.name, number);
  if (!version)
    throw new NotFoundError(`Model Version (name=${reference.name}, version=${number}) not found`);
  return version;
}

/** The bucket and key of the `model.tar.gz` a version's source names. */
export function packageLocation(source: string, artifactsBucket: string): { bucket: string; key: string } {
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
  const artifacts = /^mlflow-artifacts:\/+(.+)$/.exec(source);
  // The tracking server's artifact proxy keeps `mlflow-artifacts:/<path>` under its root prefix.
  const [bucket, path] = s3
    ? [s3[1] as string, s3[2] as string]
    : artifacts
      ? [artifactsBucket, artifactKeyOf(source)]
      : [];
  if (!bucket || !path)
    throw new InvalidParameterError(`model source ${source} is not an s3:// or mlflow-artifacts:/ URI`);
  const key = path.endsWith('.tar.gz') ? path : `${path.replace(/\/$/, '')}/model.tar.gz`;
  return { bucket, key };
}

/** Reads and unpacks the model package at a version's source. */
export async function loadModelPackage(
  s3: S3Client,
  source: string,
  artifactsBucket: string,
): Promise<ModelPackage> {
  const { bucket, key } = packageLocation(source, artifactsBucket);
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return readModelPackage(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  } catch (error) {
    if (error instanceof NoSuchKey)
      throw new NotFoundError(`no model package at s3://${bucket}/${key}`, { cause: error });
    throw error;
  }
}
