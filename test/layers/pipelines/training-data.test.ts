import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { localTrainingJob } from '../../../infra/local/sagemaker-training.ts';
import { append, createTable, lakehouseContext, openTable } from '../../../layers/lakehouse/index.ts';
import { parseTrainingCsv, prepareTrainingData } from '../../../layers/pipelines/training-data.ts';
import { createS3Client } from '../../../layers/runtime/aws-clients.ts';
import { readModelPackage } from '../../../layers/xgboost/model-package.ts';

let platform: LocalPlatform;
let lake: ReturnType<typeof lakehouseContext>;
let s3: ReturnType<typeof createS3Client>;

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  lake = lakehouseContext(platform.config);
  s3 = createS3Client(platform.config);
  const table = openTable(lake, 's3://mlops-lakehouse/training-sets/churn');
  await createTable(table, {
    columns: [
      { name: 'customer_id', type: 'string' },
      { name: 'event_timestamp', type: 'timestamp' },
      { name: 'churned', type: 'long' },
      { name: 'activity__minutes', type: 'double' },
      { name: 'activity__tickets', type: 'long' },
      { name: 'profile__plan', type: 'string' },
    ],
  });
  await append(
    table,
    Array.from({ length: 600 }, (_, i) => ({
      customer_id: `C${i}`,
      event_timestamp: new Date(Date.UTC(2025, 3, 1 + (i % 20))),
      churned: i % 5 === 0 ? null : BigInt((i * 7) % 3 === 0 ? 1 : 0),
      activity__minutes: i % 11 === 0 ? null : ((i * 37) % 500) / 3,
      activity__tickets: BigInt((i * 7) % 3 === 0 ? 3 : i % 2),
      profile__plan: i % 2 ? 'basic' : 'premium',
    })),
  );
});

afterAll(async () => {
  s3.destroy();
  lake.destroy();
  await platform.stop();
});

async function read(uri: string): Promise<string> {
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) as RegExpExecArray;
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (object.Body as { transformToString(): Promise<string> }).transformToString();
}

describe('prepareTrainingData', () => {
  const request = {
    table: 's3://mlops-lakehouse/training-sets/churn',
    version: 1,
    label: 'churned',
    idColumns: ['customer_id', 'event_timestamp'],
    outputPrefix: 's3://mlops-artifacts/pipelines/training/run-1/',
  };

  it('writes label-first CSV channels of the numeric features, splitting labelled rows by a stable hash', async () => {
    const prepared = await prepareTrainingData({ s3, lake }, request);
    expect(prepared.featureNames).toEqual(['activity__minutes', 'activity__tickets']);
    expect(prepared.rows.train + prepared.rows.validation + prepared.rows.holdout).toBe(480);
    expect(prepared.rows.holdout).toBeGreaterThan(60);
    const holdout = parseTrainingCsv(await read(prepared.holdout));
    expect(holdout.columns).toBe(2);
    expect(new Set(holdout.labels)).toEqual(new Set([0, 1]));
    expect(Array.from(holdout.values).some(Number.isNaN)).toBe(true);
    const again = await prepareTrainingData(
      { s3, lake },
      { ...request, outputPrefix: 's3://mlops-artifacts/pipelines/training/run-2/' },
    );
    expect(again.rows).toEqual(prepared.rows);
  });

  it('refuses a training set without the label column', async () => {
    await expect(prepareTrainingData({ s3, lake }, { ...request, label: 'nope' })).rejects.toThrow(
      'training set s3://mlops-lakehouse/training-sets/churn has no label column "nope"',
    );
  });
});

