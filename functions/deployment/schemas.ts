import { z } from 'zod';

/** The deployment pipeline's input: on demand, or built from a registry alias event by the EventBridge rule. */
export const DeploymentRequestSchema = z
  .object({
    model: z.string().min(1),
    version: z.coerce.number().int().positive().optional(),
    alias: z.string().min(1).optional(),
    endpoint: z.string().min(1).optional(),
    smokeTable: z.string().startsWith('s3://').optional(),
    smokeRows: z.number().int().min(1).max(100).optional(),
    endpointType: z.enum(['serverless', 'instance']).optional(),
    instanceType: z.string().startsWith('ml.').optional(),
    instanceCount: z.number().int().min(1).max(20).optional(),
    memorySizeInMb: z.number().int().optional(),
    maxConcurrency: z.number().int().optional(),
    trafficShift: z.enum(['canary', 'linear']).optional(),
    rollbackAlarms: z.array(z.string().min(1)).optional(),
    maxPolls: z.number().int().min(1).max(360).optional(),
  })
  .refine((request) => request.version !== undefined || request.alias !== undefined, {
    message: 'give a version or an alias',
    path: ['version'],
  });

export const DeploymentPlanSchema = z.object({
  executionId: z.string(),
  startedAt: z.string(),
  model: z.string(),
  version: z.number().int(),
  modelDataUrl: z.string(),
  image: z.string(),
  endpointName: z.string(),
  resourceName: z.string(),
  serverless: z.boolean(),
  variant: z.record(z.string(), z.unknown()),
  deploymentConfig: z.record(z.string(), z.unknown()).optional(),
  smokeTable: z.string(),
  smokeCsv: z.string(),
  maxPolls: z.number().int(),
});
