/**
 * The baseline of a model version from its training set: the call the training pipeline makes right
 * after a version is trained (and what `mlops monitor baseline` runs).
 *
 *   await storeBaselineFromTables(runtime, {
 *     model: 'churn', version: '3',
 *     trainingTable: 's3://<lakehouse>/training/churn', trainingTableVersion: 12,
 *     features: ['customer_stats__orders', 'customer_stats__total_spend'],
 *   });
 *
 * The training table is read at the given Delta version (the snapshot the model was trained on),
 * so a table appended to later still yields the same baseline. Feature columns are profiled under
 * their own names, which are the inference table's feature columns (`<view>__<feature>`). Numeric
 * and boolean columns are profiled as numbers (the inference table records booleans as 1 / 0, the
 * way the endpoint received them); any other column as categorical.
 */
import {
  lakehouseContext,
  loadSnapshot,
  openTable,
  readTable,
  S3ObjectStore,
  scanBatches,
} from '../lakehouse/index.ts';
import { type RuntimeConfig, requireBucket } from '../runtime/config.ts';
import { InvalidParameterError } from '../runtime/errors.ts';
import { type Baseline, createBaseline } from './evaluate-window.ts';
import { ObjectBaselineStore } from './lakehouse-stores.ts';
import { type ColumnSpec, ProfileBuilder } from './profile.ts';
import type { ModelTask } from './quality.ts';

const NUMERIC_TYPES = new Set(['double', 'float', 'long', 'integer', 'short', 'byte', 'boolean']);

export interface TableBaselineInput {
  readonly model: string;
  readonly version: string;
  /** @default 'binary-classification' */
  readonly task?: ModelTask;
  /** The training set (a lakehouse table URI). */
  readonly trainingTable: string;
  /** The Delta version of the training table the model was trained on. @default its latest version */
  readonly trainingTableVersion?: number;
  /** Feature columns. @default every column of the training table except `exclude` and the label */
  readonly features?: readonly string[];
  /** Columns that are not features (keys, times). @default [] */
  readonly exclude?: readonly string[];
  /** Holdout predictions (a table with `predictionColumn` and, optionally, `labelColumn`). */
  readonly holdoutTable?: string;
  /** Holdout predictions (and labels) given directly, e.g. by the training pipeline's evaluation. */
  readonly holdout?: { readonly predictions: readonly number[]; readonly labels?: readonly number[] };
  /** @default 'prediction' */
  readonly predictionColumn?: string;
  /** @default 'label' */
  readonly labelColumn?: string;
}

/**
 * Profiles a model version's training table (and its holdout predictions) and stores the baseline
 * beside the model's artifacts (`s3://<artifacts>/monitoring/<model>/baselines/<version>.json`,
 * replacing an earlier one of the same version). Throws InvalidParameterError, storing nothing,
 * when a named feature is not a column of the training table.
 */
export async function storeBaselineFromTables(
  runtime: RuntimeConfig,
  input: TableBaselineInput,
): Promise<{ readonly location: string; readonly baseline: Baseline }> {
  if (
    input.trainingTableVersion !== undefined &&
    !(Number.isInteger(input.trainingTableVersion) && input.trainingTableVersion >= 0)
  ) {
    throw new InvalidParameterError(
      `trainingTableVersion must be a Delta version (an integer ≥ 0), got ${input.trainingTableVersion}`,
    );
  }
  const lake = lakehouseContext(runtime, { anyBucket: true });
  try {
    const training = openTable(lake, input.trainingTable);
    const snapshot = await loadSnapshot(
      training,
      input.trainingTableVersion !== undefined ? { version: input.trainingTableVersion } : {},
    );
    const label = input.labelColumn ?? 'label';
    const excluded = new Set([...(input.exclude ?? []), label]);
    const fields = snapshot.schema.fields.filter((f) =>
      input.features ? input.features.includes(f.name) : !excluded.has(f.name),
    );
    if (input.features) {
      const missing = input.features.filter((name) => !fields.some((f) => f.name === name));
      if (missing.length > 0) {
        throw new InvalidParameterError(
          `training table ${input.trainingTable} has no column ${missing.join(', ')}`,
        );
      }
    }
    const features: ColumnSpec[] = fields.map((f) => ({
      name: f.name,
      kind:
        typeof f.type === 'string' && (NUMERIC_TYPES.has(f.type) || f.type.startsWith('decimal'))
          ? 'numeric'
          : 'categorical',
    }));
    const builder = new ProfileBuilder({ features });
    for await (const batch of scanBatches(training, { snapshot, columns: features.map((f) => f.name) })) {
      for (const row of batch) builder.addRow(row);
    }
    const trainingRows = builder.finish();
    let holdout: { predictions: unknown[]; labels?: unknown[] } | undefined = input.holdout
      ? {
          predictions: [...input.holdout.predictions],
          ...(input.holdout.labels ? { labels: [...input.holdout.labels] } : {}),
        }
      : undefined;
    if (!holdout && input.holdoutTable) {
      const prediction = input.predictionColumn ?? 'prediction';
      const { rows } = await readTable(openTable(lake, input.holdoutTable));
      holdout = {
        predictions: rows.map((r) => r[prediction]),
        ...(rows.some((r) => r[label] !== undefined) ? { labels: rows.map((r) => r[label]) } : {}),
      };
    }
    const baseline = createBaseline({
      model: input.model,
      version: input.version,
      task: input.task ?? 'binary-classification',
      features,
      trainingRows,
      ...(holdout ? { holdout } : {}),
    });
    const objects = new S3ObjectStore(lake.s3, requireBucket(runtime, 'artifacts'), 'monitoring');
    return { location: await new ObjectBaselineStore(objects).put(baseline), baseline };
  } finally {
    lake.destroy();
  }
}
