import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  InvokeEndpointCommand,
  ModelError,
  SageMakerRuntimeClient,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEndpointStore } from '../../../infra/local/endpoint-store.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../../layers/runtime/aws-clients.ts';
import { AlreadyExistsError, NotFoundError } from '../../../layers/runtime/errors.ts';
import { createEvaluator, toMatrix } from '../../../layers/xgboost/evaluator.ts';
import { buildModelPackage } from '../../../layers/xgboost/model-package.ts';
import { float32Repr } from '../../../layers/xgboost/sagemaker-protocol.ts';
import { train } from '../../../layers/xgboost/trainer.ts';

function trainModel(objective: string, numClass = 0) {
  const rows = Array.from({ length: 300 }, (_, i) => [Math.sin(i), (i * 7) % 13, i % 9 === 0 ? null : i % 4]);
  const labels = Float32Array.from(rows, (r, i) =>
    numClass > 0
      ? i % numClass
      : objective === 'binary:logistic'
        ? Number(Math.sin(i) > 0)
        : (r[1] as number) + Math.sin(i),
  );
  return train({
    params: { objective, num_round: 8, max_depth: 3, ...(numClass ? { num_class: numClass } : {}) },
    train: { matrix: toMatrix(rows, 3), labels },
  }).model;
}

describe('local SageMaker runtime endpoint', () => {
  let platform: LocalPlatform;
  let client: SageMakerRuntimeClient;
  let store: LocalEndpointStore;
  const binary = trainModel('binary:logistic');
  const multi = trainModel('multi:softprob', 3);

  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
    const s3 = createS3Client(platform.config);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'mlops-artifacts',
        Key: 'm/binary.tar.gz',
        Body: buildModelPackage(binary),
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: 'mlops-artifacts',
        Key: 'm/multi.tar.gz',
        Body: buildModelPackage(multi),
      }),
    );
    await s3.send(
      new PutObjectCommand({ Bucket: 'mlops-artifacts', Key: 'm/broken.tar.gz', Body: 'not a package' }),
    );
    s3.destroy();
    store = new LocalEndpointStore(
      createDocumentClient(createDynamoDbClient(platform.config)),
      'mlops_platform',
    );
    await store.create('churn', 's3://mlops-artifacts/m/binary.tar.gz');
    await store.create('broken', 's3://mlops-artifacts/m/broken.tar.gz');
    client = new SageMakerRuntimeClient({
      region: 'us-east-1',
      endpoint: platform.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    client?.destroy();
    await platform?.stop();
  });

  const invoke = (name: string, body: string, extra: { ContentType?: string; Accept?: string } = {}) =>
    client.send(
      new InvokeEndpointCommand({
        EndpointName: name,
        Body: Buffer.from(body),
        ContentType: 'text/csv',
        ...extra,
      }),
    );

  it('answers text/csv with one prediction per line, empty fields as missing', async () => {
    const response = await invoke('churn', '0.5,3,1\n-0.2,,\n');
    const expected = createEvaluator(binary, { containerMode: true }).predict(
      toMatrix(
        [
          [0.5, 3, 1],
          [-0.2, null, null],
        ],
        3,
      ),
    );
    expect(response.ContentType).toBe('text/csv');
    expect(response.InvokedProductionVariant).toBe('AllTraffic');
    expect(Buffer.from(response.Body!).toString()).toBe(
      `${float32Repr(expected[0]!)}\n${float32Repr(expected[1]!)}\n`,
    );
  });

  it("answers application/json in the container's predictions/score shape", async () => {
    const response = await invoke('churn', '0.5,3,1', { Accept: 'application/json' });
    const expected = createEvaluator(binary).predict(toMatrix([[0.5, 3, 1]], 3));
    expect(response.ContentType).toBe('application/json');
    expect(JSON.parse(Buffer.from(response.Body!).toString())).toEqual({
      predictions: [{ score: expected[0] }],
    });
  });

  it('serves the new model after the endpoint is updated, with class probabilities per line', async () => {
    await store.create('switching', 's3://mlops-artifacts/m/binary.tar.gz');
    await invoke('switching', '1,2,3');
    await store.update('switching', 's3://mlops-artifacts/m/multi.tar.gz');
    const body = Buffer.from((await invoke('switching', '1,2,3\n0,0,0')).Body!).toString();
    const lines = body.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]!.split(',')).toHaveLength(3);
  });

  it('throws ValidationError for an endpoint that does not exist', async () => {
    const error = await invoke('nope', '1,2,3').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).$metadata.httpStatusCode).toBe(400);
    expect((error as ValidationError).message).toBe('Endpoint nope of account 000000000000 not found.');
  });

  it('throws ModelError with the original 415 for a JSON request, which the container refuses', async () => {
    const error = await invoke('churn', '[[1,2,3]]', { ContentType: 'application/json' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).$metadata.httpStatusCode).toBe(424);
    expect((error as ModelError).OriginalStatusCode).toBe(415);
  });

  it('throws ModelError with the original 415 for a non-numeric value, naming it', async () => {
    const error = (await invoke('churn', '1,abc,3').catch((e: unknown) => e)) as ModelError;
    expect(error).toBeInstanceOf(ModelError);
    expect(error.OriginalStatusCode).toBe(415);
    expect(error.OriginalMessage).toBe('row 1, column 2: "abc" is not a number');
  });

  it('throws ModelError with the original 400 for more columns than the model has', async () => {
    const error = (await invoke('churn', '1,2,3,4').catch((e: unknown) => e)) as ModelError;
    expect(error).toBeInstanceOf(ModelError);
    expect(error.OriginalStatusCode).toBe(400);
  });

  it('throws ModelError with the original 406 for an Accept type the container cannot produce', async () => {
    const error = (await invoke('churn', '1,2,3', { Accept: 'text/html' }).catch(
      (e: unknown) => e,
    )) as ModelError;
    expect(error.OriginalStatusCode).toBe(406);
  });

  it('throws ModelError with the original 500 when the model cannot be loaded', async () => {
    const error = (await invoke('broken', '1,2,3').catch((e: unknown) => e)) as ModelError;
    expect(error).toBeInstanceOf(ModelError);
    expect(error.OriginalStatusCode).toBe(500);
  });
});

