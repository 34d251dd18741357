/**
 * The kit's model package: `model.tar.gz` laid out as SageMaker's built-in XGBoost container
 * expects, plus the kit's metadata.
 *
 *   model.tar.gz
 *   ├── xgboost-model            the XGBoost JSON model (the only top-level file)
 *   └── meta/mlops-model.json    feature names and order, objective, signature, metrics, params
 *
 * The container loads *every* top-level non-dot file as a member of an ensemble, so the metadata
 * must not sit beside the model at the top: it goes into `meta/`, which the container skips
 * (it only loads regular files). The model is written compact and starts with `{"`, which is how
 * xgboost recognises JSON in a file without a `.json` extension.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { ModelFormatError, ModelPackageError } from './errors.ts';
import { parseXgbModel, writeXgbModel, type XgbModel } from './model-json.ts';
import { outputWidth } from './objectives.ts';
import { readTar, writeTar } from './tar.ts';

export const MODEL_FILE = 'xgboost-model';
export const METADATA_FILE = 'meta/mlops-model.json';
export const METADATA_FORMAT = 'mlops-xgboost/1';

/** A column of a model signature, in MLflow's column-spec form. */
export interface SignatureColumn {
  readonly name: string;
  readonly type: 'double' | 'float' | 'long';
}

/** What the kit records about a packaged model. */
export interface ModelMetadata {
  readonly format: typeof METADATA_FORMAT;
  readonly objective: string;
  readonly numFeature: number;
  readonly numClass: number;
  /** Input columns in the order the model expects them. */
  readonly featureNames: readonly string[];
  readonly signature: {
    readonly inputs: readonly SignatureColumn[];
    readonly outputs: readonly SignatureColumn[];
  };
  readonly metrics: Readonly<Record<string, number>>;
  readonly params: Readonly<Record<string, string>>;
  readonly createdAt: string;
}

export interface ModelPackage {
  readonly model: XgbModel;
  /** The model file's text, exactly as packaged. */
  readonly modelText: string;
  readonly metadata: ModelMetadata;
}

export interface BuildPackageOptions {
  /** Column names; defaults to the model's `feature_names`, else `f0`, `f1`, ... */
  readonly featureNames?: readonly string[];
  readonly metrics?: Readonly<Record<string, number>>;
  readonly params?: Readonly<Record<string, string | number>>;
  readonly createdAt?: Date;
}

/** The metadata the kit records for a model. */
export function describeModel(model: XgbModel, options: BuildPackageOptions = {}): ModelMetadata {
  const featureNames =
    options.featureNames ??
    (model.featureNames.length === model.numFeature
      ? model.featureNames
      : Array.from({ length: model.numFeature }, (_, i) => `f${i}`));
  if (featureNames.length !== model.numFeature) {
    throw new ModelPackageError(
      `${featureNames.length} feature names given for a model with ${model.numFeature} features`,
    );
  }
  const width = outputWidth(model.objective, model.numClass);
  return {
    format: METADATA_FORMAT,
    objective: model.objective,
    numFeature: model.numFeature,
    numClass: model.numClass,
    featureNames: [...featureNames],
    signature: {
      inputs: featureNames.map((name) => ({ name, type: 'double' as const })),
      outputs:
        width === 1
          ? [{ name: 'prediction', type: 'float' as const }]
          : Array.from({ length: width }, (_, k) => ({ name: `probability_${k}`, type: 'float' as const })),
    },
    metrics: { ...(options.metrics ?? {}) },
    params: Object.fromEntries(Object.entries(options.params ?? {}).map(([k, v]) => [k, String(v)])),
    createdAt: (options.createdAt ?? new Date()).toISOString(),
  };
}

/** Builds `model.tar.gz` bytes from a model. */
export function buildModelPackage(model: XgbModel, options: BuildPackageOptions = {}): Uint8Array {
  const metadata = describeModel(model, options);
  const modelText = writeXgbModel(model);
  const tar = writeTar([
    { path: MODEL_FILE, data: Buffer.from(modelText, 'utf8') },
    { path: 'meta/' },
    { path: METADATA_FILE, data: Buffer.from(`${JSON.stringify(metadata, null, 2)}\n`, 'utf8') },
  ]);
  return gzipSync(tar);
}

/**
 * Reads a `model.tar.gz`: exactly one top-level `xgboost-model` in XGBoost JSON. The kit's metadata
 * is used when present; a package without it (e.g. from another tool) gets metadata derived from
 * the model.
 */
export function readModelPackage(bytes: Uint8Array): ModelPackage {
  let tar: Uint8Array;
  try {
    tar = gunzipSync(bytes);
  } catch (error) {
    throw new ModelPackageError('model package is not gzip-compressed (expected model.tar.gz)', {
      cause: error,
    });
  }
  const entries = readTar(tar);
  const topFiles = entries.filter(
    (e) => !e.path.endsWith('/') && !stripDot(e.path).includes('/') && !stripDot(e.path).startsWith('.'),
  );
  if (topFiles.length !== 1 || stripDot(topFiles[0]!.path) !== MODEL_FILE) {
    throw new ModelPackageError(
      `model package must hold exactly one top-level file named ${MODEL_FILE}, found: ${topFiles.map((e) => e.path).join(', ') || 'none'}`,
    );
  }
  const data = topFiles[0]!.data ?? new Uint8Array(0);
  if (data[0] !== 0x7b) {
    throw new ModelFormatError(
      `${MODEL_FILE} is not XGBoost JSON (XGBoost's binary or UBJSON format?); save it with save_model("model.json")`,
    );
  }
  const modelText = Buffer.from(data).toString('utf8');
  const model = parseXgbModel(modelText);
  const metaEntry = entries.find((e) => stripDot(e.path) === METADATA_FILE);
  let metadata: ModelMetadata;
  if (metaEntry?.data) {
    try {
      metadata = JSON.parse(Buffer.from(metaEntry.data).toString('utf8')) as ModelMetadata;
    } catch (error) {
      throw new ModelPackageError(`${METADATA_FILE} is not valid JSON`, { cause: error });
    }
    if (metadata.format !== METADATA_FORMAT || metadata.numFeature !== model.numFeature) {
      throw new ModelPackageError(`${METADATA_FILE} does not describe the packaged model`);
    }
  } else {
    metadata = describeModel(model, { createdAt: new Date(0) });
  }
  return { model, modelText, metadata };
}

function stripDot(path: string): string {
  return path.startsWith('./') ? path.slice(2) : path;
}
