/**
 * Schema inference from input rows, for a table created by its first append and for columns added
 * by schema evolution: bigint → long, integer numbers → long, other numbers → double, booleans,
 * Dates → timestamp, bytes → binary, everything else → string.
 */
import { SchemaMismatchError } from './errors.ts';
import type { ColumnDefinition, DeltaType } from './schema.ts';

/** Column definitions for `names` (default: every key seen, in first-seen order). */
export function inferColumns(
  rows: readonly Record<string, unknown>[],
  names?: readonly string[],
): ColumnDefinition[] {
  const order = names ? [...names] : [];
  if (!names) {
    const seen = new Set<string>();
    for (const row of rows)
      for (const key of Object.keys(row)) if (!seen.has(key)) seen.add(key) && order.push(key);
  }
  return order.map((name) => {
    let type: DeltaType | undefined;
    for (const row of rows) {
      const value = row[name];
      if (value === null || value === undefined) continue;
      const next = typeOfValue(value);
      if (type === undefined || type === next) type = next;
      else if ((type === 'long' && next === 'double') || (type === 'double' && next === 'long'))
        type = 'double';
      else
        throw new SchemaMismatchError(
          `column "${name}" mixes ${String(type)} and ${String(next)} values`,
          name,
        );
    }
    return { name, type: type ?? 'string', nullable: true };
  });
}

function typeOfValue(value: unknown): DeltaType {
  if (typeof value === 'bigint') return 'long';
  if (typeof value === 'number') return Number.isInteger(value) ? 'long' : 'double';
  if (typeof value === 'boolean') return 'boolean';
  if (value instanceof Date) return 'timestamp';
  if (value instanceof Uint8Array) return 'binary';
  return 'string';
}
