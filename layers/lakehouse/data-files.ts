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
 * a million-row append then allocates no second million objects. The per-row loop is generated
 * per schema with the column names as literals (see `conformFunction`), so its property reads and
 * coercer calls are monomorphic.
 */
export function conformRows(rows: readonly Record<string, unknown>[], schema: StructType): Row[] {
  const names = new Set(schema.fields.map((field) => field.name));
  const coercers = schema.fields.map((field) => fastCoercer(field));
  const out = new Array<Row>(rows.length);
  const problem = (input: Record<string, unknown>, column: number): never => {
    for (const key in input) {
      if (!names.has(key) && input[key] !== undefined) {
        throw new SchemaMismatchError(
          `column "${key}" is not in the table schema (columns: ${[...names].join(', ')}); pass mergeSchema to add it`,
          key,
        );
      }
    }
    const field = schema.fields[column] as StructField;
    throw new SchemaMismatchError(
      `column "${field.name}" is not nullable but a row has no value for it`,
      field.name,
    );
  };
  conformFunction(schema)(rows, out, coercers, problem);
  return out;
}

type Conform = (
  rows: readonly Record<string, unknown>[],
  out: Row[],
  coercers: readonly ((value: unknown) => CellValue)[],
  problem: (input: Record<string, unknown>, column: number) => never,
) => void;

const conforms = new Map<string, Conform>();

/**
 * The loop of conformRows for a schema. Per row: count its keys, coerce each column's value
 * (`problem` reports a missing non-nullable value, after any unknown key); keep the row when it has
 * exactly the schema's keys and every value is already canonical, else build the coerced copy
 * (after checking the keys).
 */
function conformFunction(schema: StructType): Conform {
  const key = JSON.stringify(schema.fields.map((field) => [field.name, field.nullable]));
  let conform = conforms.get(key);
  if (!conform) {
    const fields = schema.fields;
    const name = (c: number) => JSON.stringify((fields[c] as StructField).name);
    const lines: string[] = fields.map((_, c) => `const c${c} = coercers[${c}];`);
    lines.push('for (let r = 0; r < rows.length; r++) {', 'const input = rows[r];', 'let keys = 0;');
    lines.push('for (const k in input) keys++;');
    fields.forEach((field, c) => {
      lines.push(`const v${c} = input[${name(c)}];`, `const w${c} = c${c}(v${c});`);
      if (!field.nullable) lines.push(`if (w${c} === null) problem(input, ${c});`);
    });
    const same = fields.map((_, c) => `w${c} === v${c}`).join(' && ');
    lines.push(`if (keys === ${fields.length}${same ? ` && ${same}` : ''}) out[r] = input;`);
    lines.push('else {');
    lines.push(
      'for (const k in input) if (!Object.hasOwn(columns, k) && input[k] !== undefined) problem(input, -1);',
    );
    lines.push(`out[r] = { ${fields.map((_, c) => `${name(c)}: w${c}`).join(', ')} };`);
    lines.push('}', '}');
    const columns = JSON.stringify(Object.fromEntries(fields.map((field) => [field.name, true])));
    const body = `const columns = ${columns};\n${lines.join('\n')}`;
    conform = new Function('rows', 'out', 'coercers', 'problem', body) as Conform;
    conforms.set(key, conform);
  }
  return conform;
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
  const target = options.targetFileRows ?? 1_000_000;
  const adds: AddFile[] = [];
  for (const { values, rows: groupRows } of partitionGroups(rows, partitionFields)) {
    for (let start = 0; start < groupRows.length; start += target) {
      const chunk =
        start === 0 && groupRows.length <= target ? groupRows : groupRows.slice(start, start + target);
      const file = await writeParquetFile(dataFields, chunk, {
        rowGroupSize: options.rowGroupSize ?? ROW_GROUP_ROWS,
      });
      adds.push(await putDataFile(objects, partitionColumns, values, file, options.dataChange ?? true));
    }
  }
  return adds;
}

/** The rows of each partition with its serialised values (one group, no copy, when unpartitioned). */
function partitionGroups(
  rows: readonly Row[],
  partitionFields: readonly StructField[],
): { values: Record<string, string | null>; rows: readonly Row[] }[] {
  if (partitionFields.length === 0) return rows.length > 0 ? [{ values: {}, rows }] : [];
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
  return [...groups.values()];
}

/**
 * Stores an encoded data file under a new key in its partition's folder; returns its add action
 * (the partition values as given, so a compaction keeps them exactly as logged).
 */
export async function putDataFile(
  objects: ObjectStore,
  partitionColumns: readonly string[],
  partitionValues: Readonly<Record<string, string | null>>,
  file: { readonly bytes: Uint8Array; readonly stats: string },
  dataChange: boolean,
): Promise<AddFile> {
  const key = dataFileKey(partitionColumns, partitionValues);
  await objects.put(key, file.bytes);
  return {
    path: encodePath(key),
    partitionValues: { ...partitionValues },
    size: file.bytes.byteLength,
    modificationTime: Date.now(),
    dataChange,
    stats: file.stats,
  };
}

/** Rows per Parquet row group of the kit's data files. */
export const ROW_GROUP_ROWS = 100_000;

/**
 * A new data file's key: Hive-style partition folders (`country=FR/`, null as
 * `__HIVE_DEFAULT_PARTITION__`) and a unique name.
 */
function dataFileKey(
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
