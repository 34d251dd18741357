import { z } from 'zod';

const MODEL_NAME = /^[A-Za-z0-9][\w.-]{0,62}$/;

/** The training pipeline's input. */
export const TrainingRequestSchema = z
  .object({
    model: z.string().regex(MODEL_NAME, 'model must be 1-63 letters, digits, dots, dashes or underscores'),
    featureService: z.string().min(1),
    featureServiceVersion: z.number().int().positive().optional(),
    entities: z.string().startsWith('s3://'),
    label: z.string().min(1),
    timestampColumn: z.string().min(1).optional(),
    hyperParameters: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    experiment: z.string().min(1).optional(),
    compareWith: z.string().min(1).optional(),
    promoteTo: z.string().min(1).optional(),
    instanceType: z.string().startsWith('ml.').optional(),
    maxRuntimeSeconds: z.number().int().positive().max(432_000).optional(),
  })
  .strict();

/** What the steps pass along; built by the first step, so only its shape is checked. */
export const ContextSchema = z
  .object({
    executionId: z.string(),
    model: z.string(),
    jobName: z.string(),
    packageUri: z.string(),
    trainingSet: z.object({ table: z.string(), version: z.number().int(), rows: z.number().int() }),
    lineageTags: z.record(z.string(), z.string()),
  })
  .passthrough();

export const PreparedDataSchema = z
  .object({
    featureNames: z.array(z.string()),
    holdout: z.string(),
    rows: z.object({ train: z.number(), validation: z.number(), holdout: z.number() }),
  })
  .passthrough();

export const EvaluationSchema = z.object({
  packageUri: z.string(),
  objective: z.string(),
  metrics: z.record(z.string(), z.number()),
  holdoutRows: z.number().int(),
  holdoutPredictions: z.string().startsWith('s3://').optional(),
});

export const LoggedRunSchema = z.object({
  runId: z.string(),
  experimentId: z.string(),
  artifactUri: z.string(),
});
