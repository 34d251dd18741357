import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { lakehouseContext } from '../../layers/lakehouse/index.ts';
import type { InvokeEndpoint, PrepareDeps } from '../../layers/pipelines/deployment.ts';
import { DynamoDbDeploymentStore } from '../../layers/pipelines/deployment-store.ts';
import {
  clientConfig,
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../layers/runtime/aws-clients.ts';
import { type Env, loadRuntimeConfig, requireBucket, requireTable } from '../../layers/runtime/config.ts';
import { DynamoDbRegistryStore } from '../registry/dynamodb-registry-store.ts';

/** What the prepare task needs, built once per cold start. */
export function prepareDeps(env: Env): PrepareDeps {
  const config = loadRuntimeConfig(env);
  return {
    registry: new DynamoDbRegistryStore(
      createDocumentClient(createDynamoDbClient(config)),
      requireTable(config, 'registry'),
    ),
    s3: createS3Client(config),
    lake: lakehouseContext(config),
    artifactsBucket: requireBucket(config, 'artifacts'),
    stage: config.stage,
    region: config.region,
  };
}

/** InvokeEndpoint over the SageMaker Runtime client (the local platform's endpoint locally). */
export function endpointInvoker(env: Env): InvokeEndpoint {
  const client = new SageMakerRuntimeClient(clientConfig(loadRuntimeConfig(env), 'sagemakerRuntime'));
  return async (endpointName, csv) => {
    const response = await client.send(
      new InvokeEndpointCommand({
        EndpointName: endpointName,
        ContentType: 'text/csv',
        Accept: 'application/json',
        Body: new TextEncoder().encode(csv),
      }),
    );
    return new TextDecoder().decode(response.Body);
  };
}

/** The deployment records in the platform table. */
export function deploymentStore(env: Env): DynamoDbDeploymentStore {
  const config = loadRuntimeConfig(env);
  return new DynamoDbDeploymentStore(
    createDocumentClient(createDynamoDbClient(config)),
    requireTable(config, 'platform'),
  );
}