describe('local endpoints across restarts', () => {
  it('serves an endpoint defined before the platform restarted on the same data dir', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mlops-endpoints-'));
    try {
      const first = await startLocalPlatform({ port: 0, dataDir });
      const s3 = createS3Client(first.config);
      await s3.send(
        new PutObjectCommand({
          Bucket: 'mlops-artifacts',
          Key: 'k.tar.gz',
          Body: buildModelPackage(trainModel('reg:squarederror')),
        }),
      );
      s3.destroy();
      const ddb = createDynamoDbClient(first.config);
      await new LocalEndpointStore(createDocumentClient(ddb), 'mlops_platform').create(
        'kept',
        's3://mlops-artifacts/k.tar.gz',
      );
      ddb.destroy();
      await first.stop();
      const second = await startLocalPlatform({ port: 0, dataDir });
      const runtime = new SageMakerRuntimeClient({
        region: 'us-east-1',
        endpoint: second.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const response = await runtime.send(
        new InvokeEndpointCommand({
          EndpointName: 'kept',
          ContentType: 'text/csv',
          Body: Buffer.from('1,2,3'),
        }),
      );
      expect(Buffer.from(response.Body!).toString()).toMatch(/^-?[0-9.e+-]+\n$/);
      runtime.destroy();
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('LocalEndpointStore', () => {
  let platform: LocalPlatform;
  let store: LocalEndpointStore;
  beforeAll(async () => {
    platform = await startLocalPlatform({ port: 0 });
    store = new LocalEndpointStore(
      createDocumentClient(createDynamoDbClient(platform.config)),
      'mlops_platform',
    );
  });
  afterAll(async () => platform?.stop());

  it('creates, lists, updates and deletes endpoints', async () => {
    await store.create('b', 's3://x/b.tar.gz');
    await store.create('a', 's3://x/a.tar.gz');
    expect((await store.list()).map((e) => e.name)).toEqual(['a', 'b']);
    const updated = await store.update('a', 's3://x/a2.tar.gz');
    expect(updated).toMatchObject({ modelDataUrl: 's3://x/a2.tar.gz', version: 2 });
    await store.delete('a');
    expect(await store.get('a')).toBeUndefined();
  });

  it('throws AlreadyExistsError for a taken name and NotFoundError for a missing one', async () => {
    await store.create('taken', 's3://x/t.tar.gz');
    await expect(store.create('taken', 's3://x/u.tar.gz')).rejects.toThrow(AlreadyExistsError);
    await expect(store.update('missing', 's3://x/u.tar.gz')).rejects.toThrow(NotFoundError);
    await expect(store.delete('missing')).rejects.toThrow(NotFoundError);
    expect((await store.get('taken'))?.modelDataUrl).toBe('s3://x/t.tar.gz');
  });
});
