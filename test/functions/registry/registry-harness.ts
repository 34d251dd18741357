/**
 * A registry function on dynalite, called with payload v2 events as API Gateway would, with the
 * caller's scopes chosen per call (the local gateway always grants every scope).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbAuditLog } from '../../../functions/registry/audit-log.ts';
import { DynamoDbRegistryStore } from '../../../functions/registry/dynamodb-registry-store.ts';
import { createRegistryHandler, type RegistryDeps } from '../../../functions/registry/handler.ts';
import { toEvent } from '../../../infra/local/api-gateway-event.ts';
import { ensureTables, startLocalDynamoDb } from '../../../infra/local/local-dynamodb.ts';
import { TABLES } from '../../../infra/platform/tables.ts';
import { createDocumentClient, createDynamoDbClient } from '../../../layers/runtime/aws-clients.ts';
import { loadRuntimeConfig } from '../../../layers/runtime/config.ts';
import { type DomainEvent, InProcessEventBus } from '../../../layers/runtime/events.ts';
import type { Context, HttpHandler } from '../../../layers/runtime/http/types.ts';

export const ADMIN = ['mlops/read', 'mlops/write', 'mlops/admin'];
export const WRITER = ['mlops/read', 'mlops/write'];

const context = { getRemainingTimeInMillis: () => 29_000 } as unknown as Context;

export interface Harness {
  readonly store: DynamoDbRegistryStore;
  readonly auditLog: DynamoDbAuditLog;
  readonly bus: InProcessEventBus;
  readonly events: DomainEvent[];
  call(
    method: string,
    path: string,
    fields?: Record<string, unknown>,
    options?: { scopes?: readonly string[]; principal?: string },
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/** Starts dynalite with the registry table and builds the registry handler over it. */
export async function startHarness(extra: Partial<RegistryDeps> = {}): Promise<Harness> {
  const dynamodb = await startLocalDynamoDb({ port: 0 });
  const config = loadRuntimeConfig({
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    MLOPS_LOCAL_ACCESS_KEY_ID: 'local',
    MLOPS_LOCAL_SECRET_ACCESS_KEY: 'local',
  });
  const client: DynamoDBClient = createDynamoDbClient(config);
  await ensureTables(client, [{ name: 'registry', definition: TABLES.registry }]);
  const db = createDocumentClient(client);
  const store = new DynamoDbRegistryStore(db, 'registry');
  const auditLog = new DynamoDbAuditLog(db, 'registry');
  const bus = new InProcessEventBus();
  const events: DomainEvent[] = [];
  bus.subscribe('mlops.registry', (event) => {
    events.push(event);
  });
  const handler: HttpHandler = createRegistryHandler({ store, auditLog, events: bus, ...extra });
  return {
    store,
    auditLog,
    bus,
    events,
    async call(method, path, fields = {}, options = {}) {
      const isGet = method === 'GET';
      const query = isGet
        ? new URLSearchParams(
            Object.entries(fields).flatMap(([key, value]) =>
              (Array.isArray(value) ? value : [value]).map((item): [string, string] => [key, String(item)]),
            ),
          ).toString()
        : '';
      const event = toEvent(
        {
          method,
          url: query ? `${path}?${query}` : path,
          headers: { 'content-type': 'application/json' },
          body: isGet ? Buffer.alloc(0) : Buffer.from(JSON.stringify(fields)),
          sourceIp: '127.0.0.1',
        },
        {
          routeKey: `${method} ${path}`,
          pathParameters: {},
          claims: { sub: options.principal ?? 'alice', username: options.principal ?? 'alice' },
          scopes: options.scopes ?? ADMIN,
        },
      );
      const result = await handler(event, context);
      return {
        status: result.statusCode ?? 200,
        body: JSON.parse(result.body ?? '{}') as Record<string, unknown>,
      };
    },
    async stop() {
      client.destroy();
      await dynamodb.close();
    },
  };
}

export const R = '/api/2.0/mlflow/registered-models';
export const V = '/api/2.0/mlflow/model-versions';
