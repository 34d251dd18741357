import { z } from 'zod';
import { storeBaselineFromTables } from '../../layers/monitoring/training-baseline.ts';
import type { TrainingContext } from '../../layers/pipelines/training.ts';
import { readS3Object } from '../../layers/pipelines/training-data.ts';
import { registerTrainedVersion } from '../../layers/pipelines/training-record.ts';
import { type Env, loadRuntimeConfig } from '../../layers/runtime/config.ts';
import { validate } from '../../layers/runtime/http/request.ts';
import { lazyTask } from '../../layers/runtime/lazy-task.ts';
import { recordDeps } from './deps.ts';
import { ContextSchema, EvaluationSchema, LoggedRunSchema } from './schemas.ts';

const EventSchema = z.object({
  context: ContextSchema,
  evaluation: EvaluationSchema,
  run: LoggedRunSchema,
  featureNames: z.array(z.string()).min(1),
});

/**
 * Task: the registered model version, with lineage and metrics, and its monitoring baseline — the
 * profile of the training set's version it was trained on, over its features, and the distribution
 * (and quality) of its predictions on the holdout.
 */
export function createHandler(env: Env) {
  const deps = recordDeps(env);
  const config = loadRuntimeConfig(env);
  return async (event: unknown) => {
    const input = validate(EventSchema, event);
    const context = input.context as unknown as TrainingContext;
    const registered = await registerTrainedVersion(deps, { ...input, context });
    const task = monitoringTask(input.evaluation.objective);
    // Monitoring compares binary classifiers and regressors; other objectives get no baseline.
    if (task === undefined) return { ...registered, baseline: null };
    const holdout = input.evaluation.holdoutPredictions
      ? (JSON.parse(
          new TextDecoder().decode(await readS3Object(deps.s3, input.evaluation.holdoutPredictions)),
        ) as {
          predictions: number[];
          labels: number[];
        })
      : undefined;
    const baseline = await storeBaselineFromTables(config, {
      ...(holdout ? { holdout } : {}),
      model: context.model,
      version: String(registered.version),
      trainingTable: context.trainingSet.table,
      trainingTableVersion: context.trainingSet.version,
      features: input.featureNames,
      labelColumn: context.label,
      task,
    });
    return { ...registered, baseline: baseline.location };
  };
}

/** The monitoring task of an XGBoost objective; undefined for those monitoring does not compare (multi-class, ranking). */
export function monitoringTask(objective: string): 'binary-classification' | 'regression' | undefined {
  if (objective.startsWith('binary:') || objective === 'reg:logistic') return 'binary-classification';
  if (objective.startsWith('reg:') || objective.startsWith('count:') || objective.startsWith('survival:'))
    return 'regression';
  return undefined;
}

export const handler = lazyTask(createHandler);
