/**
 * Feature-aware scoring: a model version that knows its feature service is scored with entity keys
 * only.
 *
 *   model@alias ─ registry ─▶ version, feature service@version, feature order, endpoint, missing policy
 *   entity keys ─ online store ─▶ features of that service version, in the model's order
 *   feature rows ─ endpoint (SageMaker runtime; locally the embedded endpoint) ─▶ predictions
 *   everything served ─▶ inference buffer (inference-log.ts)
 *
 * A feature that is missing or expired is never replaced by zero: with the `nan` policy (the
 * default, XGBoost's native handling) it is sent as an empty CSV field, which the model treats as
 * missing and routes down each tree's default branch; with the `reject` policy the request fails
 * with the entities and features that were missing.
 */

import { InvalidStateError } from '../runtime/errors.ts';
import { FeatureDataError } from './errors.ts';
import type { InferenceRecord } from './inference-log.ts';
import { type FeatureStatus, readOnlineFeatures } from './online-read.ts';
import type { FeatureValue, OnlineStore } from './online-store.ts';
import type { ServiceResolver } from './service-resolver.ts';

export type MissingPolicy = 'nan' | 'reject';

/** What scoring needs to know about a model version (from its registry tags and lineage). */
export interface ServingModel {
  readonly name: string;
  readonly version: number;
  readonly featureService: { readonly name: string; readonly version: number };
  /** Feature columns (`<view>__<feature>`) in the order the model was trained on; undefined = the service's order. */
  readonly featureColumns?: readonly string[];
  readonly endpoint: string;
  readonly missing: MissingPolicy;
}

/** Registry tags that make a model version feature-aware. */
export const SERVING_TAGS = {
  featureColumns: 'mlops.features.columns',
  endpoint: 'mlops.serving.endpoint',
  missing: 'mlops.features.missing',
} as const;

export interface ModelResolver {
  /** `ref` is an alias or a version number. NotFoundError / InvalidStateError when it cannot be served. */
  resolve(name: string, ref: { alias: string } | { version: number }): Promise<ServingModel>;
}

/** Sends rows (headerless CSV, empty field = missing) to an endpoint; one prediction per row. */
export type InvokeEndpoint = (endpoint: string, csv: string) => Promise<unknown[]>;

export interface PredictDeps {
  readonly models: ModelResolver;
  readonly services: ServiceResolver;
  readonly online: OnlineStore;
  readonly invoke: InvokeEndpoint;
  /** Writes the record to the inference buffer; awaited before the response. */
  readonly record: (record: InferenceRecord) => Promise<void>;
  readonly now: () => Date;
}

export interface PredictRequest {
  readonly model: string;
  readonly ref: { alias: string } | { version: number };
  readonly entities: readonly Readonly<Record<string, unknown>>[];
  readonly requestId: string;
}

export interface PredictResponse {
  readonly requestId: string;
  readonly model: { readonly name: string; readonly version: number };
  readonly featureService: { readonly name: string; readonly version: number };
  readonly featureNames: readonly string[];
  readonly predictions: readonly {
    readonly entity: Readonly<Record<string, unknown>>;
    readonly prediction: unknown;
    /** Features that were missing or expired and went to the model as missing values. */
    readonly missingFeatures: readonly string[];
  }[];
}

export async function predict(deps: PredictDeps, request: PredictRequest): Promise<PredictResponse> {
  const started = performance.now();
  const requestTime = deps.now();
  const model = await deps.models.resolve(request.model, request.ref);
  const service = await deps.services.resolve(model.featureService.name, model.featureService.version);
  const online = await readOnlineFeatures(deps.online, service, request.entities, requestTime);
  const order = (model.featureColumns ?? online.featureNames).map((column) => {
    const index = online.featureNames.indexOf(column);
    if (index < 0) {
      throw new InvalidStateError(
        `model ${model.name} v${model.version} uses feature ${column}, which feature service ${service.name} v${service.version} does not have`,
      );
    }
    const feature = service.features[index];
    if (feature?.type === 'string') {
      throw new InvalidStateError(
        `model ${model.name} v${model.version} uses the string feature ${column}; the endpoint takes numbers only`,
      );
    }
    return index;
  });
  const featureNames = order.map((index) => online.featureNames[index] as string);
  const rows = online.rows.map((row) => ({
    entity: row.entity,
    values: order.map((index) => row.values[index] ?? null),
    statuses: order.map((index) => row.statuses[index] as FeatureStatus),
  }));
  const missing = rows.map((row) => featureNames.filter((_, column) => row.statuses[column] !== 'PRESENT'));
  if (model.missing === 'reject') {
    const first = missing.findIndex((names) => names.length > 0);
    if (first >= 0) {
      throw new FeatureDataError(
        `model ${model.name} v${model.version} rejects missing features; entity ${JSON.stringify(rows[first]?.entity)} lacks ${missing[first]?.join(', ')}`,
      );
    }
  }
  const csv = rows.map((row) => row.values.map(csvCell).join(',')).join('\n');
  const predictions = await deps.invoke(model.endpoint, `${csv}\n`);
  if (predictions.length !== rows.length) {
    throw new Error(
      `endpoint ${model.endpoint} returned ${predictions.length} predictions for ${rows.length} rows`,
    );
  }
  const response: PredictResponse = {
    requestId: request.requestId,
    model: { name: model.name, version: model.version },
    featureService: { name: service.name, version: service.version },
    featureNames,
    predictions: rows.map((row, index) => ({
      entity: row.entity,
      prediction: predictions[index],
      missingFeatures: missing[index] as string[],
    })),
  };
  await deps.record({
    requestId: request.requestId,
    requestTime: requestTime.toISOString(),
    model: model.name,
    modelVersion: model.version,
    featureService: `${service.name}@${service.version}`,
    latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
    rows: rows.map((row, index) => ({
      entity: row.entity,
      features: Object.fromEntries(featureNames.map((name, column) => [name, row.values[column] ?? null])),
      prediction: predictions[index],
    })),
  });
  return response;
}

/** A feature value as a CSV field: empty for missing (never 0), booleans as 1/0. */
export function csvCell(value: FeatureValue): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  const number = Number(value);
  if (!Number.isFinite(number))
    throw new FeatureDataError(`feature value ${JSON.stringify(value)} is not a number`);
  return String(number);
}

/** Parses a model version's serving tags (and its lineage's feature service) into a ServingModel. */
export function servingModelFrom(version: {
  readonly name: string;
  readonly version: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly featureService?: { readonly name: string; readonly version?: number };
}): ServingModel {
  const where = `model ${version.name} v${version.version}`;
  const service = version.featureService;
  if (!service || service.version === undefined) {
    throw new InvalidStateError(
      `${where} has no feature service in its lineage (tag mlops.lineage.feature_service = <service>@<version>)`,
    );
  }
  const endpoint = version.tags[SERVING_TAGS.endpoint];
  if (!endpoint) throw new InvalidStateError(`${where} has no endpoint (tag ${SERVING_TAGS.endpoint})`);
  const missing = version.tags[SERVING_TAGS.missing] ?? 'nan';
  if (missing !== 'nan' && missing !== 'reject') {
    throw new InvalidStateError(
      `${where}: tag ${SERVING_TAGS.missing} must be nan or reject, got ${missing}`,
    );
  }
  const columns = version.tags[SERVING_TAGS.featureColumns];
  return {
    name: version.name,
    version: version.version,
    featureService: { name: service.name, version: service.version },
    ...(columns
      ? {
          featureColumns: columns
            .split(',')
            .map((column) => column.trim())
            .filter(Boolean),
        }
      : {}),
    endpoint,
    missing,
  };
}
