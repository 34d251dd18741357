/**
 * The deployment pipeline's core: the plan a run follows, the smoke test, and the record of a
 * deployment. The SageMaker calls themselves are the state machine's service integrations
 * (`state-machines/deployment.asl.json`):
 *
 *   prepare      resolve the version (number or alias), check its model package, name the new
 *                model and endpoint config, read the smoke-test rows — nothing is created yet
 *   create       CreateModel → CreateEndpointConfig (serverless, or instances)
 *   switch       CreateEndpoint, or UpdateEndpoint (serverless: straight replacement; instances:
 *                blue/green with canary or linear traffic shifting and alarm-driven auto-rollback)
 *   wait         DescribeEndpoint every pollSeconds until InService on the new config, at most maxPolls
 *   smoke test   real rows through InvokeEndpoint; one finite prediction per row
 *   record       one item in the `platform` table — only now
 *   on failure   restore the previous endpoint config (or delete the endpoint this run created),
 *                delete the new config and model; no registry alias is ever moved by this pipeline
 *
 * Names: the endpoint is `mlops-<stage>-<endpoint>`, the model and config
 * `mlops-<stage>-<endpoint>-v<version>-<stamp>-<id>` (stamp = the execution's start time, id = a
 * hash of the execution's name, the endpoint part shortened to fit SageMaker's 63 characters), so
 * the state machine's role can be limited to the kit's name prefix, a retried step reuses the same
 * names, and two runs in the same second never collide.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RegistryStore } from '../../functions/registry/registry-store.ts';
import { type LakehouseClients, openTable, readTable } from '../lakehouse/index.ts';
import { InvalidParameterError } from '../runtime/errors.ts';
import { xgboostImageUri } from '../xgboost/xgboost-image.ts';
import { SmokeTestFailedError } from './deployment-errors.ts';
import type { DeploymentRecord, DeploymentStore } from './deployment-store.ts';
import { loadModelPackage, packageLocation, resolveModelVersion } from './model-artifacts.ts';

export interface DeploymentRequest {
  readonly model: string;
  readonly version?: number;
  readonly alias?: string;
  /** Endpoint name without the kit's prefix. @default the model name */
  readonly endpoint?: string;
  /** Lakehouse table the smoke-test rows come from. @default the version's first training set */
  readonly smokeTable?: string;
  /** @default 5 */
  readonly smokeRows?: number;
  /**
   * Serverless (nothing runs when idle) or instance-backed. An instance endpoint needs
   * `instanceType` and `rollbackAlarms`; a serverless one takes no `instanceType`.
   * @default 'instance' when `instanceType` is given, otherwise 'serverless'
   */
  readonly endpointType?: 'serverless' | 'instance';
  /** A real-time endpoint on this instance type instead of serverless. */
  readonly instanceType?: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** Serverless memory. @default 2048 */
  readonly memorySizeInMb?: number;
  /** Serverless max concurrency. @default 5 */
  readonly maxConcurrency?: number;
  /** Instance endpoints: how traffic moves to the new fleet. @default 'canary' */
  readonly trafficShift?: 'canary' | 'linear';
  /** Instance endpoints: CloudWatch alarms that roll the update back (at least one). */
  readonly rollbackAlarms?: readonly string[];
  /** @default 60 */
  readonly maxPolls?: number;
}

export interface DeploymentPlan {
  readonly executionId: string;
  readonly startedAt: string;
  readonly model: string;
  readonly version: number;
  readonly modelDataUrl: string;
  readonly image: string;
  readonly endpointName: string;
  /** Name of the new SageMaker model and endpoint config. */
  readonly resourceName: string;
  readonly serverless: boolean;
  /** The production variant of the new endpoint config. */
  readonly variant: Readonly<Record<string, unknown>>;
  /** Instance endpoints: UpdateEndpoint's DeploymentConfig. */
  readonly deploymentConfig?: Readonly<Record<string, unknown>>;
  readonly smokeTable: string;
  /** Headerless CSV, one real row per line, columns in the model's feature order. */
  readonly smokeCsv: string;
  readonly maxPolls: number;
}

export interface PrepareDeps {
  readonly registry: RegistryStore;
  readonly s3: S3Client;
  readonly lake: LakehouseClients;
  readonly artifactsBucket: string;
  readonly stage: string;
  readonly region: string;
}

