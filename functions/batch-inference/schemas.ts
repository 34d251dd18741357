import { z } from 'zod';

export const BatchRequestSchema = z.object({
  model: z.string().min(1),
  alias: z.string().min(1).optional(),
  version: z.coerce.number().int().positive().optional(),
  input: z.string().startsWith('s3://'),
  output: z.string().startsWith('s3://'),
  keyColumns: z.array(z.string().min(1)).min(1),
  chunkRows: z.number().int().positive().optional(),
});

export const ChunkSchema = z.object({ index: z.number().int().min(0), files: z.array(z.string()) });

export const PlanSchema = z.object({
  executionId: z.string(),
  model: z.object({ name: z.string(), version: z.number().int(), source: z.string() }),
  featureNames: z.array(z.string()),
  input: z.object({ uri: z.string(), version: z.number().int() }),
  output: z.string(),
  keyColumns: z.array(z.string()),
  scoredAt: z.string(),
  staging: z.object({ bucket: z.string(), prefix: z.string() }),
  chunks: z.array(ChunkSchema),
});

export const ChunkResultSchema = z.object({
  index: z.number().int(),
  rows: z.number().int(),
  key: z.string(),
});
