import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import { PARQUET_WASM_FILE } from '../../layers/lakehouse/parquet-engine.ts';
import type { Access } from '../platform/api.ts';
import { BUCKETS, type BucketId } from '../platform/buckets.ts';
import { TABLES, type TableId } from '../platform/tables.ts';

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The stateful resources a function may be given access to (the data stack's, by interface). */
export interface PlatformData {
  readonly key: IKey;
  readonly tables: Readonly<Record<TableId, ITable>>;
  readonly buckets: Readonly<Partial<Record<BucketId, IBucket>>>;
}

export interface KitFunctionProps {
  /** Handler module relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly stage: string;
  readonly data: PlatformData;
  /** Tables the function uses; their names reach it as environment variables. */
  readonly tables: Readonly<Partial<Record<TableId, Access>>>;
  /** Buckets the function uses; their names reach it as environment variables. */
  readonly buckets: Readonly<Partial<Record<BucketId, Access>>>;
  /** @default 512 */
  readonly memoryMb?: number;
  /** @default 29 */
  readonly timeoutSeconds?: number;
  /** Extra environment variables. @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 90 days */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Allow sagemaker:InvokeEndpoint: `true` on every endpoint of the account in the region, `'stage'`
   * only on the stage's endpoints (names starting `mlops-<stage>-`). @default false
   */
  readonly invokesSageMakerEndpoints?: boolean | 'stage';
  /**
   * Packages with native binaries: installed beside the bundle rather than bundled, and the function
   * runs on the architecture of the machine that bundles it (whose binaries npm installs). @default none
   */
  readonly nativeModules?: readonly string[];
  /** Allow creating and updating tables in the stage's Glue database `mlops_<stage>`. @default false */
  readonly registersTables?: boolean;
}

/**
 * One of the kit's Lambda functions: bundled from TypeScript by the local esbuild (ESM, Node 22,
 * arm64, the runtime's AWS SDK left out), with its own log group, X-Ray tracing and a role that
 * allows exactly the declared table and bucket access — no managed policies, no `*` actions.
 */
export class KitFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: KitFunctionProps) {
    super(scope, id);
    const memoryMb = props.memoryMb ?? 512;
    const timeoutSeconds = props.timeoutSeconds ?? 29;
    if (memoryMb < 128 || memoryMb > 10_240)
      throw new Error(`memoryMb must be from 128 to 10240, got ${memoryMb}`);
    if (timeoutSeconds < 1 || timeoutSeconds > 900)
      throw new Error(`timeoutSeconds must be from 1 to 900, got ${timeoutSeconds}`);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (${props.stage})`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:log-stream:*`],
      }),
    );

    const environment: Record<string, string> = {
      MLOPS_STAGE: props.stage,
      NODE_OPTIONS: '--enable-source-maps',
      ...props.environment,
    };
    for (const [tableId, access] of Object.entries(props.tables) as [TableId, Access][]) {
      const table = props.data.tables[tableId];
      environment[TABLES[tableId].envVar] = table.tableName;
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: access === 'read' ? TABLE_READ : [...TABLE_READ, ...TABLE_WRITE],
          resources: [table.tableArn, `${table.tableArn}/index/*`],
        }),
      );
    }
    for (const [bucketId, access] of Object.entries(props.buckets) as [BucketId, Access][]) {
      const bucket = props.data.buckets[bucketId];
      if (!bucket) throw new Error(`bucket ${bucketId} is not part of the platform data given to ${id}`);
      environment[BUCKETS[bucketId].envVar] = bucket.bucketName;
      this.role.addToPolicy(
        new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
      );
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: access === 'read' ? OBJECT_READ : [...OBJECT_READ, ...OBJECT_WRITE],
          resources: [bucket.arnForObjects('*')],
        }),
      );
    }
    if (props.registersTables) {
      const stack = Stack.of(this);
      const database = `mlops_${props.stage.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable'],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: database }),
            stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${database}/*` }),
          ],
        }),
      );
    }
    if (props.invokesSageMakerEndpoints) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['sagemaker:InvokeEndpoint'],
          resources: [
            Stack.of(this).formatArn({
              service: 'sagemaker',
              resource: 'endpoint',
              resourceName: props.invokesSageMakerEndpoints === 'stage' ? `mlops-${props.stage}-*` : '*',
            }),
          ],
        }),
      );
    }
    if (Object.keys(props.tables).length > 0 || Object.keys(props.buckets).length > 0) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          resources: [props.data.key.keyArn],
        }),
      );
    }

    const native = props.nativeModules?.length ? props.nativeModules : undefined;
    this.function = new NodejsFunction(this, 'Function', {
      entry: resolve(REPOSITORY_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: native ? bundlingArchitecture() : lambda.Architecture.ARM_64,
      memorySize: memoryMb,
      timeout: Duration.seconds(timeoutSeconds),
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment,
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: resolve(REPOSITORY_ROOT, 'package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        externalModules: [...EXTERNAL_MODULES],
        ...(native ? { nodeModules: [...native] } : {}),
        forceDockerBundling: false,
        mainFields: ['module', 'main'],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) => bundleAssetCommands(inputDir, outputDir),
        },
        banner: BUNDLE_BANNER,
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'The kit targets nodejs22.x, the runtime its code and tests are built for.',
    });
  }
}

/**
 * Modules left out of every bundle. The runtime provides the AWS SDK v3 (bundling it would only
 * grow the cold start). DuckDB is a native binary that the shared libraries load with a dynamic
 * import on the paths that need it (local SQL, training sets); the functions that run those paths
 * declare it in `nativeModules`, which installs it beside their bundle.
 */
export const EXTERNAL_MODULES = ['@aws-sdk/*', '@duckdb/node-api'] as const;

/** ESM bundles still meet CommonJS dependencies that call require(). */
export const BUNDLE_BANNER =
  "import { createRequire as __kitCreateRequire } from 'node:module'; const require = __kitCreateRequire(import.meta.url);";

/**
 * The esbuild options KitFunction bundles with (through NodejsFunction), for tools that bundle the
 * same way outside CDK: the bundle tests and the bundle-size benchmark.
 */
export function kitEsbuildOptions(entry: string, nativeModules: readonly string[] = []): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    mainFields: ['module', 'main'],
    external: [...EXTERNAL_MODULES, ...nativeModules],
    banner: { js: BUNDLE_BANNER },
    logLevel: 'silent',
  };
}

/**
 * Shell commands run after esbuild: a bundle that contains the lakehouse's Parquet encoder gets the
 * encoder's WebAssembly module beside it (`layers/lakehouse/parquet-engine.ts` looks there first).
 */
export function bundleAssetCommands(inputDir: string, outputDir: string): string[] {
  const wasm = `${inputDir}/node_modules/parquet-wasm/esm/${PARQUET_WASM_FILE}`;
  return [`if grep -q ${PARQUET_WASM_FILE} "${outputDir}/index.mjs"; then cp "${wasm}" "${outputDir}/"; fi`];
}

/** The Lambda architecture matching the machine that bundles (and so installs native binaries). */
function bundlingArchitecture(): lambda.Architecture {
  return process.arch === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
}

const TABLE_READ = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
];
const TABLE_WRITE = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];
const OBJECT_READ = ['s3:GetObject', 's3:GetObjectVersion'];
const OBJECT_WRITE = [
  's3:PutObject',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
];