const VARIANT_NAME = 'AllTraffic';
const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** Everything a run needs decided before it creates anything; typed errors for bad input. */
export async function prepareDeployment(
  deps: PrepareDeps,
  request: DeploymentRequest & { readonly executionId: string; readonly startedAt: string },
): Promise<DeploymentPlan> {
  const version = await resolveModelVersion(deps.registry, {
    name: request.model,
    ...(request.version === undefined ? {} : { version: request.version }),
    ...(request.alias === undefined ? {} : { alias: request.alias }),
  });
  const { bucket, key } = packageLocation(version.source, deps.artifactsBucket);
  const pkg = await loadModelPackage(deps.s3, version.source, deps.artifactsBucket);
  const endpointName = `mlops-${deps.stage}-${sanitize(request.endpoint ?? request.model)}`;
  if (!NAME.test(endpointName) || endpointName.length > 50) {
    throw new InvalidParameterError(
      `endpoint name ${endpointName} must be at most 50 letters, digits or hyphens`,
    );
  }
  const stamp = request.startedAt.replace(/[-:TZ.]/g, '').slice(0, 14);
  // Two deployments of one version in the same second must not collide: the execution id tells them apart.
  const unique = createHash('sha256').update(request.executionId).digest('hex').slice(0, 6);
  const suffix = `-v${version.version}-${stamp}-${unique}`;
  const resourceName = `${endpointName.slice(0, 63 - suffix.length)}${suffix}`;
  const image = xgboostImageUri(deps.region);
  if (!image)
    throw new InvalidParameterError(`no built-in XGBoost image is published for region ${deps.region}`);

  const endpointType =
    request.endpointType ?? (request.instanceType === undefined ? 'serverless' : 'instance');
  if (endpointType === 'instance' && request.instanceType === undefined) {
    throw new InvalidParameterError('an instance endpoint needs instanceType, e.g. ml.m5.large');
  }
  if (endpointType === 'serverless' && request.instanceType !== undefined) {
    throw new InvalidParameterError(
      `a serverless endpoint takes no instanceType, got ${request.instanceType}; ask for endpointType instance`,
    );
  }
  const serverless = endpointType === 'serverless';
  const variant = serverless
    ? {
        VariantName: VARIANT_NAME,
        ModelName: resourceName,
        ServerlessConfig: {
          MemorySizeInMB: checkMemory(request.memorySizeInMb ?? 2048),
          MaxConcurrency: checkConcurrency(request.maxConcurrency ?? 5),
        },
      }
    : {
        VariantName: VARIANT_NAME,
        ModelName: resourceName,
        InstanceType: request.instanceType,
        InitialInstanceCount: request.instanceCount ?? 1,
        InitialVariantWeight: 1,
      };
  let deploymentConfig: Record<string, unknown> | undefined;
  if (!serverless) {
    const alarms = request.rollbackAlarms ?? [];
    if (alarms.length === 0) {
      throw new InvalidParameterError(
        'an instance endpoint needs rollbackAlarms: the CloudWatch alarms that roll a blue/green update back',
      );
    }
    deploymentConfig = blueGreen(request.trafficShift ?? 'canary', alarms);
  }

  const smoke = await smokeRows(deps, request, version.lineage.trainingSets, pkg.metadata.featureNames);
  return {
    executionId: request.executionId,
    startedAt: request.startedAt,
    model: version.name,
    version: version.version,
    modelDataUrl: `s3://${bucket}/${key}`,
    image,
    endpointName,
    resourceName,
    serverless,
    variant,
    ...(deploymentConfig ? { deploymentConfig } : {}),
    smokeTable: smoke.table,
    smokeCsv: smoke.csv,
    maxPolls: request.maxPolls ?? 60,
  };
}

/** Blue/green with traffic shifting and alarm-driven auto-rollback (instance endpoints only). */
function blueGreen(shift: 'canary' | 'linear', alarms: readonly string[]): Record<string, unknown> {
  const routing =
    shift === 'canary'
      ? { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 }, WaitIntervalInSeconds: 300 }
      : {
          Type: 'LINEAR',
          LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 20 },
          WaitIntervalInSeconds: 120,
        };
  return {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: routing,
      TerminationWaitInSeconds: 600,
      MaximumExecutionTimeoutInSeconds: 3600,
    },
    AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) },
  };
}

