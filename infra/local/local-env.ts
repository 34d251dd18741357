/**
 * The environment of a local platform: the variables that point the AWS SDKs, the AWS CLI, the
 * MLflow client and the kit's own CLI at it. The platform hands the same map to its functions
 * (as Lambda would hand them `process.env`), and `mlops local env` prints it as `export` lines.
 */
import { BUCKETS } from '../platform/buckets.ts';
import { TABLES } from '../platform/tables.ts';

export const DEFAULT_PORT = 5000;
export const DEFAULT_DATA_DIR = '.mlops';
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCESS_KEY = 'local';

export interface LocalPorts {
  readonly gateway: number;
  readonly dynamodb: number;
  readonly s3: number;
}

/** The stand-ins listen next to the gateway: DynamoDB on port + 1, S3 on port + 2. */
export function defaultPorts(port: number): LocalPorts {
  return port === 0
    ? { gateway: 0, dynamodb: 0, s3: 0 }
    : { gateway: port, dynamodb: port + 1, s3: port + 2 };
}

export function localEnv(ports: LocalPorts, host = '127.0.0.1'): Record<string, string> {
  const gateway = `http://${host}:${ports.gateway}`;
  const env: Record<string, string> = {
    MLOPS_STAGE: 'local',
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: LOCAL_ACCESS_KEY,
    MLOPS_LOCAL_ACCESS_KEY_ID: LOCAL_ACCESS_KEY,
    MLOPS_LOCAL_SECRET_ACCESS_KEY: LOCAL_ACCESS_KEY,
    AWS_ENDPOINT_URL_S3: `http://${host}:${ports.s3}`,
    AWS_ENDPOINT_URL_DYNAMODB: `http://${host}:${ports.dynamodb}`,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: gateway,
    AWS_ENDPOINT_URL_SFN: gateway,
    MLOPS_API_URL: gateway,
    MLFLOW_TRACKING_URI: gateway,
  };
  for (const table of Object.values(TABLES)) env[table.envVar] = table.localName;
  for (const bucket of Object.values(BUCKETS)) if (bucket.local) env[bucket.envVar] = bucket.localName;
  return env;
}

/** `export NAME='value'` lines, quoted for POSIX shells. */
export function formatExports(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([name, value]) => `export ${name}='${value.replaceAll("'", "'\\''")}'`)
    .join('\n');
}
