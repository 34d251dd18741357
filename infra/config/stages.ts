/**
 * Deployment stages, read from the `mlops:stages` context of `cdk.json` (or `-c` on the command line)
 * and validated before any construct is created.
 */
import { z } from 'zod';

export const StageSchema = z.object({
  /** 12-digit AWS account id. */
  account: z.string().regex(/^\d{12}$/, 'account must be a 12-digit AWS account id'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must look like eu-west-1'),
  /** How long deleted lakehouse file versions are kept in the versioned buckets. */
  noncurrentVersionDays: z.number().int().min(1).default(30),
});

export type StageSettings = z.infer<typeof StageSchema>;

export const StagesSchema = z
  .record(
    z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, 'stage names are lower-case, at most 16 characters'),
    StageSchema,
  )
  .refine((stages) => Object.keys(stages).length > 0, 'at least one stage is required');

export type Stages = z.infer<typeof StagesSchema>;

export const STAGES_CONTEXT_KEY = 'mlops:stages';

/** Parses the stages context value; throws an Error naming the offending stage and field. */
export function parseStages(value: unknown): Stages {
  const result = StagesSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(
    `invalid ${STAGES_CONTEXT_KEY} context at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
  );
}
