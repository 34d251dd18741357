/**
 * Tables for training and batch prediction: CSV (with a header row, RFC 4180 quoting) or Parquet,
 * turned into float32 feature matrices. Empty cells and nulls are missing values; any other value
 * that is not a number is an error naming its row and column.
 */
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { ModelInputError } from './errors.ts';
import type { FeatureMatrix } from './evaluator.ts';

export type Cell = string | number | bigint | boolean | null | undefined;

export interface Table {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

/** Reads a table from a file's bytes; the format follows the extension (`.parquet`, else CSV). */
export async function parseTable(bytes: Uint8Array, fileName: string): Promise<Table> {
  if (fileName.toLowerCase().endsWith('.parquet')) return parseParquet(bytes);
  return parseCsv(Buffer.from(bytes).toString('utf8'));
}

async function parseParquet(bytes: Uint8Array): Promise<Table> {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let objects: Record<string, unknown>[];
  try {
    objects = (await parquetReadObjects({ file: buffer, compressors })) as Record<string, unknown>[];
  } catch (error) {
    throw new ModelInputError(`not a readable Parquet file: ${(error as Error).message}`, { cause: error });
  }
  const columns = objects.length > 0 ? Object.keys(objects[0]!) : [];
  return { columns, rows: objects.map((o) => columns.map((c) => o[c] as Cell)) };
}

/** Parses CSV with a header row. */
export function parseCsv(text: string): Table {
  const records = csvRecords(text.replace(/^\uFEFF/, ''));
  if (records.length === 0) throw new ModelInputError('the CSV file is empty');
  const [header, ...rows] = records;
  return { columns: header!.map((c) => c.trim()), rows };
}

function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      if (!(record.length === 1 && record[0] === '')) records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  record.push(field);
  if (!(record.length === 1 && record[0] === '')) records.push(record);
  return records;
}

/** The index of each named column, or a ModelInputError naming the missing one. */
export function columnIndexes(table: Table, names: readonly string[]): number[] {
  return names.map((name) => {
    const index = table.columns.indexOf(name);
    if (index === -1) {
      throw new ModelInputError(`column ${name} is not in the input (columns: ${table.columns.join(', ')})`);
    }
    return index;
  });
}

/** The named columns as a float32 matrix. */
export function toFeatureMatrix(table: Table, featureColumns: readonly string[]): FeatureMatrix {
  const indexes = columnIndexes(table, featureColumns);
  const width = indexes.length;
  const values = new Float32Array(table.rows.length * width);
  table.rows.forEach((row, r) => {
    indexes.forEach((index, c) => {
      values[r * width + c] = numericCell(row[index], r, featureColumns[c]!);
    });
  });
  return { rows: table.rows.length, columns: width, values };
}

/** A column as labels; a missing or non-numeric label is an error. */
export function labelColumn(table: Table, label: string): Float32Array {
  const [index] = columnIndexes(table, [label]);
  return Float32Array.from(table.rows, (row, r) => {
    const value = numericCell(row[index!], r, label);
    if (Number.isNaN(value)) throw new ModelInputError(`row ${r + 1}: label ${label} is empty`);
    return value;
  });
}

function numericCell(cell: Cell, row: number, column: string): number {
  if (cell === null || cell === undefined) return Number.NaN;
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'bigint') return Number(cell);
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  const text = cell.trim();
  if (text === '' || /^[+-]?nan$/i.test(text)) return Number.NaN;
  const value = Number(text);
  if (Number.isNaN(value))
    throw new ModelInputError(`row ${row + 1}, column ${column}: "${text}" is not a number`);
  return value;
}
