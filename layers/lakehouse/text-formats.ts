/**
 * Row input and output in the text formats of the CLI and the query command: CSV (RFC 4180) and
 * JSON lines, plus type inference for CSV text (everything arrives as strings).
 */
import { SchemaMismatchError } from './errors.ts';
import type { CellValue, ColumnDefinition, DeltaType, Row } from './schema.ts';
import { parseTimestampText } from './values.ts';

/** Parses CSV with a header line. Empty unquoted fields are null. */
export function parseCsv(text: string): Record<string, string | null>[] {
  const records: (string | null)[][] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  let record: (string | null)[] = [];
  const endField = () => {
    record.push(field === '' && !wasQuoted ? null : field);
    field = '';
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') {
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField();
      if (!(record.length === 1 && record[0] === null)) records.push(record);
      record = [];
    } else field += c;
  }
  if (field !== '' || wasQuoted || record.length > 0) {
    endField();
    records.push(record);
  }
  const [header, ...body] = records;
  if (!header) return [];
  const names = header.map((name, index) => {
    if (name === null || name.trim() === '')
      throw new SchemaMismatchError(`CSV header column ${index + 1} has no name`, '');
    return name.trim();
  });
  return body.map((values, line) => {
    if (values.length !== names.length) {
      throw new SchemaMismatchError(
        `CSV line ${line + 2} has ${values.length} fields, the header has ${names.length}`,
        names[Math.min(values.length, names.length - 1)] ?? '',
      );
    }
    return Object.fromEntries(names.map((name, index) => [name, values[index] ?? null]));
  });
}

/** Parses JSON lines (one object per line; blank lines skipped). */
export function parseJsonLines(text: string): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new SchemaMismatchError(
        `JSON line ${index + 1} is not valid JSON: ${(error as Error).message}`,
        '',
        { cause: error },
      );
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new SchemaMismatchError(`JSON line ${index + 1} is not an object`, '');
    }
    rows.push(value as Record<string, unknown>);
  });
  return rows;
}

/** Infers column types of CSV text: long, double, boolean, date, timestamp, else string. */
export function inferCsvColumns(
  rows: readonly Record<string, string | null>[],
  names: readonly string[],
): ColumnDefinition[] {
  return names.map((name) => {
    const values = rows.map((row) => row[name]).filter((v): v is string => v !== null && v !== undefined);
    const all = (test: (v: string) => boolean) => values.length > 0 && values.every(test);
    let type: DeltaType = 'string';
    if (all((v) => /^-?\d{1,18}$/.test(v))) type = 'long';
    else if (all((v) => v.trim() !== '' && !Number.isNaN(Number(v)))) type = 'double';
    else if (all((v) => v === 'true' || v === 'false')) type = 'boolean';
    else if (all((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) type = 'date';
    else if (all((v) => /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v) && parseTimestampText(v) !== undefined))
      type = 'timestamp';
    return { name, type, nullable: true };
  });
}

/** Text form of a cell for CSV and aligned tables. */
export function cellText(value: CellValue | unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'object') return toJson(value);
  return String(value);
}

/** JSON with bigints as exact numbers and Dates as ISO strings, bytes as base64. */
export function toJson(value: unknown): string {
  const raw: string[] = [];
  const text = JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    const original = (this as Record<string, unknown>)[key];
    if (typeof original === 'bigint') {
      raw.push(original.toString());
      return `\u0000${raw.length - 1}\u0000`;
    }
    if (original instanceof Date) return original.toISOString();
    if (original instanceof Uint8Array) return Buffer.from(original).toString('base64');
    return v;
  });
  return text.replace(/"\\u0000(\d+)\\u0000"/g, (_m, index: string) => raw[Number(index)] as string);
}

/** Rows as JSON lines. */
export function formatJsonLines(rows: readonly Row[]): string {
  return rows.map((row) => `${toJson(row)}\n`).join('');
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) || text === '' ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows as CSV with a header (null → empty field, empty string → `""`). */
export function formatCsv(columns: readonly string[], rows: readonly Row[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) {
    lines.push(
      columns
        .map((c) => (row[c] === null || row[c] === undefined ? '' : csvField(cellText(row[c]))))
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Rows as an aligned text table with a header and a rule. */
export function formatAligned(columns: readonly string[], rows: readonly Row[]): string {
  const cells = rows.map((row) =>
    columns.map((c) => (row[c] === null || row[c] === undefined ? 'NULL' : cellText(row[c]))),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return `${[line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')}\n`;
}
