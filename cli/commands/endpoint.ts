/**
 * `mlops endpoint create|update|delete|list|invoke`: model endpoints.
 *
 * On the local platform (stage `local`, the default) an endpoint is a name → model package
 * definition in the platform's table, served at `/endpoints/<name>/invocations`. In AWS (stage
 * other than `local`) the same commands create SageMaker models, endpoint configs and endpoints on
 * the built-in XGBoost 1.7-1 image, serverless unless `--instance-type` is given. `invoke` uses the
 * real SageMaker Runtime client in both cases.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { Command } from 'commander';
import { LocalEndpointStore } from '../../infra/local/endpoint-store.ts';
import { parseS3Uri } from '../../infra/local/sagemaker-runtime.ts';
import {
  clientConfig,
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../layers/runtime/aws-clients.ts';
import { type RuntimeConfig, requireBucket, requireTable } from '../../layers/runtime/config.ts';
import { buildModelPackage, readModelPackage } from '../../layers/xgboost/model-package.ts';
import {
  createSageMakerEndpoint,
  type DeploymentSpec,
  deleteSageMakerEndpoint,
  listSageMakerEndpoints,
  updateSageMakerEndpoint,
} from '../../layers/xgboost/sagemaker-endpoints.ts';
import { CliError } from '../cli-error.ts';
import { cliConfig } from '../environment.ts';
import { loadModelFile } from './model.ts';

interface DeployOptions {
  model?: string;
  modelData?: string;
  roleArn?: string;
  memory?: string;
  maxConcurrency?: string;
  instanceType?: string;
}

export function registerEndpointCommands(program: Command): void {
  const endpoint = program
    .command('endpoint')
    .description('Model endpoints: the local platform, or SageMaker in AWS (stage other than local)');

  const deployOptions = (command: Command) =>
    command
      .option('--model <file>', 'a model (XGBoost JSON or model.tar.gz); uploaded to the artifacts bucket')
      .option('--model-data <s3-uri>', 'an existing model package in S3 (s3://bucket/key/model.tar.gz)')
      .option('--role-arn <arn>', 'AWS only: the SageMaker execution role')
      .option('--memory <mb>', 'AWS only: serverless memory (1024-6144)', '2048')
      .option('--max-concurrency <n>', 'AWS only: serverless max concurrency (1-200)', '5')
      .option('--instance-type <type>', 'AWS only: a real-time endpoint on this instance type instead');

  deployOptions(
    endpoint.command('create').description('Create an endpoint serving a model').argument('<name>'),
  ).action(async (name: string, options: DeployOptions) => {
    const config = cliConfig();
    const url = await modelDataUrl(config, name, options);
    if (isLocal(config)) {
      await withLocalStore(config, (store) => store.create(name, url));
    } else {
      await withSageMaker(config, (client) =>
        createSageMakerEndpoint(client, deploymentSpec(config, name, url, options)),
      );
    }
    process.stdout.write(`endpoint ${name} created, serving ${url}\n`);
  });

  deployOptions(
    endpoint.command('update').description('Point an endpoint at another model version').argument('<name>'),
  ).action(async (name: string, options: DeployOptions) => {
    const config = cliConfig();
    const url = await modelDataUrl(config, name, options);
    if (isLocal(config)) {
      await withLocalStore(config, (store) => store.update(name, url));
    } else {
      await withSageMaker(config, (client) =>
        updateSageMakerEndpoint(client, deploymentSpec(config, name, url, options)),
      );
    }
    process.stdout.write(`endpoint ${name} updated, serving ${url}\n`);
  });

  endpoint
    .command('delete')
    .description('Delete an endpoint')
    .argument('<name>')
    .action(async (name: string) => {
      const config = cliConfig();
      if (isLocal(config)) await withLocalStore(config, (store) => store.delete(name));
      else await withSageMaker(config, (client) => deleteSageMakerEndpoint(client, name));
      process.stdout.write(`endpoint ${name} deleted\n`);
    });

  endpoint
    .command('list')
    .description('List endpoints')
    .action(async () => {
      const config = cliConfig();
      const lines = isLocal(config)
        ? (await withLocalStore(config, (store) => store.list())).map(
            (e) => `${e.name}\t${e.modelDataUrl}\tv${e.version}\t${e.updatedAt}`,
          )
        : (await withSageMaker(config, listSageMakerEndpoints)).map(
            (e) => `${e.EndpointName}\t${e.EndpointStatus}\t${e.LastModifiedTime?.toISOString() ?? ''}`,
          );
      process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : 'no endpoints\n');
    });

  endpoint
    .command('invoke')
    .description('Send rows (headerless CSV) to an endpoint and print its answer')
    .argument('<name>')
    .requiredOption('--input <file>', 'headerless CSV rows; empty fields are missing values')
    .option('--accept <type>', 'text/csv or application/json', 'text/csv')
    .option('--output <file>', 'where to write the answer (default: standard output)')
    .action(async (name: string, options: { input: string; accept: string; output?: string }) => {
      const config = cliConfig();
      let body: Buffer;
      try {
        body = readFileSync(options.input);
      } catch (error) {
        throw new CliError(`cannot read ${options.input}: ${(error as NodeJS.ErrnoException).code}`);
      }
      const client = new SageMakerRuntimeClient(clientConfig(config, 'sagemakerRuntime'));
      try {
        const response = await client.send(
          new InvokeEndpointCommand({
            EndpointName: name,
            Body: body,
            ContentType: 'text/csv',
            Accept: options.accept,
          }),
        );
        const text = Buffer.from(response.Body ?? new Uint8Array()).toString('utf8');
        if (options.output) writeFileSync(options.output, text);
        else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      } catch (error) {
        const e = error as Error & { OriginalMessage?: string; OriginalStatusCode?: number };
        if (e.name === 'ModelError') {
          throw new CliError(`endpoint ${name}: model error ${e.OriginalStatusCode}: ${e.OriginalMessage}`);
        }
        if (e.name === 'ValidationError') throw new CliError(`endpoint ${name}: ${e.message}`);
        throw error;
      } finally {
        client.destroy();
      }
    });
}

function isLocal(config: RuntimeConfig): boolean {
  return config.stage === 'local';
}

/**
 * The S3 URI of the model package to serve: `--model-data` (checked to be a readable package), or
 * `--model` packaged if needed and uploaded to the artifacts bucket under `endpoints/<name>/`.
 */
