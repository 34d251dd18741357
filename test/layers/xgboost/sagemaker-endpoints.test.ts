import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  ListEndpointsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AlreadyExistsError, InvalidParameterError, NotFoundError } from '../../../layers/runtime/errors.ts';
import {
  createSageMakerEndpoint,
  deleteSageMakerEndpoint,
  listSageMakerEndpoints,
  updateSageMakerEndpoint,
} from '../../../layers/xgboost/sagemaker-endpoints.ts';

const sagemaker = mockClient(SageMakerClient);
const client = new SageMakerClient({ region: 'eu-west-1' });
const spec = {
  endpointName: 'churn',
  modelDataUrl: 's3://artifacts/models/churn/3/model.tar.gz',
  executionRoleArn: 'arn:aws:iam::123456789012:role/sm',
  region: 'eu-west-1',
  stamp: '20260101000000',
};
const missing = Object.assign(new Error('Could not find endpoint "churn".'), { name: 'ValidationException' });

beforeEach(() => sagemaker.reset());

describe('createSageMakerEndpoint', () => {
  it('creates a model on the 1.7-1 image, a serverless config and the endpoint', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(missing);
    await createSageMakerEndpoint(client, spec);
    expect(sagemaker.commandCalls(CreateModelCommand)[0]!.args[0].input).toEqual({
      ModelName: 'churn-20260101000000',
      ExecutionRoleArn: 'arn:aws:iam::123456789012:role/sm',
      PrimaryContainer: {
        Image: '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1',
        ModelDataUrl: 's3://artifacts/models/churn/3/model.tar.gz',
        Mode: 'SingleModel',
      },
    });
    expect(sagemaker.commandCalls(CreateEndpointConfigCommand)[0]!.args[0].input).toEqual({
      EndpointConfigName: 'churn-20260101000000',
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: 'churn-20260101000000',
          ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 },
        },
      ],
    });
    expect(sagemaker.commandCalls(CreateEndpointCommand)[0]!.args[0].input).toEqual({
      EndpointName: 'churn',
      EndpointConfigName: 'churn-20260101000000',
    });
  });

  it('uses instances and the KMS key when an instance type is given', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(missing);
    await createSageMakerEndpoint(client, { ...spec, instanceType: 'ml.m5.large', kmsKeyId: 'key-1' });
    expect(sagemaker.commandCalls(CreateEndpointConfigCommand)[0]!.args[0].input).toMatchObject({
      KmsKeyId: 'key-1',
      ProductionVariants: [{ InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
    });
  });

  it('throws AlreadyExistsError and creates nothing when the endpoint exists', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointName: 'churn', EndpointConfigName: 'c' });
    await expect(createSageMakerEndpoint(client, spec)).rejects.toThrow(AlreadyExistsError);
    expect(sagemaker.commandCalls(CreateModelCommand)).toHaveLength(0);
  });

  it('rejects a bad memory size before calling SageMaker', async () => {
    await expect(createSageMakerEndpoint(client, { ...spec, memorySizeInMb: 1500 })).rejects.toThrow(
      new InvalidParameterError('memory must be one of 1024, 2048, 3072, 4096, 5120, 6144 MB, got 1500'),
    );
    expect(sagemaker.calls()).toHaveLength(0);
  });
});

describe('updateSageMakerEndpoint', () => {
  it('creates a new model and config and switches the endpoint to it', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointName: 'churn', EndpointConfigName: 'old' });
    await updateSageMakerEndpoint(client, { ...spec, stamp: '20260202000000' });
    expect(sagemaker.commandCalls(UpdateEndpointCommand)[0]!.args[0].input).toEqual({
      EndpointName: 'churn',
      EndpointConfigName: 'churn-20260202000000',
    });
  });

  it('throws NotFoundError for an endpoint that does not exist', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(missing);
    await expect(updateSageMakerEndpoint(client, spec)).rejects.toThrow(NotFoundError);
    expect(sagemaker.commandCalls(CreateModelCommand)).toHaveLength(0);
  });
});

describe('deleteSageMakerEndpoint / listSageMakerEndpoints', () => {
  it('deletes the endpoint, its config and its model', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointName: 'churn', EndpointConfigName: 'cfg' });
    sagemaker
      .on(DescribeEndpointConfigCommand)
      .resolves({ ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'churn-1' }] });
    await deleteSageMakerEndpoint(client, 'churn');
    expect(sagemaker.commandCalls(DeleteEndpointCommand)[0]!.args[0].input).toEqual({
      EndpointName: 'churn',
    });
    expect(sagemaker.commandCalls(DeleteEndpointConfigCommand)[0]!.args[0].input).toEqual({
      EndpointConfigName: 'cfg',
    });
    expect(sagemaker.commandCalls(DeleteModelCommand)[0]!.args[0].input).toEqual({ ModelName: 'churn-1' });
  });

  it('lists every page of endpoints', async () => {
    sagemaker
      .on(ListEndpointsCommand)
      .resolvesOnce({ Endpoints: [{ EndpointName: 'a' } as never], NextToken: 't' })
      .resolvesOnce({ Endpoints: [{ EndpointName: 'b' } as never] });
    expect((await listSageMakerEndpoints(client)).map((e) => e.EndpointName)).toEqual(['a', 'b']);
  });
});
