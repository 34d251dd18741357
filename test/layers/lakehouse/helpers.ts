import type { Row } from '../../../layers/lakehouse/index.ts';

/** A JSON-safe, order-independent rendering of rows for equality checks. */
export function comparableRows(rows: readonly Row[]): string[] {
  return rows.map((row) => JSON.stringify(normalise(row))).sort();
}

function normalise(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, normalise(v)]),
    );
  }
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return value;
}