describe('localTrainingJob', () => {
  it('trains on the CSV channels as SageMaker XGBoost would and writes model.tar.gz with one xgboost-model', async () => {
    const prepared = await prepareTrainingData(
      { s3, lake },
      {
        table: 's3://mlops-lakehouse/training-sets/churn',
        version: 1,
        label: 'churned',
        idColumns: ['customer_id', 'event_timestamp'],
        outputPrefix: 's3://mlops-artifacts/pipelines/training/run-3/',
      },
    );
    const job = localTrainingJob(platform.env);
    const result = (await job(
      {
        TrainingJobName: 'mlops-train-run-3',
        HyperParameters: {
          objective: 'binary:logistic',
          num_round: '20',
          max_depth: '3',
          eval_metric: 'auc',
        },
        InputDataConfig: [
          { ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: prepared.channels.train } } },
          {
            ChannelName: 'validation',
            DataSource: { S3DataSource: { S3Uri: prepared.channels.validation } },
          },
        ],
        OutputDataConfig: { S3OutputPath: 's3://mlops-artifacts/pipelines/training/run-3/model' },
      },
      'Train',
    )) as {
      TrainingJobStatus: string;
      ModelArtifacts: { S3ModelArtifacts: string };
      FinalMetricDataList: { MetricName: string; Value: number }[];
    };
    expect(result.TrainingJobStatus).toBe('Completed');
    expect(result.ModelArtifacts.S3ModelArtifacts).toBe(
      's3://mlops-artifacts/pipelines/training/run-3/model/mlops-train-run-3/output/model.tar.gz',
    );
    expect(result.FinalMetricDataList.find((m) => m.MetricName === 'validation:auc')?.Value).toBeGreaterThan(
      0.9,
    );
    const object = await s3.send(
      new GetObjectCommand({
        Bucket: 'mlops-artifacts',
        Key: 'pipelines/training/run-3/model/mlops-train-run-3/output/model.tar.gz',
      }),
    );
    const modelPackage = readModelPackage(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    expect(modelPackage.metadata.numFeature).toBe(2);
  });

  it('fails as a SageMaker job fails (States.TaskFailed) on bad hyperparameters', async () => {
    const job = localTrainingJob(platform.env);
    await expect(
      job(
        {
          TrainingJobName: 'bad',
          HyperParameters: { objective: 'binary:logistic', max_depth: '-4' },
          InputDataConfig: [
            {
              ChannelName: 'train',
              DataSource: { S3DataSource: { S3Uri: 's3://mlops-artifacts/pipelines/training/run-1/train/' } },
            },
          ],
          OutputDataConfig: { S3OutputPath: 's3://mlops-artifacts/x' },
        },
        'Train',
      ),
    ).rejects.toMatchObject({ name: 'States.TaskFailed', message: expect.stringMatching(/^ClientError: /) });
  });
});

describe('evaluateModel', () => {
  it('scores the holdout and repackages the model with feature names and holdout metrics', async () => {
    const { evaluateModel } = await import('../../../layers/pipelines/evaluate-model.ts');
    const prepared = await prepareTrainingData(
      { s3, lake },
      {
        table: 's3://mlops-lakehouse/training-sets/churn',
        version: 1,
        label: 'churned',
        idColumns: ['customer_id', 'event_timestamp'],
        outputPrefix: 's3://mlops-artifacts/pipelines/training/run-4/',
      },
    );
    const hyperParameters = { objective: 'binary:logistic', num_round: '15', max_depth: '3' };
    const trained = (await localTrainingJob(platform.env)(
      {
        TrainingJobName: 'mlops-train-run-4',
        HyperParameters: hyperParameters,
        InputDataConfig: [
          { ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: prepared.channels.train } } },
        ],
        OutputDataConfig: { S3OutputPath: 's3://mlops-artifacts/pipelines/training/run-4/model' },
      },
      'Train',
    )) as { ModelArtifacts: { S3ModelArtifacts: string } };
    const evaluation = await evaluateModel(s3, {
      modelArtifacts: trained.ModelArtifacts.S3ModelArtifacts,
      holdout: prepared.holdout,
      featureNames: prepared.featureNames,
      hyperParameters,
      packageUri: 's3://mlops-artifacts/models/churn/run-4/model.tar.gz',
    });
    expect(evaluation.holdoutRows).toBe(prepared.rows.holdout);
    expect(evaluation.metrics.auc).toBeGreaterThan(0.9);
    expect(evaluation.metrics.accuracy).toBeCloseTo(1 - (evaluation.metrics.error as number), 10);
    const object = await s3.send(
      new GetObjectCommand({ Bucket: 'mlops-artifacts', Key: 'models/churn/run-4/model.tar.gz' }),
    );
    const packaged = readModelPackage(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    expect(packaged.metadata.featureNames).toEqual(['activity__minutes', 'activity__tickets']);
    expect(packaged.metadata.metrics.auc).toBe(evaluation.metrics.auc);
  });
});
