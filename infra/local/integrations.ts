/**
 * Local stand-ins for the Step Functions service integrations the kit's state machines use, keyed
 * by Resource ARN. Each one calls the local platform through the same SDK clients the platform
 * uses, so an integration behaves as its AWS counterpart would against the stand-ins.
 */
import {
  DeleteItemCommand,
  type DeleteItemCommandInput,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { createDocumentClient, createDynamoDbClient } from '../../layers/runtime/aws-clients.ts';
import { loadRuntimeConfig, requireTable } from '../../layers/runtime/config.ts';
import { localAthenaQuery } from './athena.ts';
import { LocalEndpointStore } from './endpoint-store.ts';
import type { LocalIntegration } from './pipeline-runner.ts';
import { LocalSageMakerControlPlane } from './sagemaker-control-plane.ts';
import { localTrainingJob } from './sagemaker-training.ts';

/** The integrations available locally, bound to a platform's environment. */
export function localIntegrations(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, LocalIntegration> {
  const config = loadRuntimeConfig(env);
  let client: ReturnType<typeof createDynamoDbClient> | undefined;
  const dynamodb = () => {
    client ??= createDynamoDbClient(config);
    return client;
  };
  let control: LocalSageMakerControlPlane | undefined;
  const sagemaker = () => {
    if (!control) {
      const documents = createDocumentClient(dynamodb());
      const table = requireTable(config, 'platform');
      control = new LocalSageMakerControlPlane(documents, table, new LocalEndpointStore(documents, table));
    }
    return control;
  };
  // Step Functions returns the service's response without its $metadata.
  const strip = <T extends { $metadata?: unknown }>(response: T) => {
    const { $metadata: _, ...rest } = response;
    return rest;
  };
  return {
    'arn:aws:states:::dynamodb:putItem': async (p) =>
      strip(await dynamodb().send(new PutItemCommand(p as unknown as PutItemCommandInput))),
    'arn:aws:states:::dynamodb:getItem': async (p) =>
      strip(await dynamodb().send(new GetItemCommand(p as unknown as GetItemCommandInput))),
    'arn:aws:states:::dynamodb:updateItem': async (p) =>
      strip(await dynamodb().send(new UpdateItemCommand(p as unknown as UpdateItemCommandInput))),
    'arn:aws:states:::sagemaker:createTrainingJob.sync': localTrainingJob(env),
    'arn:aws:states:::athena:startQueryExecution.sync': localAthenaQuery(env),
    'arn:aws:states:::dynamodb:deleteItem': async (p) =>
      strip(await dynamodb().send(new DeleteItemCommand(p as unknown as DeleteItemCommandInput))),
    // SageMaker: the local endpoints (see sagemaker-control-plane.ts).
    'arn:aws:states:::sagemaker:createModel': (p) => sagemaker().createModel(p),
    'arn:aws:states:::sagemaker:createEndpointConfig': (p) => sagemaker().createEndpointConfig(p),
    'arn:aws:states:::sagemaker:createEndpoint': (p) => sagemaker().createEndpoint(p),
    'arn:aws:states:::sagemaker:updateEndpoint': (p) => sagemaker().updateEndpoint(p),
    'arn:aws:states:::aws-sdk:sagemaker:updateEndpoint': (p) => sagemaker().updateEndpoint(p),
    'arn:aws:states:::aws-sdk:sagemaker:describeEndpoint': (p) => sagemaker().describeEndpoint(p),
    'arn:aws:states:::aws-sdk:sagemaker:deleteEndpoint': (p) => sagemaker().deleteEndpoint(p),
    'arn:aws:states:::aws-sdk:sagemaker:deleteEndpointConfig': (p) => sagemaker().deleteEndpointConfig(p),
    'arn:aws:states:::aws-sdk:sagemaker:deleteModel': (p) => sagemaker().deleteModel(p),
  };
}
