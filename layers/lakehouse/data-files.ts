/**
 * Writing rows as data files: rows are checked and coerced against the schema (schema
 * enforcement), grouped by partition values into Hive-style folders (`country=FR/`, null as
 * `__HIVE_DEFAULT_PARTITION__`), split into files of at most `targetFileRows` rows, and written
 * with unique names. Partition columns are not stored in the files.
 */
import type { AddFile } from './actions.ts';
import { SchemaMismatchError } from './errors.ts';
import type { ObjectStore } from './object-store.ts';
import { writeParquetFile } from './parquet-write.ts';
import type { Row, StructField, StructType } from './schema.ts';
import { coerceValue, serializePartitionValue } from './values.ts';

export interface WriteFilesOptions {
  /** Rows per data file. @default 1_000_000 */
  readonly targetFileRows?: number;
  /** Rows per Parquet row group. @default 100_000 */
  readonly rowGroupSize?: number;
  /** `dataChange` of the add actions (false for compaction). @default true */
  readonly dataChange?: boolean;
}

/**
 * Coerces input rows to the schema: every key must be a column (the error names the first one
 * that is not), non-nullable columns must have values, and each value must fit its type.
 */
export function conformRows(rows: readonly Record<string, unknown>[], schema: StructType): Row[] {
  const names = new Set(schema.fields.map((field) => field.name));
  return rows.map((input) => {
    for (const key of Object.keys(input)) {
      if (!names.has(key) && input[key] !== undefined) {
        throw new SchemaMismatchError(
          `column "${key}" is not in the table schema (columns: ${[...names].join(', ')}); pass mergeSchema to add it`,
          key,
        );
      }
    }
    const row: Row = {};
    for (const field of schema.fields) {
      const value = coerceValue(input[field.name], field.type, field.name);
      if (value === null && !field.nullable) {
        throw new SchemaMismatchError(
          `column "${field.name}" is not nullable but a row has no value for it`,
          field.name,
        );
      }
      row[field.name] = value;
    }
    return row;
  });
}

/** Escapes a partition value for a folder name as Hive does (`%XX` for unsafe characters). */
function escapePathValue(value: string): string {
  return value.replace(
    /[^A-Za-z0-9._\- +]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/** Writes rows (already conformed) as data files; returns their add actions. */
export async function writeDataFiles(
  objects: ObjectStore,
  schema: StructType,
  partitionColumns: readonly string[],
  rows: readonly Row[],
  options: WriteFilesOptions = {},
): Promise<AddFile[]> {
  const partitionSet = new Set(partitionColumns);
  const dataFields: StructField[] = schema.fields.filter((field) => !partitionSet.has(field.name));
  const partitionFields = partitionColumns.map((name) => {
    const field = schema.fields.find((f) => f.name === name);
    if (!field) throw new SchemaMismatchError(`partition column "${name}" is not in the schema`, name);
    return field;
  });
  const groups = new Map<string, { values: Record<string, string | null>; rows: Row[] }>();
  for (const row of rows) {
    const values: Record<string, string | null> = {};
    for (const field of partitionFields)
      values[field.name] = serializePartitionValue(row[field.name], field.type);
    const id = JSON.stringify(values);
    let group = groups.get(id);
    if (!group) {
      group = { values, rows: [] };
      groups.set(id, group);
    }
    group.rows.push(row);
  }
  const target = options.targetFileRows ?? 1_000_000;
  const adds: AddFile[] = [];
  for (const { values, rows: groupRows } of groups.values()) {
    const folder = partitionFields
      .map(
        (field) =>
          `${field.name}=${values[field.name] === null ? '__HIVE_DEFAULT_PARTITION__' : escapePathValue(values[field.name] as string)}`,
      )
      .join('/');
    for (let start = 0; start < groupRows.length; start += target) {
      const chunk = groupRows.slice(start, start + target);
      const file = writeParquetFile(dataFields, chunk, { rowGroupSize: options.rowGroupSize ?? 100_000 });
      const name = `part-00000-${crypto.randomUUID()}-c000.snappy.parquet`;
      const key = folder ? `${folder}/${name}` : name;
      await objects.put(key, file.bytes);
      adds.push({
        path: encodePath(key),
        partitionValues: values,
        size: file.bytes.byteLength,
        modificationTime: Date.now(),
        dataChange: options.dataChange ?? true,
        stats: file.stats,
      });
    }
  }
  return adds;
}

/** URI-encodes a relative key for `add.path` (RFC 2396), keeping `/` and `=`. */
export function encodePath(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%3D/g, '='))
    .join('/');
}
