/**
 * The promote-model workflow's job, runnable anywhere:
 *
 *   node --import tsx scripts/promote-model.ts --model <name> --version <n>
 *
 * Settings come from the environment (the workflow sets them from the GitHub environment's
 * variables and secrets): see `PromotionEnvSchema`. AWS clients use the default credential chain
 * (the target stage's promotion role in the workflow); the source stage's artifacts are read with
 * the AWS profile in MLOPS_SOURCE_AWS_PROFILE when set. The target's deployment state machine is
 * `mlops-<MLOPS_TARGET_STAGE>-deployment` in MLOPS_TARGET_ACCOUNT_ID and AWS_REGION (the name the
 * CDK gives it and the prod promotion role may start), and the endpoint type is the workflow's
 * choice (MLOPS_ENDPOINT_TYPE) or the target stage's `endpointType` in cdk.json. Writes the job summary to
 * $GITHUB_STEP_SUMMARY (or stdout) and exits 1 when the promotion failed.
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { promoteModelVersion } from '../cli/registry/promote-model-version.ts';
import type { Stages } from '../infra/config/stages.ts';
import { pipelineStateMachineArn } from '../infra/platform/pipelines.ts';
import { clientConfig, createS3Client } from '../layers/runtime/aws-clients.ts';
import { loadRuntimeConfig } from '../layers/runtime/config.ts';
import { stepFunctionsDeployment } from './promotion/deployment.ts';
import {
  DeploymentSettingsError,
  deploymentOptions,
  repositoryStages,
} from './promotion/deployment-options.ts';
import { type PromotionReport, runPromotion } from './promotion/promote-job.ts';
import { httpRegistry } from './promotion/registry-api.ts';
import { endpointSmokeTest } from './promotion/smoke-test.ts';
import { renderSummary } from './promotion/summary.ts';
import { verifyCopy } from './promotion/verify-copy.ts';

const optional = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

export const PromotionEnvSchema = z.object({
  MLOPS_SOURCE_API_URL: z.url(),
  MLOPS_SOURCE_API_TOKEN: optional,
  MLOPS_TARGET_API_URL: z.url(),
  MLOPS_TARGET_API_TOKEN: optional,
  MLOPS_SOURCE_ARTIFACTS_BUCKET: z.string().min(3),
  MLOPS_TARGET_ARTIFACTS_BUCKET: z.string().min(3),
  /** AWS profile holding the source stage's promotion role; unset: the default chain reads both. */
  MLOPS_SOURCE_AWS_PROFILE: optional,
  /** Source stage's S3 endpoint (a second local platform); unset in AWS. */
  MLOPS_SOURCE_S3_ENDPOINT: optional,
  /** The target stage (a key of `mlops:stages`): its deployment state machine is `mlops-<stage>-deployment`. */
  MLOPS_TARGET_STAGE: z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, 'must be a stage name from cdk.json'),
  /** The target stage's account, where its deployment state machine is (in AWS_REGION). */
  MLOPS_TARGET_ACCOUNT_ID: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  /** `serverless` or `instance`; unset or empty: the target stage's `endpointType` in cdk.json. */
  MLOPS_ENDPOINT_TYPE: optional.pipe(z.enum(['serverless', 'instance']).optional()),
  /** Instance endpoints: the instance type, e.g. ml.m5.large. */
  MLOPS_INSTANCE_TYPE: optional.pipe(z.string().startsWith('ml.').optional()),
  /** Instance endpoints: how many instances. @default 1 */
  MLOPS_INSTANCE_COUNT: optional.pipe(z.coerce.number<string | undefined>().int().min(1).max(20).optional()),
  /** Instance endpoints: CloudWatch alarm names, comma-separated, that roll a blue/green update back. */
  MLOPS_ROLLBACK_ALARMS: optional.transform((value) =>
    value
      ?.split(',')
      .map((alarm) => alarm.trim())
      .filter(Boolean),
  ),
  /** Lakehouse table (s3://…) in the target stage whose rows the deployment pipeline's smoke test sends. */
  MLOPS_DEPLOYMENT_SMOKE_TABLE: optional.pipe(z.string().startsWith('s3://').optional()),
  MLOPS_PROMOTION_ALIAS: z
    .string()
    .regex(/^[A-Za-z][\w-]{0,127}$/)
    .default('champion'),
  /** Endpoint to smoke-test when the deployment's output names none. */
  MLOPS_SMOKE_ENDPOINT: optional,
  /** CSV rows (one per line) sent to the endpoint by the smoke test. */
  MLOPS_SMOKE_INPUT: z
    .string()
    .refine((text) => text.trim() !== '', 'MLOPS_SMOKE_INPUT needs at least one CSV row'),
  MLOPS_DEPLOYMENT_POLL_MS: z.coerce.number().int().min(10).default(5000),
  MLOPS_RUN_URL: optional,
  GITHUB_STEP_SUMMARY: optional,
});

export type PromotionEnv = z.infer<typeof PromotionEnvSchema>;

/** Bad arguments or settings: one line, exit code 2, nothing done. */
export class PromotionUsageError extends Error {
  override readonly name = 'PromotionUsageError';
}

