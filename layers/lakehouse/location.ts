/**
 * Table locations: `s3://bucket/prefix/table` URIs resolved to a TableHandle (the S3 object store
 * plus the DynamoDB log store), and local directories for tables on disk.
 *
 * The URI is normalised to the form S3DynamoDBLogStore uses as `tablePath`: the `s3://` scheme
 * (`s3a://` and `s3n://` are accepted and rewritten) and no trailing slash. Every writer of a table
 * must use the same string, so the kit always writes this form.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type CommitStep, DynamoDbLogStore } from './dynamodb-log-store.ts';
import { InvalidTableLocationError } from './errors.ts';
import { FsObjectStore } from './fs-object-store.ts';
import { PutIfAbsentLogStore } from './log-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import type { TableHandle } from './snapshot.ts';

/** The clients and settings every lakehouse call needs. */
export interface LakehouseContext {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBDocumentClient;
  /** Name of the `delta_log` DynamoDB table. */
  readonly logTable: string;
  /** When set, tables must live in this bucket (the platform's lakehouse bucket). */
  readonly bucket?: string;
  /** Fault injection for tests: called after each commit step. */
  readonly afterStep?: (step: CommitStep, version: number) => void | Promise<void>;
}

export interface ParsedLocation {
  readonly bucket: string;
  readonly prefix: string;
  /** Normalised URI: `s3://bucket/prefix`, no trailing slash. */
  readonly uri: string;
}

/** Parses and normalises an `s3://bucket/prefix` table URI. */
export function parseTableUri(uri: string): ParsedLocation {
  const match = /^s3[an]?:\/\/([^/]+)\/(.+)$/.exec(uri.trim());
  if (!match)
    throw new InvalidTableLocationError(
      `table location must look like s3://bucket/path/to/table, got "${uri}"`,
    );
  const bucket = match[1] as string;
  const prefix = (match[2] as string).replace(/\/+$/, '');
  const segments = prefix.split('/');
  if (prefix === '' || segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new InvalidTableLocationError(`table location "${uri}" has an empty, "." or ".." path segment`);
  }
  if (segments.some((segment) => segment.startsWith('_delta_log'))) {
    throw new InvalidTableLocationError(`table location "${uri}" points inside a _delta_log folder`);
  }
  return { bucket, prefix, uri: `s3://${bucket}/${prefix}` };
}

/** Opens the table at an S3 URI (the table may not exist yet). */
export function openTable(context: LakehouseContext, uri: string): TableHandle & { readonly uri: string } {
  const location = parseTableUri(uri);
  if (context.bucket !== undefined && location.bucket !== context.bucket) {
    throw new InvalidTableLocationError(
      `table location ${location.uri} is outside the lakehouse bucket ${context.bucket}`,
    );
  }
  const objects = new S3ObjectStore(context.s3, location.bucket, location.prefix);
  const log = new DynamoDbLogStore({
    client: context.dynamodb,
    tableName: context.logTable,
    objects,
    ...(context.afterStep ? { afterStep: context.afterStep } : {}),
  });
  return { objects, log, uri: location.uri };
}

/** Opens a table in a local directory (commits by exclusive file creation). */
export function openLocalTable(dir: string): TableHandle {
  const objects = new FsObjectStore(dir);
  return { objects, log: new PutIfAbsentLogStore(objects) };
}
