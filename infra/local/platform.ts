/**
 * The embedded platform: dynalite, fauxqs and the HTTP gateway in one process, with the tables and
 * buckets of the CDK data stack and every function of the HTTP API.
 *
 *   client ──HTTP──▶ gateway :port ──payload v2 event──▶ functions/<f>/handler.ts (createHandler(env))
 *                      │ also SageMaker Runtime (/endpoints/…) and Step Functions (POST /, the kit's pipelines)
 *                                                             │ AWS SDK v3
 *                               dynalite :port+1 ◀────────────┤
 *                               fauxqs   :port+2 ◀────────────┘
 *
 * Started on a data directory, it keeps DynamoDB's LevelDB files in `<data-dir>/dynamodb` and S3
 * objects as plain files in `<data-dir>/s3`; started again on the same directory it finds
 * everything as it was. Without a data directory everything stays in memory (tests).
 */
import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { createDynamoDbClient, createS3Client } from '../../layers/runtime/aws-clients.ts';
import { loadRuntimeConfig, type RuntimeConfig } from '../../layers/runtime/config.ts';
import type { HttpHandler } from '../../layers/runtime/http/types.ts';
import { BUCKETS } from '../platform/buckets.ts';
import { FUNCTIONS } from '../platform/functions.ts';
import { TABLES } from '../platform/tables.ts';
import { type GatewayRoute, type LocalRoute, startGateway } from './gateway.ts';
import { ensureTables, startLocalDynamoDb } from './local-dynamodb.ts';
import { DEFAULT_PORT, defaultPorts, localEnv } from './local-env.ts';
import { ensureBuckets, startLocalS3 } from './local-s3.ts';
import { sageMakerRuntimeRoute } from './sagemaker-runtime.ts';
import { stepFunctionsRoute } from './step-functions-api.ts';

export interface LocalPlatformOptions {
  /** Where state is kept; in memory when undefined. */
  readonly dataDir?: string;
  /** Gateway port; 0 picks free ports for everything. @default 5000 */
  readonly port?: number;
  /** @default port + 1 */
  readonly dynamodbPort?: number;
  /** @default port + 2 */
  readonly s3Port?: number;
  /** Require `Authorization: Bearer <token>` on the API. @default no authentication on loopback */
  readonly token?: string;
  /** Extra local-only routes (e.g. the SageMaker runtime endpoint). */
  readonly localRoutes?: readonly LocalRoute[];
}

export interface LocalPlatform {
  readonly url: string;
  readonly dataDir?: string;
  readonly endpoints: { readonly gateway: string; readonly dynamodb: string; readonly s3: string };
  /** The environment that points SDKs and the kit's CLI at this platform. */
  readonly env: Readonly<Record<string, string>>;
  readonly config: RuntimeConfig;
  /** Tables and buckets this start created (empty when they all existed). */
  readonly created: { readonly tables: readonly string[]; readonly buckets: readonly string[] };
  stop(): Promise<void>;
}

/** A start-up failure with a one-line, user-facing message. */
export class PlatformStartError extends Error {
  override readonly name = 'PlatformStartError';
}

const STATE_FILE = 'platform.json';

