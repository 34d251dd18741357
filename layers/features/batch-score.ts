/**
 * Batch scoring of an entity table with a feature-aware model: the same model resolution, feature
 * order and missing-value rule as online scoring (`predict.ts`), but the features come from the
 * offline store — the point-in-time join at each entity row's time over the current lakehouse
 * snapshots — and the result is a lakehouse table: the entity columns, the model's feature values,
 * `prediction` (JSON text: a score, or class probabilities) and the model name and version.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableExists } from '../lakehouse/snapshot.ts';
import { createTable, overwrite } from '../lakehouse/write.ts';
import { InvalidStateError } from '../runtime/errors.ts';
import { FeatureDataError } from './errors.ts';
import type { TableOpener } from './lakehouse-source.ts';
import type { FeatureValue } from './online-store.ts';
import { csvCell, type InvokeEndpoint, type ModelResolver } from './predict.ts';
import type { FeatureRegistryStore } from './registry-store.ts';
import { type EntitySource, pointInTimeParquet, readParquetRows } from './training-set.ts';

export interface BatchScoreRequest {
  readonly model: string;
  readonly ref: { alias: string } | { version: number };
  readonly entities: EntitySource;
  readonly out: string;
  readonly timestampColumn?: string;
  /** Rows per endpoint request. @default 500 */
  readonly chunkRows?: number;
}

export interface BatchScoreResult {
  readonly model: { readonly name: string; readonly version: number };
  readonly featureService: { readonly name: string; readonly version: number };
  readonly sourceTables: readonly { readonly table: string; readonly version: number }[];
  readonly rows: number;
  /** Rows sent with at least one missing feature. */
  readonly rowsWithMissing: number;
  readonly output: { readonly table: string; readonly version: number };
}

export async function batchScore(
  deps: {
    readonly registry: FeatureRegistryStore;
    readonly models: ModelResolver;
    readonly openTable: TableOpener;
    readonly invoke: InvokeEndpoint;
  },
  request: BatchScoreRequest,
): Promise<BatchScoreResult> {
  const model = await deps.models.resolve(request.model, request.ref);
  const service = await deps.registry.get(
    'featureService',
    model.featureService.name,
    model.featureService.version,
  );
  const dir = mkdtempSync(join(tmpdir(), 'mlops-batch-score-'));
  try {
    const joined = await pointInTimeParquet(deps, service, request.entities, dir, request.timestampColumn);
    const { rows, columns } = await readParquetRows(joined.file);
    const featureColumns = model.featureColumns ?? service.spec.resolved.map((feature) => feature.column);
    for (const column of featureColumns) {
      if (!columns.some((candidate) => candidate.name === column)) {
        throw new InvalidStateError(
          `model ${model.name} v${model.version} uses feature ${column}, which is not in the feature service`,
        );
      }
    }
    let rowsWithMissing = 0;
    const predictions: unknown[] = [];
    const chunk = request.chunkRows ?? 500;
    for (let start = 0; start < rows.length; start += chunk) {
      const slice = rows.slice(start, start + chunk);
      const lines = slice.map((row) => {
        const values = featureColumns.map((column) => toValue(row[column]));
        if (values.some((value) => value === null)) {
          if (model.missing === 'reject') {
            throw new FeatureDataError(
              `model ${model.name} v${model.version} rejects missing features; row ${start} has some`,
            );
          }
          rowsWithMissing += 1;
        }
        return values.map(csvCell).join(',');
      });
      const answered = await deps.invoke(model.endpoint, `${lines.join('\n')}\n`);
      if (answered.length !== slice.length) {
        throw new Error(
          `endpoint ${model.endpoint} returned ${answered.length} predictions for ${slice.length} rows`,
        );
      }
      predictions.push(...answered);
    }
    const out = deps.openTable(request.out);
    const outRows = rows.map((row, index) => ({
      ...row,
      prediction: JSON.stringify(predictions[index]),
      model_name: model.name,
      model_version: BigInt(model.version),
    }));
    if (!(await tableExists(out))) {
      await createTable(out, {
        columns: [
          ...columns,
          { name: 'prediction', type: 'string' },
          { name: 'model_name', type: 'string' },
          { name: 'model_version', type: 'long' },
        ],
        description: `batch predictions of model ${model.name}`,
      });
    }
    const written = await overwrite(out, outRows);
    return {
      model: { name: model.name, version: model.version },
      featureService: { name: service.name, version: service.version },
      sourceTables: joined.sourceTables,
      rows: rows.length,
      rowsWithMissing,
      output: { table: request.out, version: written.version },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function toValue(value: unknown): FeatureValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  return value as FeatureValue;
}
