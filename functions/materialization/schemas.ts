import { z } from 'zod';

/** The materialization pipeline's input: feature views or a feature service. */
export const MaterializationRequestSchema = z.strictObject({
  views: z.array(z.string().min(1)).min(1).optional(),
  service: z.string().min(1).optional(),
  serviceVersion: z.coerce.number().int().positive().optional(),
  mode: z.enum(['full', 'incremental']).optional(),
});

export const PlannedViewSchema = z.strictObject({
  view: z.string().min(1),
  version: z.number().int().positive(),
  mode: z.enum(['full', 'incremental']),
});
