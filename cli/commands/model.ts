/**
 * `mlops model train|predict`: the kit's XGBoost-compatible trainer and evaluator on local files.
 * Parameters are named as xgboost and SageMaker's XGBoost algorithm name them; predictions are
 * written as SageMaker's XGBoost container writes CSV (one line per row).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { ModelInputError } from '../../layers/xgboost/errors.ts';
import { createEvaluator, type FeatureMatrix } from '../../layers/xgboost/evaluator.ts';
import { logModel } from '../../layers/xgboost/mlflow-model.ts';
import { parseXgbModel, writeXgbModel, type XgbModel } from '../../layers/xgboost/model-json.ts';
import { buildModelPackage, describeModel, readModelPackage } from '../../layers/xgboost/model-package.ts';
import { CSV, formatPredictions, parseCell } from '../../layers/xgboost/sagemaker-protocol.ts';
import { labelColumn, parseTable, type Table, toFeatureMatrix } from '../../layers/xgboost/tabular-input.ts';
import { train } from '../../layers/xgboost/trainer.ts';
import { CliError } from '../cli-error.ts';
import { cliEnv } from '../environment.ts';

export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('Train XGBoost-compatible models and predict with them');

  model
    .command('train')
    .description('Train a gradient-boosted tree model (hist method) and write it as XGBoost JSON')
    .requiredOption('--input <file>', 'training data (.csv with a header row, or .parquet)')
    .requiredOption('--label <column>', 'the label column')
    .requiredOption('--objective <objective>', 'e.g. reg:squarederror, binary:logistic, multi:softprob')
    .option('--param <k=v>', 'an xgboost parameter (max_depth, eta, num_round, ...); repeatable', collect, [])
    .option('--validation <file>', 'validation data with the same columns (metrics, early stopping)')
    .requiredOption('--out <file>', 'where to write the model (XGBoost JSON)')
    .option('--package <file>', 'also write a SageMaker model package (model.tar.gz)')
    .action(async (options: TrainCliOptions) => {
      const trainTable = await readTable(options.input);
      const features = trainTable.columns.filter((c) => c !== options.label);
      const params: Record<string, string> = { ...parseParams(options.param), objective: options.objective };
      const validation = options.validation ? await readTable(options.validation) : undefined;
      const result = train({
        params,
        train: {
          matrix: toFeatureMatrix(trainTable, features),
          labels: labelColumn(trainTable, options.label),
        },
        ...(validation
          ? {
              validation: {
                matrix: toFeatureMatrix(validation, features),
                labels: labelColumn(validation, options.label),
              },
            }
          : {}),
        featureNames: features,
      });
      writeFileSync(options.out, writeXgbModel(result.model));
      const last = result.history[result.bestIteration]!;
      const metric = result.params.evalMetric;
      const metrics: Record<string, number> = { [`train_${metric}`]: last.train };
      if (last.validation !== undefined) metrics[`validation_${metric}`] = last.validation;
      if (options.package) {
        writeFileSync(options.package, buildModelPackage(result.model, { metrics, params }));
      }
      const summary = Object.entries(metrics)
        .map(([k, v]) => `${k}=${v.toPrecision(6)}`)
        .join(' ');
      process.stdout.write(
        `trained ${result.bestIteration + 1} rounds, ${result.model.trees.length} trees on ${trainTable.rows.length} rows × ${features.length} features; ${summary}\nwrote ${options.out}${options.package ? ` and ${options.package}` : ''}\n`,
      );
    });

  model
    .command('log')
    .description('Log a model to the tracking server as an MLflow model (with its SageMaker package)')
    .requiredOption('--model <file>', 'model.json (XGBoost JSON) or model.tar.gz')
    .requiredOption('--experiment <name>', 'experiment name (created if missing)')
    .option('--name <name>', 'the logged model name (default: the file name)')
    .option('--run-id <id>', 'the run that produced the model')
    .action(logModelFile);

  model
    .command('predict')
    .description('Predict with an XGBoost JSON model or model package; one output line per input row')
    .requiredOption('--model <file>', 'model.json (XGBoost JSON) or model.tar.gz')
    .requiredOption('--input <file>', 'rows to score (.csv, with or without a header row, or .parquet)')
    .option('--output <file>', 'where to write the predictions (default: standard output)')
    .action(async (options: { model: string; input: string; output?: string }) => {
      const model = loadModelFile(options.model);
      const matrix = await readFeatures(options.input, model);
      const evaluator = createEvaluator(model);
      const { body } = formatPredictions(evaluator.predict(matrix), matrix.rows, evaluator.outputWidth, CSV);
      if (options.output) writeFileSync(options.output, body);
      else process.stdout.write(body);
    });
}

interface LogCliOptions {
  model: string;
  experiment: string;
  name?: string;
  runId?: string;
}

/** Logs a model file to the tracking server as an MLflow logged model. */
async function logModelFile(options: LogCliOptions): Promise<void> {
  const env = cliEnv();
  const trackingUri = env.MLFLOW_TRACKING_URI ?? env.MLOPS_API_URL;
  if (!trackingUri) throw new CliError('set MLFLOW_TRACKING_URI (or MLOPS_API_URL) to the tracking server');
  const token = env.MLFLOW_TRACKING_TOKEN;
  const bytes = readBytes(options.model);
  const packaged = bytes[0] === 0x1f && bytes[1] === 0x8b ? readModelPackage(bytes) : undefined;
  const model = packaged?.model ?? parseXgbModel(bytes.toString('utf8'));
  const metadata = packaged?.metadata ?? describeModel(model);
  const experimentId = await experimentIdFor(trackingUri, options.experiment, token);
  const logged = await logModel({
    trackingUri,
    experimentId,
    name: options.name ?? basename(options.model).replace(/\.(json|tar\.gz)$/, ''),
    model,
    metadata,
    packageBytes: packaged ? bytes : buildModelPackage(model),
    ...(options.runId ? { runId: options.runId } : {}),
    ...(token ? { token } : {}),
  });
  process.stdout.write(
    `logged ${logged.modelUri} in experiment ${experimentId} (${logged.artifactLocation})\n`,
  );
}

