/**
 * The local stand-in for the SageMaker control-plane calls the deployment state machine makes
 * (CreateModel, CreateEndpointConfig, CreateEndpoint, UpdateEndpoint, DescribeEndpoint and the
 * deletes). Endpoints themselves are the local platform's endpoints (`endpoint-store.ts`, served by
 * `sagemaker-runtime.ts`): creating or updating one points it at the model package of the config's
 * model, so the runtime serves the new version on its next request. Models, endpoint configs and
 * which config an endpoint runs are kept in the `platform` table next to the endpoints:
 *
 *   pk = "SAGEMAKER_MODEL#<name>"            sk = "MODEL"    image, modelDataUrl, executionRoleArn
 *   pk = "SAGEMAKER_ENDPOINT_CONFIG#<name>"  sk = "CONFIG"   variants (the ProductionVariants given)
 *   pk = "SAGEMAKER_ENDPOINT#<name>"         sk = "CONFIG"   endpointConfigName
 *
 * A local endpoint is InService as soon as it is created or updated (there is no fleet to start),
 * and a blue/green DeploymentConfig is accepted and recorded but the switch is immediate. An
 * endpoint made with `mlops endpoint create` has no config yet; describing it adopts one
 * (`<endpoint>-adopted-<n>`) for the package it serves, so a deployment can restore it.
 * Errors are SageMaker's: a `SageMaker.ValidationException` whose message is SageMaker's wording.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { AlreadyExistsError, NotFoundError } from '../../layers/runtime/errors.ts';
import type { LocalEndpointStore } from './endpoint-store.ts';

/** A SageMaker API error as Step Functions reports it for a SageMaker integration. */
export class LocalSageMakerError extends Error {
  override readonly name = 'SageMaker.ValidationException';
}

const LOCAL_ARN = 'arn:aws:sagemaker:us-east-1:000000000000';

interface StoredModel {
  readonly name: string;
  readonly image: string;
  readonly modelDataUrl: string;
  readonly executionRoleArn: string;
}

interface StoredConfig {
  readonly name: string;
  readonly variants: readonly Record<string, unknown>[];
}