async function modelDataUrl(config: RuntimeConfig, name: string, options: DeployOptions): Promise<string> {
  if ((options.model === undefined) === (options.modelData === undefined)) {
    throw new CliError('give exactly one of --model <file> and --model-data <s3-uri>');
  }
  const s3 = createS3Client(config);
  try {
    if (options.modelData) {
      const location = parseS3Uri(options.modelData);
      if (!location) throw new CliError(`--model-data must be an s3:// URI, got ${options.modelData}`);
      const object = await s3
        .send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }))
        .catch((error: unknown) => {
          throw new CliError(`cannot read ${options.modelData}: ${(error as Error).name}`);
        });
      readModelPackage(await object.Body!.transformToByteArray());
      return options.modelData;
    }
    const model = loadModelFile(options.model!);
    const bucket = requireBucket(config, 'artifacts');
    const key = `endpoints/${name}/${new Date().toISOString().replace(/[:.]/g, '-')}/model.tar.gz`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: buildModelPackage(model) }));
    return `s3://${bucket}/${key}`;
  } finally {
    s3.destroy();
  }
}

function deploymentSpec(
  config: RuntimeConfig,
  name: string,
  url: string,
  options: DeployOptions,
): DeploymentSpec {
  if (!options.roleArn) throw new CliError('--role-arn (the SageMaker execution role) is required in AWS');
  return {
    endpointName: name,
    modelDataUrl: url,
    executionRoleArn: options.roleArn,
    region: config.region,
    memorySizeInMb: Number(options.memory ?? 2048),
    maxConcurrency: Number(options.maxConcurrency ?? 5),
    ...(options.instanceType ? { instanceType: options.instanceType } : {}),
  };
}

async function withLocalStore<T>(
  config: RuntimeConfig,
  use: (store: LocalEndpointStore) => Promise<T>,
): Promise<T> {
  const ddb = createDynamoDbClient(config);
  try {
    return await use(new LocalEndpointStore(createDocumentClient(ddb), requireTable(config, 'platform')));
  } finally {
    ddb.destroy();
  }
}

async function withSageMaker<T>(
  config: RuntimeConfig,
  use: (client: SageMakerClient) => Promise<T>,
): Promise<T> {
  const client = new SageMakerClient({ region: config.region });
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}
