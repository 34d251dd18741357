/**
 * The runtime configuration every function, the CLI and the local platform share, parsed once from
 * an environment map (a Lambda's `process.env`, or the map the local platform builds).
 *
 * Core modules never read `process.env`: they receive this typed value.
 */
import { z } from 'zod';
import { BUCKETS, type BucketId } from '../../infra/platform/buckets.ts';
import { TABLES, type TableId } from '../../infra/platform/tables.ts';
import { ConfigurationError } from './errors.ts';

export type Env = Readonly<Record<string, string | undefined>>;

const EndpointsSchema = z.object({
  s3: z.url().optional(),
  dynamodb: z.url().optional(),
  sagemakerRuntime: z.url().optional(),
  sfn: z.url().optional(),
  athena: z.url().optional(),
  glue: z.url().optional(),
  eventbridge: z.url().optional(),
});

export type Endpoints = z.infer<typeof EndpointsSchema>;

export interface RuntimeConfig {
  /** Deployment stage (`local`, `dev`, `staging`, `prod`). */
  readonly stage: string;
  readonly region: string;
  /** Service endpoints; empty in AWS, the stand-ins' addresses locally. */
  readonly endpoints: Endpoints;
  /** Static credentials (the local platform's dummy keys); undefined means the default chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly tables: Readonly<Record<TableId, string | undefined>>;
  readonly buckets: Readonly<Record<BucketId, string | undefined>>;
  /** Public base URL of the kit's HTTP API, when known. */
  readonly apiUrl?: string;
}

const ENDPOINT_VARS: Record<keyof Endpoints, string> = {
  s3: 'AWS_ENDPOINT_URL_S3',
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  sagemakerRuntime: 'AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME',
  sfn: 'AWS_ENDPOINT_URL_SFN',
  athena: 'AWS_ENDPOINT_URL_ATHENA',
  glue: 'AWS_ENDPOINT_URL_GLUE',
  eventbridge: 'AWS_ENDPOINT_URL_EVENTBRIDGE',
};

/** Parses the runtime configuration from an environment map. */
export function loadRuntimeConfig(env: Env): RuntimeConfig {
  const endpoints = EndpointsSchema.safeParse(
    Object.fromEntries(
      Object.entries(ENDPOINT_VARS)
        .map(([key, variable]) => [key, env[variable] ?? env.AWS_ENDPOINT_URL])
        .filter(([, value]) => value !== undefined && value !== ''),
    ),
  );
  if (!endpoints.success) {
    throw new ConfigurationError(`invalid AWS endpoint setting: ${endpoints.error.issues[0]?.message}`);
  }
  const tables = Object.fromEntries(
    Object.entries(TABLES).map(([id, table]) => [id, nonEmpty(env[table.envVar])]),
  ) as Record<TableId, string | undefined>;
  const buckets = Object.fromEntries(
    Object.entries(BUCKETS).map(([id, bucket]) => [id, nonEmpty(env[bucket.envVar])]),
  ) as Record<BucketId, string | undefined>;
  const accessKeyId = nonEmpty(env.MLOPS_LOCAL_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.MLOPS_LOCAL_SECRET_ACCESS_KEY);
  const apiUrl = nonEmpty(env.MLOPS_API_URL);
  return {
    stage: nonEmpty(env.MLOPS_STAGE) ?? 'local',
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1',
    endpoints: endpoints.data,
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    tables,
    buckets,
    ...(apiUrl ? { apiUrl } : {}),
  };
}

/** The name of a table, or a ConfigurationError naming the variable that should hold it. */
export function requireTable(config: RuntimeConfig, id: TableId): string {
  const name = config.tables[id];
  if (!name) throw new ConfigurationError(`${TABLES[id].envVar} is not set (name of the ${id} table)`);
  return name;
}

/** The name of a bucket, or a ConfigurationError naming the variable that should hold it. */
export function requireBucket(config: RuntimeConfig, id: BucketId): string {
  const name = config.buckets[id];
  if (!name) throw new ConfigurationError(`${BUCKETS[id].envVar} is not set (name of the ${id} bucket)`);
  return name;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