export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  const port = options.port ?? DEFAULT_PORT;
  const defaults = defaultPorts(port);
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir) prepareDataDir(dataDir);

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const dynamodb = await startLocalDynamoDb({
      port: options.dynamodbPort ?? defaults.dynamodb,
      ...(dataDir ? { path: join(dataDir, 'dynamodb') } : {}),
    }).catch((error: unknown) => {
      throw describeStartError(error, 'DynamoDB stand-in', options.dynamodbPort ?? defaults.dynamodb);
    });
    stops.push(() => dynamodb.close());
    const s3 = await startLocalS3({
      port: options.s3Port ?? defaults.s3,
      ...(dataDir ? { storageDir: join(dataDir, 's3') } : {}),
    }).catch((error: unknown) => {
      throw describeStartError(error, 'S3 stand-in', options.s3Port ?? defaults.s3);
    });
    stops.push(() => s3.close());

    // The gateway's port is known only once it listens; functions are bound to the env after that.
    let env: Record<string, string> = {};
    const handlers = new Map<string, HttpHandler>();
    const runtimeRoute = sageMakerRuntimeRoute(() => env);
    stops.push(async () => runtimeRoute.close());
    const routes: GatewayRoute[] = [
      ...(options.localRoutes ?? []),
      healthRoute(() => env),
      runtimeRoute,
      stepFunctionsRoute(() => env),
    ];
    for (const [id, fn] of Object.entries(FUNCTIONS)) {
      const lazy: HttpHandler = async (event, context) => {
        let handler = handlers.get(id);
        if (!handler) {
          handler = await loadFunction(fn.entry, env);
          handlers.set(id, handler);
        }
        return handler(event, context);
      };
      for (const route of fn.routes) {
        routes.push({
          kind: 'lambda',
          method: route.method,
          path: route.path,
          scope: route.scope,
          functionName: id,
          timeoutSeconds: fn.timeoutSeconds ?? 29,
          handler: lazy,
        });
      }
    }
    const gateway = await startGateway({
      port: defaults.gateway,
      routes,
      ...(options.token ? { token: options.token } : {}),
    }).catch((error: unknown) => {
      throw describeStartError(error, 'API gateway', defaults.gateway);
    });
    stops.push(() => gateway.close());

    env = {
      ...localEnv({
        gateway: gateway.port,
        dynamodb: Number(new URL(dynamodb.endpoint).port),
        s3: Number(new URL(s3.endpoint).port),
      }),
    };
    const config = loadRuntimeConfig(env);
    const ddbClient = createDynamoDbClient(config);
    const s3Client = createS3Client(config);
    const createdTables = await ensureTables(
      ddbClient,
      Object.values(TABLES).map((definition) => ({ name: definition.localName, definition })),
    );
    const createdBuckets = await ensureBuckets(
      s3Client,
      Object.values(BUCKETS)
        .filter((bucket) => bucket.local)
        .map((bucket) => bucket.localName),
    );
    ddbClient.destroy();
    s3Client.destroy();

    if (dataDir) {
      const stateFile = join(dataDir, STATE_FILE);
      writeFileSync(stateFile, `${JSON.stringify({ pid: process.pid, url: gateway.url, env }, null, 2)}\n`);
      stops.unshift(async () => rmSync(stateFile, { force: true }));
    }
    return {
      url: gateway.url,
      ...(dataDir ? { dataDir } : {}),
      endpoints: { gateway: gateway.url, dynamodb: dynamodb.endpoint, s3: s3.endpoint },
      env,
      config,
      created: { tables: createdTables, buckets: createdBuckets },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function loadFunction(entry: string, env: Record<string, string>): Promise<HttpHandler> {
  const module = (await import(new URL(`../../${entry}`, import.meta.url).href)) as {
    createHandler?: (env: Record<string, string>) => HttpHandler;
  };
  if (typeof module.createHandler !== 'function') {
    throw new Error(`${entry} does not export createHandler(env)`);
  }
  return module.createHandler(env);
}

function healthRoute(env: () => Record<string, string>): LocalRoute {
  return {
    kind: 'local',
    method: 'GET',
    path: '/health',
    handle: async () => {
      const config = loadRuntimeConfig(env());
      const ddb = createDynamoDbClient(config);
      const s3 = createS3Client(config);
      const check = async (name: string, endpoint: string | undefined, probe: () => Promise<object>) => {
        const started = performance.now();
        try {
          const details = await probe();
          return [
            name,
            { status: 'ok', endpoint, latencyMs: Math.round(performance.now() - started), ...details },
          ];
        } catch (error) {
          return [name, { status: 'error', endpoint, error: (error as Error).message }];
        }
      };
      const services = Object.fromEntries(
        await Promise.all([
          check('dynamodb', config.endpoints.dynamodb, async () => ({
            tables: (await ddb.send(new ListTablesCommand({}))).TableNames?.length ?? 0,
          })),
          check('s3', config.endpoints.s3, async () => ({
            buckets: (await s3.send(new ListBucketsCommand({}))).Buckets?.length ?? 0,
          })),
          Promise.resolve(['gateway', { status: 'ok', endpoint: config.apiUrl }]),
        ]),
      ) as Record<string, { status: string }>;
      ddb.destroy();
      s3.destroy();
      const ok = Object.values(services).every((service) => service.status === 'ok');
      return {
        statusCode: ok ? 200 : 503,
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ status: ok ? 'ok' : 'degraded', services })),
      };
    },
  };
}

function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
    const probe = join(dataDir, `.write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    throw new PlatformStartError(
      `data dir ${dataDir} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

function describeStartError(error: unknown, what: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new PlatformStartError(`port ${port} is already in use (${what}); choose another with --port`);
  if (code === 'EACCES') return new PlatformStartError(`no permission to listen on port ${port} (${what})`);
  const message = (error as Error).message ?? String(error);
  if (/lock/i.test(message)) {
    return new PlatformStartError(`the data dir is in use by another running platform (${what}: ${message})`);
  }
  return new PlatformStartError(`${what} failed to start: ${message}`);
}