async function experimentIdFor(
  trackingUri: string,
  name: string,
  token: string | undefined,
): Promise<string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  const base = trackingUri.replace(/\/$/, '');
  const found = await fetch(
    `${base}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
    { headers },
  ).catch((error: unknown) => {
    throw new CliError(`cannot reach the tracking server at ${trackingUri}: ${(error as Error).message}`);
  });
  if (found.ok)
    return ((await found.json()) as { experiment: { experiment_id: string } }).experiment.experiment_id;
  const created = await fetch(`${base}/api/2.0/mlflow/experiments/create`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name }),
  });
  if (!created.ok) throw new CliError(`cannot create experiment ${name}: ${await created.text()}`);
  return ((await created.json()) as { experiment_id: string }).experiment_id;
}

interface TrainCliOptions {
  input: string;
  label: string;
  objective: string;
  param: string[];
  validation?: string;
  out: string;
  package?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseParams(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`--param expects name=value, got ${pair}`);
    out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return out;
}

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new CliError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

async function readTable(path: string): Promise<Table> {
  return parseTable(readBytes(path), path);
}

/** A model from XGBoost JSON or a model package (recognised by gzip's magic bytes). */
export function loadModelFile(path: string): XgbModel {
  const bytes = readBytes(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return readModelPackage(bytes).model;
  return parseXgbModel(bytes.toString('utf8'));
}

/**
 * The rows to score. With a header whose names include the model's feature names, those columns
 * are taken by name (in the model's order; others such as a label are ignored); otherwise columns
 * are positional, and a CSV whose first line is all numbers has no header.
 */
async function readFeatures(path: string, model: XgbModel): Promise<FeatureMatrix> {
  const table = await readTable(path);
  const names = model.featureNames;
  if (
    names.length === model.numFeature &&
    names.length > 0 &&
    names.every((n) => table.columns.includes(n))
  ) {
    return toFeatureMatrix(table, names);
  }
  const headerless =
    !path.toLowerCase().endsWith('.parquet') && table.columns.every((cell) => isNumericCell(cell));
  const rows: Table = headerless
    ? { columns: table.columns.map((_, i) => `column ${i + 1}`), rows: [table.columns, ...table.rows] }
    : table;
  if (rows.columns.length > model.numFeature) {
    throw new ModelInputError(
      `input has ${rows.columns.length} columns but the model has ${model.numFeature} features${names.length > 0 ? ` (${names.join(', ')})` : ''}`,
    );
  }
  return toFeatureMatrix(rows, rows.columns);
}

function isNumericCell(cell: string): boolean {
  try {
    parseCell(cell, 0, 0);
    return true;
  } catch {
    return false;
  }
}
