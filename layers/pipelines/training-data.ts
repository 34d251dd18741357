/**
 * Turning a training set (a lakehouse table) into what SageMaker's built-in XGBoost algorithm
 * reads: CSV channels with the label in the first column and no header, a missing value as an
 * empty field. Rows are split into train / validation / holdout by a hash of their entity key
 * and time, so the same row always lands in the same split, whatever the order of the table.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type LakehouseContext, openTable, type Row, readTable } from '../lakehouse/index.ts';
import { InvalidParameterError } from '../runtime/errors.ts';

export interface PrepareRequest {
  /** Training set table and the version to read (from its manifest). */
  readonly table: string;
  readonly version: number;
  readonly label: string;
  /** Columns that identify a row and are not features (entity keys, event time). */
  readonly idColumns: readonly string[];
  /** @default 0.2 */
  readonly validationFraction?: number;
  /** @default 0.2 */
  readonly holdoutFraction?: number;
  /** `s3://bucket/prefix/` the channels are written under. */
  readonly outputPrefix: string;
}

export interface PreparedData {
  readonly featureNames: readonly string[];
  readonly label: string;
  readonly channels: { readonly train: string; readonly validation: string };
  readonly holdout: string;
  readonly rows: { readonly train: number; readonly validation: number; readonly holdout: number };
}

/** Reads the training set at its version, splits it and writes the CSV channels. */
export async function prepareTrainingData(
  deps: { readonly s3: S3Client; readonly lake: LakehouseContext },
  request: PrepareRequest,
): Promise<PreparedData> {
  const validation = request.validationFraction ?? 0.2;
  const holdout = request.holdoutFraction ?? 0.2;
  if (validation <= 0 || holdout <= 0 || validation + holdout >= 1) {
    throw new InvalidParameterError(
      'validationFraction and holdoutFraction must be positive and leave rows to train on',
    );
  }
  const { rows, schema } = await readTable(openTable(deps.lake, request.table), { version: request.version });
  const columns = schema.fields.map((field) => field.name);
  if (!columns.includes(request.label)) {
    throw new InvalidParameterError(`training set ${request.table} has no label column "${request.label}"`);
  }
  const excluded = new Set([request.label, ...request.idColumns]);
  const featureNames = schema.fields
    .filter((field) => !excluded.has(field.name) && isNumericType(field.type))
    .map((field) => field.name);
  if (featureNames.length === 0)
    throw new InvalidParameterError(`training set ${request.table} has no numeric feature columns`);
  const splits: Record<'train' | 'validation' | 'holdout', string[]> = {
    train: [],
    validation: [],
    holdout: [],
  };
  for (const row of rows) {
    const label = toNumber(row[request.label]);
    if (label === undefined) continue;
    const line = [label, ...featureNames.map((name) => toNumber(row[name]))]
      .map((v) => (v === undefined ? '' : String(v)))
      .join(',');
    const bucket = splitOf(row, request.idColumns);
    splits[bucket < holdout ? 'holdout' : bucket < holdout + validation ? 'validation' : 'train'].push(line);
  }
  if (splits.train.length === 0 || splits.validation.length === 0 || splits.holdout.length === 0) {
    throw new InvalidParameterError(
      `training set ${request.table} has too few labelled rows to split (train ${splits.train.length}, validation ${splits.validation.length}, holdout ${splits.holdout.length})`,
    );
  }
  const prefix = request.outputPrefix.endsWith('/') ? request.outputPrefix : `${request.outputPrefix}/`;
  const { bucket, key } = parseS3(prefix);
  const uri = (name: string) => `s3://${bucket}/${key}${name}`;
  for (const [name, lines] of Object.entries(splits)) {
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${key}${name}/${name}.csv`,
        Body: `${lines.join('\n')}\n`,
        ContentType: 'text/csv',
      }),
    );
  }
  return {
    featureNames,
    label: request.label,
    channels: { train: uri('train/'), validation: uri('validation/') },
    holdout: uri('holdout/holdout.csv'),
    rows: {
      train: splits.train.length,
      validation: splits.validation.length,
      holdout: splits.holdout.length,
    },
  };
}

/** Parses CSV written by prepareTrainingData (label first) into labels and a row-major matrix. */
export function parseTrainingCsv(text: string): {
  labels: Float32Array;
  values: Float32Array;
  rows: number;
  columns: number;
} {
  const lines = text.split('\n').filter((line) => line !== '');
  const columns = (lines[0]?.split(',').length ?? 1) - 1;
  const labels = new Float32Array(lines.length);
  const values = new Float32Array(lines.length * columns);
  lines.forEach((line, r) => {
    const fields = line.split(',');
    if (fields.length !== columns + 1)
      throw new InvalidParameterError(
        `CSV line ${r + 1} has ${fields.length} fields, expected ${columns + 1}`,
      );
    labels[r] = Number(fields[0]);
    for (let c = 0; c < columns; c += 1) {
      const field = fields[c + 1] as string;
      values[r * columns + c] = field === '' ? Number.NaN : Number(field);
    }
  });
  return { labels, values, rows: lines.length, columns };
}

/** The bytes of the object at `s3://bucket/key`. */
export async function readS3Object(s3: S3Client, uri: string): Promise<Uint8Array> {
  const { bucket, key } = parseS3(uri);
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
}

/** `s3://bucket/key` → parts. */
export function parseS3(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new InvalidParameterError(`${uri} is not an s3:// URI`);
  return { bucket: match[1] as string, key: match[2] as string };
}

function splitOf(row: Row, idColumns: readonly string[]): number {
  const identity = idColumns
    .map((name) => String(row[name] instanceof Date ? (row[name] as Date).toISOString() : row[name]))
    .join('|');
  return createHash('sha256').update(identity).digest().readUInt32BE(0) / 2 ** 32;
}

function isNumericType(type: unknown): boolean {
  return typeof type === 'string' && /^(long|integer|short|byte|double|float|boolean|decimal)/.test(type);
}

function toNumber(value: Row[string]): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}
