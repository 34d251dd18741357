/**
 * Classic single-file checkpoints (PROTOCOL.md "Checkpoints"), written every
 * `delta.checkpointInterval` commits (default 10, as Spark).
 *
 * The Parquet schema copies the one Spark/Delta 3.x writes, field for field and in the same order
 * (Trino, hence Athena, has failed on checkpoints whose only difference was field order), with
 * `stats` as a JSON string and no `*_parsed` columns. `_last_checkpoint` carries no `parts` for a
 * single-file checkpoint (Trino rejects `"parts":1`). The checkpoint holds protocol, metadata, txns,
 * live adds and unexpired tombstones; never commitInfo.
 */
import { parquetWriteBuffer, type SchemaElement } from 'hyparquet-writer';
import { LOG_DIR } from './actions.ts';
import type { Snapshot, TableHandle } from './snapshot.ts';
import { loadSnapshot } from './snapshot.ts';
import { retentionMillis } from './table-config.ts';

const str = (name: string): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  logical_type: { type: 'STRING' },
  repetition_type: 'OPTIONAL',
});
const i64 = (name: string): SchemaElement => ({ name, type: 'INT64', repetition_type: 'OPTIONAL' });
const i32 = (name: string): SchemaElement => ({ name, type: 'INT32', repetition_type: 'OPTIONAL' });
const bool = (name: string): SchemaElement => ({ name, type: 'BOOLEAN', repetition_type: 'OPTIONAL' });
const group = (name: string, children: SchemaElement[][]): SchemaElement[] => [
  { name, repetition_type: 'OPTIONAL', num_children: children.length },
  ...children.flat(),
];
const stringMap = (name: string): SchemaElement[] => [
  {
    name,
    repetition_type: 'OPTIONAL',
    converted_type: 'MAP',
    logical_type: { type: 'MAP' },
    num_children: 1,
  },
  { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
  {
    name: 'key',
    type: 'BYTE_ARRAY',
    converted_type: 'UTF8',
    logical_type: { type: 'STRING' },
    repetition_type: 'REQUIRED',
  },
  str('value'),
];
const stringList = (name: string): SchemaElement[] => [
  {
    name,
    repetition_type: 'OPTIONAL',
    converted_type: 'LIST',
    logical_type: { type: 'LIST' },
    num_children: 1,
  },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  str('element'),
];
const deletionVector = (): SchemaElement[] =>
  group('deletionVector', [
    [str('storageType')],
    [str('pathOrInlineDv')],
    [i32('offset')],
    [i32('sizeInBytes')],
    [i64('cardinality')],
    [i64('maxRowIndex')],
  ]);

/** The checkpoint schema of Spark/Delta 3.x, in its field order. */
export const CHECKPOINT_SCHEMA: SchemaElement[] = [
  { name: 'spark_schema', num_children: 6 },
  ...group('txn', [[str('appId')], [i64('version')], [i64('lastUpdated')]]),
  ...group('add', [
    [str('path')],
    stringMap('partitionValues'),
    [i64('size')],
    [i64('modificationTime')],
    [bool('dataChange')],
    stringMap('tags'),
    deletionVector(),
    [i64('baseRowId')],
    [i64('defaultRowCommitVersion')],
    [str('stats')],
  ]),
  ...group('remove', [
    [str('path')],
    [i64('deletionTimestamp')],
    [bool('dataChange')],
    [bool('extendedFileMetadata')],
    stringMap('partitionValues'),
    [i64('size')],
    deletionVector(),
    [i64('baseRowId')],
    [i64('defaultRowCommitVersion')],
  ]),
  ...group('metaData', [
    [str('id')],
    [str('name')],
    [str('description')],
    group('format', [[str('provider')], stringMap('options')]),
    [str('schemaString')],
    stringList('partitionColumns'),
    stringMap('configuration'),
    [i64('createdTime')],
  ]),
  ...group('protocol', [
    [i32('minReaderVersion')],
    [i32('minWriterVersion')],
    stringList('readerFeatures'),
    stringList('writerFeatures'),
  ]),
  ...group('domainMetadata', [[str('domain')], [str('configuration')], [bool('removed')]]),
];

const big = (value: number | null | undefined) =>
  value === null || value === undefined ? null : BigInt(value);

/** The checkpoint Parquet of a snapshot, and its action count. */
export function buildCheckpoint(
  snapshot: Snapshot,
  now = Date.now(),
): { bytes: Uint8Array; size: number; numOfAddFiles: number } {
  const txn: unknown[] = [];
  const add: unknown[] = [];
  const remove: unknown[] = [];
  const metaData: unknown[] = [];
  const protocol: unknown[] = [];
  const push = (row: {
    txn?: unknown;
    add?: unknown;
    remove?: unknown;
    metaData?: unknown;
    protocol?: unknown;
  }) => {
    txn.push(row.txn ?? null);
    add.push(row.add ?? null);
    remove.push(row.remove ?? null);
    metaData.push(row.metaData ?? null);
    protocol.push(row.protocol ?? null);
  };
  const { protocol: p, metadata: m } = snapshot;
  push({
    protocol: {
      minReaderVersion: p.minReaderVersion,
      minWriterVersion: p.minWriterVersion,
      readerFeatures: p.readerFeatures ?? null,
      writerFeatures: p.writerFeatures ?? null,
    },
  });
  push({
    metaData: {
      id: m.id,
      name: m.name ?? null,
      description: m.description ?? null,
      format: { provider: m.format.provider, options: m.format.options ?? {} },
      schemaString: m.schemaString,
      partitionColumns: m.partitionColumns,
      configuration: m.configuration ?? {},
      createdTime: big(m.createdTime),
    },
  });
  for (const [appId, version] of snapshot.txns)
    push({ txn: { appId, version: BigInt(version), lastUpdated: null } });
  for (const file of snapshot.files) {
    push({
      add: {
        path: file.path,
        partitionValues: file.partitionValues ?? {},
        size: BigInt(file.size),
        modificationTime: BigInt(file.modificationTime),
        dataChange: false,
        tags: file.tags ?? null,
        deletionVector: null,
        baseRowId: null,
        defaultRowCommitVersion: null,
        stats: file.stats ?? null,
      },
    });
  }
  const cutoff = now - retentionMillis(m.configuration);
  for (const tombstone of snapshot.tombstones) {
    if ((tombstone.deletionTimestamp ?? 0) < cutoff) continue;
    push({
      remove: {
        path: tombstone.path,
        deletionTimestamp: big(tombstone.deletionTimestamp),
        dataChange: false,
        extendedFileMetadata: tombstone.extendedFileMetadata ?? null,
        partitionValues: tombstone.partitionValues ?? null,
        size: big(tombstone.size),
        deletionVector: null,
        baseRowId: null,
        defaultRowCommitVersion: null,
      },
    });
  }
  const buffer = parquetWriteBuffer({
    schema: CHECKPOINT_SCHEMA,
    columnData: [
      { name: 'txn', data: txn },
      { name: 'add', data: add },
      { name: 'remove', data: remove },
      { name: 'metaData', data: metaData },
      { name: 'protocol', data: protocol },
      { name: 'domainMetadata', data: txn.map(() => null) },
    ],
    createdBy: 'mlops-kit lakehouse (hyparquet-writer)',
  });
  return { bytes: new Uint8Array(buffer), size: txn.length, numOfAddFiles: snapshot.files.length };
}

/** Writes the checkpoint of `version` and points `_last_checkpoint` at it. */
export async function writeCheckpoint(table: TableHandle, version: number): Promise<void> {
  const snapshot = await loadSnapshot(table, { version });
  const checkpoint = buildCheckpoint(snapshot);
  const name = `${String(version).padStart(20, '0')}.checkpoint.parquet`;
  await table.objects.put(`${LOG_DIR}/${name}`, checkpoint.bytes);
  await table.objects.put(
    `${LOG_DIR}/_last_checkpoint`,
    JSON.stringify({
      version,
      size: checkpoint.size,
      sizeInBytes: checkpoint.bytes.byteLength,
      numOfAddFiles: checkpoint.numOfAddFiles,
    }),
  );
}

/** Writes a checkpoint when `version` is a positive multiple of `interval` (`delta.checkpointInterval`). */
export async function writeCheckpointIfDue(
  table: TableHandle,
  version: number,
  interval: number,
): Promise<boolean> {
  if (version === 0 || version % interval !== 0) return false;
  await writeCheckpoint(table, version);
  return true;
}

/** `delta.checkpointInterval` of a table configuration (default 10). */
export function checkpointInterval(configuration: Readonly<Record<string, string>>): number {
  const every = Number(configuration['delta.checkpointInterval'] ?? 10);
  return Number.isInteger(every) && every >= 1 ? every : 10;
}
