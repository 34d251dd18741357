/**
 * Builds a LakehouseContext from the runtime configuration: the adapters' (handlers', CLI's,
 * pipelines') one-liner. Cores receive the context and never build clients themselves.
 */
import { createDocumentClient, createDynamoDbClient, createS3Client } from '../runtime/aws-clients.ts';
import { type RuntimeConfig, requireBucket, requireTable } from '../runtime/config.ts';
import type { LakehouseContext } from './location.ts';

export interface LakehouseClients extends LakehouseContext {
  /** Closes the SDK clients' sockets. */
  destroy(): void;
}

/**
 * A context on the platform's `delta_log` table and lakehouse bucket. Tables must live in that
 * bucket unless `anyBucket` is set (for tables other engines own).
 */
export function lakehouseContext(
  config: RuntimeConfig,
  options: { anyBucket?: boolean } = {},
): LakehouseClients {
  const s3 = createS3Client(config);
  const ddb = createDynamoDbClient(config);
  const dynamodb = createDocumentClient(ddb);
  return {
    s3,
    dynamodb,
    logTable: requireTable(config, 'deltaLog'),
    ...(options.anyBucket ? {} : { bucket: requireBucket(config, 'lakehouse') }),
    destroy: () => {
      s3.destroy();
      ddb.destroy();
    },
  };
}