async function smokeRows(
  deps: PrepareDeps,
  request: DeploymentRequest,
  trainingSets: readonly { table: string; version?: number }[],
  featureNames: readonly string[],
): Promise<{ table: string; csv: string }> {
  const source = request.smokeTable ? { table: request.smokeTable } : trainingSets[0];
  if (!source) {
    throw new InvalidParameterError(
      `model ${request.model}: no smoke-test rows; give smokeTable or register the version with its training set`,
    );
  }
  const table = openTable(deps.lake, source.table);
  const { rows, schema } = await readTable(table, {
    ...(source.version === undefined ? {} : { version: source.version }),
    limit: request.smokeRows ?? 5,
  });
  const missing = featureNames.filter((name) => !schema.fields.some((field) => field.name === name));
  if (missing.length > 0) {
    throw new InvalidParameterError(
      `smoke-test table ${source.table} lacks column(s) ${missing.join(', ')} the model needs`,
    );
  }
  if (rows.length === 0) throw new InvalidParameterError(`smoke-test table ${source.table} has no rows`);
  const csv = rows.map((row) => featureNames.map((name) => csvCell(row[name])).join(',')).join('\n');
  return { table: source.table, csv };
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value).replaceAll(/[,\n]/g, ' ');
}

function sanitize(name: string): string {
  return name
    .toLowerCase()
    .replaceAll(/[^a-z0-9-]+/g, '-')
    .replaceAll(/^-+|-+$/g, '');
}

function checkMemory(memory: number): number {
  if (![1024, 2048, 3072, 4096, 5120, 6144].includes(memory))
    throw new InvalidParameterError(
      `memory must be one of 1024, 2048, 3072, 4096, 5120, 6144 MB, got ${memory}`,
    );
  return memory;
}

function checkConcurrency(concurrency: number): number {
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 200)
    throw new InvalidParameterError(`max concurrency must be 1 to 200, got ${concurrency}`);
  return concurrency;
}

/** Sends CSV rows to an endpoint and answers the response body (the SageMaker Runtime port). */
export type InvokeEndpoint = (endpointName: string, csv: string) => Promise<string>;

/** The smoke test: one finite prediction per row, or SmokeTestFailedError saying why not. */
export async function smokeTest(
  invoke: InvokeEndpoint,
  plan: Pick<DeploymentPlan, 'endpointName' | 'smokeCsv' | 'smokeTable'>,
): Promise<{ rows: number; predictions: number[] }> {
  const rows = plan.smokeCsv.split('\n').filter((line) => line.trim() !== '').length;
  let body: string;
  try {
    body = await invoke(plan.endpointName, plan.smokeCsv);
  } catch (error) {
    throw new SmokeTestFailedError(
      `${plan.endpointName} refused ${rows} row(s) of ${plan.smokeTable}: ${(error as Error).name}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const predictions = parsePredictions(body);
  if (predictions.length !== rows)
    throw new SmokeTestFailedError(
      `${plan.endpointName}: ${rows} row(s) sent, ${predictions.length} prediction(s) back`,
    );
  const bad = predictions.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) throw new SmokeTestFailedError(`${plan.endpointName}: prediction ${bad + 1} is not a number`);
  return { rows, predictions };
}

/** Predictions of a JSON (`{"predictions":[{"score":…}]}` or an array) or CSV response. */
function parsePredictions(body: string): number[] {
  const text = body.trim();
  if (text.startsWith('{') || text.startsWith('[')) {
    const parsed = JSON.parse(text) as unknown;
    const list = Array.isArray(parsed) ? parsed : (parsed as { predictions?: unknown }).predictions;
    if (!Array.isArray(list)) return [];
    return list.map((item) => {
      if (typeof item === 'number') return item;
      const score = (item as { score?: unknown } | null)?.score;
      return typeof score === 'number' ? score : Number.NaN;
    });
  }
  return text
    .split(/[\n,]+/)
    .filter(Boolean)
    .map(Number);
}

/** Records the deployment once the endpoint serves the new version and passed its smoke test. */
export async function recordDeployment(
  store: DeploymentStore,
  plan: DeploymentPlan,
  smoke: { rows: number },
  now: () => Date = () => new Date(),
): Promise<DeploymentRecord> {
  const record: DeploymentRecord = {
    endpointName: plan.endpointName,
    executionId: plan.executionId,
    startedAt: plan.startedAt,
    deployedAt: now().toISOString(),
    model: plan.model,
    version: plan.version,
    modelDataUrl: plan.modelDataUrl,
    endpointConfigName: plan.resourceName,
    serverless: plan.serverless,
    smokeRows: smoke.rows,
  };
  return store.put(record);
}