export class LocalSageMakerControlPlane {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly endpoints: LocalEndpointStore,
  ) {}

  async createModel(p: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = text(p.ModelName, 'ModelName');
    const container = (p.PrimaryContainer ?? {}) as Record<string, unknown>;
    const model: StoredModel = {
      name,
      image: text(container.Image, 'PrimaryContainer.Image'),
      modelDataUrl: text(container.ModelDataUrl, 'PrimaryContainer.ModelDataUrl'),
      executionRoleArn: text(p.ExecutionRoleArn, 'ExecutionRoleArn'),
    };
    await this.#putNew(
      `SAGEMAKER_MODEL#${name}`,
      'MODEL',
      model,
      `Cannot create already existing model "${LOCAL_ARN}:model/${name}".`,
    );
    return { ModelArn: `${LOCAL_ARN}:model/${name}` };
  }

  async createEndpointConfig(p: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = text(p.EndpointConfigName, 'EndpointConfigName');
    const variants = p.ProductionVariants;
    if (!Array.isArray(variants) || variants.length !== 1)
      throw new LocalSageMakerError(
        'The local platform serves exactly one production variant per endpoint config.',
      );
    const model = text((variants[0] as Record<string, unknown>).ModelName, 'ProductionVariants[0].ModelName');
    if (!(await this.#get(`SAGEMAKER_MODEL#${model}`, 'MODEL')))
      throw new LocalSageMakerError(`Could not find model "${LOCAL_ARN}:model/${model}".`);
    const config: StoredConfig = { name, variants: variants as Record<string, unknown>[] };
    await this.#putNew(
      `SAGEMAKER_ENDPOINT_CONFIG#${name}`,
      'CONFIG',
      config,
      `Cannot create already existing endpoint configuration "${LOCAL_ARN}:endpoint-config/${name}".`,
    );
    return { EndpointConfigArn: `${LOCAL_ARN}:endpoint-config/${name}` };
  }

  async createEndpoint(p: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = text(p.EndpointName, 'EndpointName');
    const configName = text(p.EndpointConfigName, 'EndpointConfigName');
    const url = await this.#packageOf(configName);
    try {
      await this.endpoints.create(name, url);
    } catch (error) {
      if (error instanceof AlreadyExistsError)
        throw new LocalSageMakerError(
          `Cannot create already existing endpoint "${LOCAL_ARN}:endpoint/${name}".`,
        );
      throw error;
    }
    await this.#bind(name, configName);
    return { EndpointArn: `${LOCAL_ARN}:endpoint/${name}` };
  }

  async updateEndpoint(p: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = text(p.EndpointName, 'EndpointName');
    const configName = text(p.EndpointConfigName, 'EndpointConfigName');
    const url = await this.#packageOf(configName);
    try {
      await this.endpoints.update(name, url);
    } catch (error) {
      if (error instanceof NotFoundError) throw new LocalSageMakerError(`Could not find endpoint "${name}".`);
      throw error;
    }
    await this.#bind(name, configName);
    return { EndpointArn: `${LOCAL_ARN}:endpoint/${name}` };
  }

  async describeEndpoint(p: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = text(p.EndpointName, 'EndpointName');
    const endpoint = await this.endpoints.get(name);
    if (!endpoint) throw new LocalSageMakerError(`Could not find endpoint "${name}".`);
    const binding = await this.#get(`SAGEMAKER_ENDPOINT#${name}`, 'CONFIG');
    let configName = binding?.endpointConfigName as string | undefined;
    if (!configName || (await this.#packageOf(configName).catch(() => undefined)) !== endpoint.modelDataUrl) {
      configName = await this.#adopt(name, endpoint.modelDataUrl, endpoint.version);
    }
    return {
      EndpointName: name,
      EndpointArn: `${LOCAL_ARN}:endpoint/${name}`,
      EndpointConfigName: configName,
      EndpointStatus: 'InService',
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentWeight: 1 }],
      CreationTime: endpoint.createdAt,
      LastModifiedTime: endpoint.updatedAt,
    };
  }

  async deleteEndpoint(p: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = text(p.EndpointName, 'EndpointName');
    try {
      await this.endpoints.delete(name);
    } catch (error) {
      if (error instanceof NotFoundError) throw new LocalSageMakerError(`Could not find endpoint "${name}".`);
      throw error;
    }
    await this.client.send(
      new DeleteCommand({ TableName: this.table, Key: { pk: `SAGEMAKER_ENDPOINT#${name}`, sk: 'CONFIG' } }),
    );
    return {};
  }

  async deleteEndpointConfig(p: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = text(p.EndpointConfigName, 'EndpointConfigName');
    await this.#delete(
      `SAGEMAKER_ENDPOINT_CONFIG#${name}`,
      'CONFIG',
      `Could not find endpoint configuration "${LOCAL_ARN}:endpoint-config/${name}".`,
    );
    return {};
  }

  async deleteModel(p: Record<string, unknown>): Promise<Record<string, unknown>> {
    const name = text(p.ModelName, 'ModelName');
    await this.#delete(
      `SAGEMAKER_MODEL#${name}`,
      'MODEL',
      `Could not find model "${LOCAL_ARN}:model/${name}".`,
    );
    return {};
  }

  /** The model package an endpoint config's variant serves. */
  async #packageOf(configName: string): Promise<string> {
    const config = await this.#get(`SAGEMAKER_ENDPOINT_CONFIG#${configName}`, 'CONFIG');
    if (!config)
      throw new LocalSageMakerError(
        `Could not find endpoint configuration "${LOCAL_ARN}:endpoint-config/${configName}".`,
      );
    const modelName = String((config.variants as Record<string, unknown>[])[0]?.ModelName);
    const model = await this.#get(`SAGEMAKER_MODEL#${modelName}`, 'MODEL');
    if (!model) throw new LocalSageMakerError(`Could not find model "${LOCAL_ARN}:model/${modelName}".`);
    return String(model.modelDataUrl);
  }

  async #adopt(endpoint: string, modelDataUrl: string, version: number): Promise<string> {
    const name = `${endpoint}-adopted-${version}`.slice(0, 63);
    const put = (pk: string, sk: string, item: object) =>
      this.client.send(new PutCommand({ TableName: this.table, Item: { pk, sk, ...item } }));
    await put(`SAGEMAKER_MODEL#${name}`, 'MODEL', {
      name,
      image: 'local',
      modelDataUrl,
      executionRoleArn: 'local',
    });
    await put(`SAGEMAKER_ENDPOINT_CONFIG#${name}`, 'CONFIG', {
      name,
      variants: [{ VariantName: 'AllTraffic', ModelName: name }],
    });
    await this.#bind(endpoint, name);
    return name;
  }

  async #bind(endpoint: string, configName: string): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `SAGEMAKER_ENDPOINT#${endpoint}`, sk: 'CONFIG', endpointConfigName: configName },
      }),
    );
  }

  async #get(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true }),
    );
    return result.Item;
  }

  async #putNew(pk: string, sk: string, item: object, exists: string): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk, sk, ...item },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new LocalSageMakerError(exists);
      throw error;
    }
  }

  async #delete(pk: string, sk: string, missing: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk, sk },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new LocalSageMakerError(missing);
      throw error;
    }
  }
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '')
    throw new LocalSageMakerError(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}
