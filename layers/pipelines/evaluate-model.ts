/**
 * Evaluating a trained model on the holdout split and packaging it the kit's way: the training
 * job's `model.tar.gz` (one `xgboost-model`) is scored on the holdout CSV, and a new package with
 * the kit's metadata — feature names in order, objective, holdout metrics, hyperparameters — is
 * written where the registry will point.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvalidParameterError } from '../runtime/errors.ts';
import { createEvaluator } from '../xgboost/evaluator.ts';
import { evaluateMetric, type MetricName } from '../xgboost/metrics.ts';
import { buildModelPackage, readModelPackage } from '../xgboost/model-package.ts';
import { parseS3, parseTrainingCsv, readS3Object } from './training-data.ts';

export interface EvaluateRequest {
  /** The training job's `model.tar.gz`. */
  readonly modelArtifacts: string;
  /** Holdout CSV (label first) written by prepareTrainingData. */
  readonly holdout: string;
  readonly featureNames: readonly string[];
  readonly hyperParameters: Readonly<Record<string, string>>;
  /** Where the kit's package is written (`s3://…/model.tar.gz`). */
  readonly packageUri: string;
}

export interface Evaluation {
  readonly packageUri: string;
  readonly objective: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly holdoutRows: number;
  /**
   * `holdout-predictions.json` beside the package: `{ predictions, labels }` of the holdout rows, in
   * order (one prediction per row; not written for multi-class models).
   */
  readonly holdoutPredictions?: string;
}

const METRICS_BY_KIND: Record<'binary' | 'multi' | 'regression', readonly MetricName[]> = {
  binary: ['auc', 'logloss', 'error'],
  multi: ['mlogloss', 'merror'],
  regression: ['rmse', 'mae'],
};

export async function evaluateModel(s3: S3Client, request: EvaluateRequest): Promise<Evaluation> {
  const trained = readModelPackage(await readS3Object(s3, request.modelArtifacts));
  if (trained.metadata.numFeature !== request.featureNames.length) {
    throw new InvalidParameterError(
      `the model has ${trained.metadata.numFeature} features, the training data ${request.featureNames.length}`,
    );
  }
  const holdout = parseTrainingCsv(new TextDecoder().decode(await readS3Object(s3, request.holdout)));
  const evaluator = createEvaluator(trained.model);
  const predictions = evaluator.predict({
    rows: holdout.rows,
    columns: holdout.columns,
    values: holdout.values,
  });
  const objective = trained.metadata.objective;
  const kind =
    objective.startsWith('binary:') || objective === 'reg:logistic'
      ? 'binary'
      : objective.startsWith('multi:')
        ? 'multi'
        : 'regression';
  const metrics: Record<string, number> = {};
  for (const metric of METRICS_BY_KIND[kind]) {
    metrics[metric] = evaluateMetric(metric, predictions, holdout.labels, evaluator.outputWidth);
  }
  if (kind === 'binary') metrics.accuracy = 1 - (metrics.error as number);
  const packaged = buildModelPackage(trained.model, {
    featureNames: request.featureNames,
    metrics,
    params: request.hyperParameters,
  });
  const target = parseS3(request.packageUri);
  await s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: packaged }));
  let holdoutPredictions: string | undefined;
  if (evaluator.outputWidth === 1) {
    const key = target.key.replace(/[^/]*$/, 'holdout-predictions.json');
    await s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: key,
        Body: JSON.stringify({ predictions: Array.from(predictions), labels: Array.from(holdout.labels) }),
        ContentType: 'application/json',
      }),
    );
    holdoutPredictions = `s3://${target.bucket}/${key}`;
  }
  return {
    packageUri: request.packageUri,
    objective,
    metrics,
    holdoutRows: holdout.rows,
    ...(holdoutPredictions ? { holdoutPredictions } : {}),
  };
}