function parseInput(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  stages: () => Stages,
) {
  let values: { model?: string; version?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { model: { type: 'string' }, version: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    throw new PromotionUsageError((error as Error).message);
  }
  if (!values.model || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/.test(values.model)) {
    throw new PromotionUsageError(
      `--model must be a registered model name, got ${values.model ?? 'nothing'}`,
    );
  }
  if (!values.version || !/^[1-9]\d{0,9}$/.test(values.version)) {
    throw new PromotionUsageError(`--version must be a version number, got ${values.version ?? 'nothing'}`);
  }
  const parsed = PromotionEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PromotionUsageError(`${issue?.path.join('.')}: ${issue?.message}`);
  }
  const settings = parsed.data;
  try {
    const deployment = deploymentOptions(settings.MLOPS_TARGET_STAGE, stages(), {
      ...(settings.MLOPS_ENDPOINT_TYPE ? { endpointType: settings.MLOPS_ENDPOINT_TYPE } : {}),
      ...(settings.MLOPS_INSTANCE_TYPE ? { instanceType: settings.MLOPS_INSTANCE_TYPE } : {}),
      ...(settings.MLOPS_INSTANCE_COUNT ? { instanceCount: settings.MLOPS_INSTANCE_COUNT } : {}),
      ...(settings.MLOPS_ROLLBACK_ALARMS ? { rollbackAlarms: settings.MLOPS_ROLLBACK_ALARMS } : {}),
      ...(settings.MLOPS_DEPLOYMENT_SMOKE_TABLE ? { smokeTable: settings.MLOPS_DEPLOYMENT_SMOKE_TABLE } : {}),
    });
    return { model: values.model, version: values.version, settings, deployment };
  } catch (error) {
    if (error instanceof DeploymentSettingsError) throw new PromotionUsageError(error.message);
    throw error;
  }
}

/** Runs the job; resolves to the report (undefined when the input was refused) and the exit code. */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  out: (text: string) => void = (text) => process.stdout.write(text),
  stages: () => Stages = repositoryStages,
): Promise<{ code: number; report?: PromotionReport }> {
  let input: ReturnType<typeof parseInput>;
  try {
    input = parseInput(argv, env, stages);
  } catch (error) {
    if (!(error instanceof PromotionUsageError)) throw error;
    out(`promote-model: ${error.message}\n`);
    return { code: 2 };
  }
  const { model, version, settings, deployment } = input;
  const config = loadRuntimeConfig(env);
  const stateMachineArn = pipelineStateMachineArn({
    stage: settings.MLOPS_TARGET_STAGE,
    pipeline: 'deployment',
    account: settings.MLOPS_TARGET_ACCOUNT_ID,
    region: config.region,
  });
  const targetS3 = createS3Client(config);
  const sourceS3 = new S3Client({
    region: config.region,
    ...(settings.MLOPS_SOURCE_S3_ENDPOINT
      ? { endpoint: settings.MLOPS_SOURCE_S3_ENDPOINT, forcePathStyle: true }
      : {}),
    ...(settings.MLOPS_SOURCE_AWS_PROFILE
      ? { profile: settings.MLOPS_SOURCE_AWS_PROFILE }
      : config.credentials
        ? { credentials: { ...config.credentials } }
        : {}),
  });
  const sfn = new SFNClient(clientConfig(config, 'sfn'));
  const runtime = new SageMakerRuntimeClient(clientConfig(config, 'sagemakerRuntime'));
  const source = {
    url: settings.MLOPS_SOURCE_API_URL,
    ...(settings.MLOPS_SOURCE_API_TOKEN ? { token: settings.MLOPS_SOURCE_API_TOKEN } : {}),
  };
  const target = {
    url: settings.MLOPS_TARGET_API_URL,
    ...(settings.MLOPS_TARGET_API_TOKEN ? { token: settings.MLOPS_TARGET_API_TOKEN } : {}),
  };
  try {
    const report = await runPromotion(
      {
        model,
        version,
        alias: settings.MLOPS_PROMOTION_ALIAS,
        smokeRows: settings.MLOPS_SMOKE_INPUT,
        deployment,
        ...(settings.MLOPS_SMOKE_ENDPOINT ? { endpointName: settings.MLOPS_SMOKE_ENDPOINT } : {}),
      },
      {
        source: httpRegistry(source),
        target: httpRegistry(target),
        copy: async (request) => {
          const result = await promoteModelVersion({
            from: source,
            to: target,
            model: request.model,
            version: request.version,
            log: (line) => out(`  ${line}\n`),
          });
          return result;
        },
        verify: (from, to) =>
          verifyCopy(
            { client: sourceS3, bucket: settings.MLOPS_SOURCE_ARTIFACTS_BUCKET, source: from.source ?? '' },
            { client: targetS3, bucket: settings.MLOPS_TARGET_ARTIFACTS_BUCKET, source: to.source ?? '' },
          ),
        deployment: stepFunctionsDeployment({
          client: sfn,
          stateMachineArn,
          pollMs: settings.MLOPS_DEPLOYMENT_POLL_MS,
        }),
        smokeTest: endpointSmokeTest(runtime),
        log: (line) => out(`${line}\n`),
      },
    );
    const summary = renderSummary(report, settings.MLOPS_RUN_URL);
    if (settings.GITHUB_STEP_SUMMARY) appendFileSync(settings.GITHUB_STEP_SUMMARY, `${summary}\n`);
    else out(`${summary}\n`);
    return { code: report.status === 'promoted' ? 0 : 1, report };
  } finally {
    for (const client of [targetS3, sourceS3, sfn, runtime]) client.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    ({ code }) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`promote-model: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
