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
import { type CellValue, decimalParts, type Row, type StructField, type StructType } from './schema.ts';
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
 *
 * A row whose values are all already in canonical form (every column present, nulls as `null`,
 * no other keys) is returned as it is rather than copied: the result is read-only either way, and
 * a million-row append then allocates no second million objects.
 */
export function conformRows(rows: readonly Record<string, unknown>[], schema: StructType): Row[] {
  const names = new Set(schema.fields.map((field) => field.name));
  const fields = schema.fields.map((field) => ({ field, coerce: fastCoercer(field) }));
  const width = fields.length;
  const out = new Array<Row>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const input = rows[r] as Record<string, unknown>;
    let keys = 0;
    for (const key in input) {
      if (!names.has(key)) {
        if (input[key] !== undefined) {
          throw new SchemaMismatchError(
            `column "${key}" is not in the table schema (columns: ${[...names].join(', ')}); pass mergeSchema to add it`,
            key,
          );
        }
        keys = -1;
      } else if (keys >= 0) keys++;
    }
    let row: Row | undefined = keys === width ? (input as Row) : undefined;
    for (let c = 0; c < width; c++) {
      const { field, coerce } = fields[c] as (typeof fields)[number];
      const original = input[field.name];
      const value = coerce(original);
      if (value === null && !field.nullable) {
        throw new SchemaMismatchError(
          `column "${field.name}" is not nullable but a row has no value for it`,
          field.name,
        );
      }
      if (row === input && value !== original) {
        // A value changed: from here on the row is a copy.
        row = {};
        for (let k = 0; k < c; k++) {
          const name = (fields[k] as (typeof fields)[number]).field.name;
          row[name] = input[name] as Row[string];
        }
      } else if (row === undefined) row = {};
      if (row !== input) row[field.name] = value;
    }
    out[r] = row ?? {};
  }
  return out;
}

/**
 * A per-column coercer with a fast path for values already in canonical form (the common case for
 * rows built by code), falling back to `coerceValue` for everything else.
 */
function fastCoercer(field: StructField): (value: unknown) => CellValue {
  const slow = (value: unknown) => coerceValue(value, field.type, field.name);
  const decimal = decimalParts(field.type);
  if (decimal) {
    const canonical = new RegExp(
      `^-?\\d{1,${Math.max(1, decimal.precision - decimal.scale)}}${decimal.scale > 0 ? `\\.\\d{${decimal.scale}}` : ''}$`,
    );
    return (value) =>
      typeof value === 'string' && canonical.test(value) && !/^-?0\d/.test(value) ? value : slow(value);
  }
  switch (field.type) {
    case 'string':
      return (value) => (typeof value === 'string' ? value : slow(value));
    case 'long':
      return (value) => (typeof value === 'bigint' ? value : slow(value));
    case 'double':
    case 'float':
    case 'boolean':
      return (value) =>
        typeof value === (field.type === 'boolean' ? 'boolean' : 'number')
          ? (value as CellValue)
          : slow(value);
    case 'integer':
      return (value) => (typeof value === 'number' && (value | 0) === value ? value : slow(value));
    case 'timestamp':
      return (value) => (value instanceof Date && !Number.isNaN(value.getTime()) ? value : slow(value));
    case 'date':
      return (value) => (value instanceof Date && value.getTime() % 86_400_000 === 0 ? value : slow(value));
    default:
      return slow;
  }
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
  const groups = new Map<string, { values: Record<string, string | null>; rows: readonly Row[] }>();
  if (partitionFields.length === 0 && rows.length > 0) groups.set('{}', { values: {}, rows });
  else
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
      (group.rows as Row[]).push(row);
    }
  const target = options.targetFileRows ?? 1_000_000;
  const adds: AddFile[] = [];
  for (const { values, rows: groupRows } of groups.values()) {
    for (let start = 0; start < groupRows.length; start += target) {
      const chunk =
        start === 0 && groupRows.length <= target ? groupRows : groupRows.slice(start, start + target);
      const file = await writeParquetFile(dataFields, chunk, {
        rowGroupSize: options.rowGroupSize ?? ROW_GROUP_ROWS,
      });
      const key = dataFileKey(partitionColumns, values);
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

/** Rows per Parquet row group of the kit's data files. */
export const ROW_GROUP_ROWS = 100_000;

/**
 * A new data file's key: Hive-style partition folders (`country=FR/`, null as
 * `__HIVE_DEFAULT_PARTITION__`) and a unique name.
 */
export function dataFileKey(
  partitionColumns: readonly string[],
  values: Readonly<Record<string, string | null>>,
): string {
  const folder = partitionColumns
    .map((name) => {
      const value = values[name] ?? null;
      return `${name}=${value === null ? '__HIVE_DEFAULT_PARTITION__' : escapePathValue(value)}`;
    })
    .join('/');
  const name = `part-00000-${crypto.randomUUID()}-c000.snappy.parquet`;
  return folder ? `${folder}/${name}` : name;
}

/** URI-encodes a relative key for `add.path` (RFC 2396), keeping `/` and `=`. */
export function encodePath(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%3D/g, '='))
    .join('/');
}
