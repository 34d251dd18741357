/**
 * Deploying a model package to a SageMaker endpoint in AWS, the way the CLI and pipelines do it:
 *
 *   create: CreateModel → CreateEndpointConfig → CreateEndpoint
 *   update: CreateModel → CreateEndpointConfig → UpdateEndpoint   (same variant name, new config)
 *   delete: DescribeEndpoint → DeleteEndpoint → DeleteEndpointConfig → DeleteModel
 *
 * Every deployment gets its own model and endpoint-config names (`<endpoint>-<stamp>`), so an
 * update never changes what the running endpoint uses until SageMaker switches it over. Serverless
 * inference is the default; an instance type selects a real-time endpoint instead. SDK errors that
 * mean "no such endpoint" or "already exists" become the kit's NotFoundError / AlreadyExistsError.
 */
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  type EndpointSummary,
  ListEndpointsCommand,
  type ProductionVariant,
  type SageMakerClient,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { AlreadyExistsError, InvalidParameterError, NotFoundError } from '../runtime/errors.ts';
import { xgboostImageUri } from './xgboost-image.ts';

export const VARIANT_NAME = 'AllTraffic';

export interface DeploymentSpec {
  readonly endpointName: string;
  /** `s3://bucket/key` of a model package (`model.tar.gz` with `xgboost-model`). */
  readonly modelDataUrl: string;
  /** Execution role SageMaker assumes to read the model (and decrypt it). */
  readonly executionRoleArn: string;
  readonly region: string;
  /** @default the built-in XGBoost 1.7-1 image of the region */
  readonly image?: string;
  /** Serverless memory. @default 2048 */
  readonly memorySizeInMb?: number;
  /** Serverless max concurrency. @default 5 */
  readonly maxConcurrency?: number;
  /** When set, a real-time endpoint on this instance type instead of serverless. */
  readonly instanceType?: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** KMS key for the endpoint's storage volume (instance endpoints only). */
  readonly kmsKeyId?: string;
  /** Suffix of the model and config names. @default current time */
  readonly stamp?: string;
}

const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

function validate(spec: DeploymentSpec): { image: string; resourceName: string } {
  if (!NAME.test(spec.endpointName)) {
    throw new InvalidParameterError(
      `endpoint name ${spec.endpointName} must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen`,
    );
  }
  if (!/^s3:\/\/[^/]+\/.+/.test(spec.modelDataUrl)) {
    throw new InvalidParameterError(`model data ${spec.modelDataUrl} must be an s3:// URI of a model.tar.gz`);
  }
  const image = spec.image ?? xgboostImageUri(spec.region);
  if (!image)
    throw new InvalidParameterError(`no built-in XGBoost image is published for region ${spec.region}`);
  const memory = spec.memorySizeInMb ?? 2048;
  if (![1024, 2048, 3072, 4096, 5120, 6144].includes(memory)) {
    throw new InvalidParameterError(
      `memory must be one of 1024, 2048, 3072, 4096, 5120, 6144 MB, got ${memory}`,
    );
  }
  const concurrency = spec.maxConcurrency ?? 5;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 200) {
    throw new InvalidParameterError(`max concurrency must be 1 to 200, got ${concurrency}`);
  }
  const stamp =
    spec.stamp ??
    new Date()
      .toISOString()
      .replace(/[-:TZ.]/g, '')
      .slice(0, 14);
  const resourceName = `${spec.endpointName.slice(0, 63 - stamp.length - 1)}-${stamp}`;
  return { image, resourceName };
}

async function createModelAndConfig(client: SageMakerClient, spec: DeploymentSpec): Promise<string> {
  const { image, resourceName } = validate(spec);
  await client.send(
    new CreateModelCommand({
      ModelName: resourceName,
      ExecutionRoleArn: spec.executionRoleArn,
      PrimaryContainer: { Image: image, ModelDataUrl: spec.modelDataUrl, Mode: 'SingleModel' },
    }),
  );
  const variant: ProductionVariant = spec.instanceType
    ? {
        VariantName: VARIANT_NAME,
        ModelName: resourceName,
        InstanceType: spec.instanceType as ProductionVariant['InstanceType'],
        InitialInstanceCount: spec.instanceCount ?? 1,
        InitialVariantWeight: 1,
      }
    : {
        VariantName: VARIANT_NAME,
        ModelName: resourceName,
        ServerlessConfig: {
          MemorySizeInMB: spec.memorySizeInMb ?? 2048,
          MaxConcurrency: spec.maxConcurrency ?? 5,
        },
      };
  await client.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: resourceName,
      ProductionVariants: [variant],
      ...(spec.kmsKeyId && spec.instanceType ? { KmsKeyId: spec.kmsKeyId } : {}),
    }),
  );
  return resourceName;
}

/** Creates the endpoint; AlreadyExistsError if it exists. Returns the endpoint config name. */
export async function createSageMakerEndpoint(
  client: SageMakerClient,
  spec: DeploymentSpec,
): Promise<string> {
  validate(spec);
  if (await describe(client, spec.endpointName)) {
    throw new AlreadyExistsError(`Cannot create already existing endpoint "${spec.endpointName}".`);
  }
  const config = await createModelAndConfig(client, spec);
  await client.send(
    new CreateEndpointCommand({ EndpointName: spec.endpointName, EndpointConfigName: config }),
  );
  return config;
}

/** Points the endpoint at a new model; NotFoundError if it does not exist. */
export async function updateSageMakerEndpoint(
  client: SageMakerClient,
  spec: DeploymentSpec,
): Promise<string> {
  validate(spec);
  if (!(await describe(client, spec.endpointName))) {
    throw new NotFoundError(`Could not find endpoint "${spec.endpointName}".`);
  }
  const config = await createModelAndConfig(client, spec);
  await client.send(
    new UpdateEndpointCommand({ EndpointName: spec.endpointName, EndpointConfigName: config }),
  );
  return config;
}

/** Deletes the endpoint, its config and its model; NotFoundError if it does not exist. */
export async function deleteSageMakerEndpoint(client: SageMakerClient, endpointName: string): Promise<void> {
  const endpoint = await describe(client, endpointName);
  if (!endpoint) throw new NotFoundError(`Could not find endpoint "${endpointName}".`);
  const configName = endpoint.EndpointConfigName;
  const config = configName
    ? await client.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName }))
    : undefined;
  await client.send(new DeleteEndpointCommand({ EndpointName: endpointName }));
  if (configName) await client.send(new DeleteEndpointConfigCommand({ EndpointConfigName: configName }));
  for (const variant of config?.ProductionVariants ?? []) {
    if (variant.ModelName) await client.send(new DeleteModelCommand({ ModelName: variant.ModelName }));
  }
}

/** Every endpoint of the account and region. */
export async function listSageMakerEndpoints(client: SageMakerClient): Promise<EndpointSummary[]> {
  const out: EndpointSummary[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListEndpointsCommand({ ...(token ? { NextToken: token } : {}) }));
    out.push(...(page.Endpoints ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

async function describe(client: SageMakerClient, name: string) {
  try {
    return await client.send(new DescribeEndpointCommand({ EndpointName: name }));
  } catch (error) {
    // DescribeEndpoint answers a missing endpoint with a ValidationException "Could not find endpoint".
    if ((error as Error).name === 'ValidationException' && /Could not find/i.test((error as Error).message)) {
      return undefined;
    }
    throw error;
  }
}
