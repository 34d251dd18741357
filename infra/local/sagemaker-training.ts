/**
 * The local stand-in for Step Functions' `sagemaker:createTrainingJob.sync`: the job SageMaker's
 * built-in XGBoost algorithm would run, done by the kit's trainer. It reads the `train` (and
 * `validation`) CSV channels — label first, no header — from S3 as the algorithm does, trains with
 * the job's hyperparameters, writes `<S3OutputPath>/<TrainingJobName>/output/model.tar.gz` holding
 * one `xgboost-model` file, and answers as DescribeTrainingJob does once the job has completed.
 */
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseS3, parseTrainingCsv } from '../../layers/pipelines/training-data.ts';
import { createS3Client } from '../../layers/runtime/aws-clients.ts';
import { loadRuntimeConfig } from '../../layers/runtime/config.ts';
import { writeXgbModel } from '../../layers/xgboost/model-json.ts';
import { MODEL_FILE } from '../../layers/xgboost/model-package.ts';
import { writeTar } from '../../layers/xgboost/tar.ts';
import { train } from '../../layers/xgboost/trainer.ts';
import type { LocalIntegration } from './pipeline-runner.ts';

interface Channel {
  readonly ChannelName: string;
  readonly DataSource: { readonly S3DataSource: { readonly S3Uri: string } };
}

interface TrainingJobParameters {
  readonly TrainingJobName: string;
  readonly HyperParameters?: Readonly<Record<string, string>>;
  readonly InputDataConfig: readonly Channel[];
  readonly OutputDataConfig: { readonly S3OutputPath: string };
}

/** A failed training job, reported as Step Functions reports one: `States.TaskFailed`. */
export class TrainingJobFailed extends Error {
  override readonly name = 'States.TaskFailed';
}

export function localTrainingJob(env: Readonly<Record<string, string | undefined>>): LocalIntegration {
  const config = loadRuntimeConfig(env);
  return async (parameters) => {
    const job = parameters as unknown as TrainingJobParameters;
    const s3 = createS3Client(config);
    const started = new Date();
    try {
      const channel = async (name: string) => {
        const found = job.InputDataConfig.find((c) => c.ChannelName === name);
        return found
          ? parseTrainingCsv(await readChannel(s3, found.DataSource.S3DataSource.S3Uri))
          : undefined;
      };
      const trainData = await channel('train');
      if (!trainData || trainData.rows === 0)
        throw new TrainingJobFailed(`${job.TrainingJobName}: the train channel has no rows`);
      const validationData = await channel('validation');
      const params = Object.fromEntries(
        Object.entries(job.HyperParameters ?? {}).map(([k, v]) => [k, numericOrText(v)]),
      );
      let result: ReturnType<typeof train>;
      try {
        result = train({
          params,
          train: {
            matrix: { rows: trainData.rows, columns: trainData.columns, values: trainData.values },
            labels: trainData.labels,
          },
          ...(validationData
            ? {
                validation: {
                  matrix: {
                    rows: validationData.rows,
                    columns: validationData.columns,
                    values: validationData.values,
                  },
                  labels: validationData.labels,
                },
              }
            : {}),
        });
      } catch (error) {
        throw new TrainingJobFailed(`ClientError: ${(error as Error).message}`, { cause: error });
      }
      const output = parseS3(
        `${job.OutputDataConfig.S3OutputPath.replace(/\/$/, '')}/${job.TrainingJobName}/output/model.tar.gz`,
      );
      const archive = gzipSync(
        writeTar([{ path: MODEL_FILE, data: Buffer.from(writeXgbModel(result.model), 'utf8') }]),
      );
      await s3.send(new PutObjectCommand({ Bucket: output.bucket, Key: output.key, Body: archive }));
      const last = result.history[result.bestIteration];
      return {
        TrainingJobName: job.TrainingJobName,
        TrainingJobArn: `arn:aws:sagemaker:${config.region}:000000000000:training-job/${job.TrainingJobName.toLowerCase()}`,
        TrainingJobStatus: 'Completed',
        SecondaryStatus: 'Completed',
        HyperParameters: job.HyperParameters ?? {},
        ModelArtifacts: { S3ModelArtifacts: `s3://${output.bucket}/${output.key}` },
        TrainingStartTime: started.toISOString(),
        TrainingEndTime: new Date().toISOString(),
        FinalMetricDataList: last
          ? [
              { MetricName: `train:${result.params.evalMetric}`, Value: last.train },
              ...(last.validation !== undefined
                ? [{ MetricName: `validation:${result.params.evalMetric}`, Value: last.validation }]
                : []),
            ]
          : [],
      };
    } finally {
      s3.destroy();
    }
  };
}

/** Concatenates every object under a channel's S3 prefix, as File mode does. */
async function readChannel(s3: S3Client, uri: string): Promise<string> {
  const { bucket, key } = parseS3(uri);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
  const parts: string[] = [];
  for (const object of (listed.Contents ?? []).sort((a, b) => String(a.Key).localeCompare(String(b.Key)))) {
    const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key as string }));
    parts.push(await (body.Body as { transformToString(): Promise<string> }).transformToString());
  }
  return parts.join('\n');
}

function numericOrText(value: string): string | number {
  return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
}
