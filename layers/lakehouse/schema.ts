/**
 * Delta table schemas: the Spark-SQL JSON schema of `metaData.schemaString` (PROTOCOL.md "Schema
 * Serialization Format"), its parsing, and the JS value each Delta type maps to in a row.
 *
 * | Delta type                  | JS value in a row                                    |
 * |-----------------------------|------------------------------------------------------|
 * | string                      | string                                               |
 * | long                        | bigint                                               |
 * | integer, short, byte        | number (integer)                                     |
 * | double, float               | number                                               |
 * | boolean                     | boolean                                              |
 * | date                        | Date (UTC midnight)                                  |
 * | timestamp                   | Date (UTC instant, stored as microseconds)           |
 * | decimal(p,s)                | string, exact, with s digits after the point         |
 * | binary                      | Uint8Array                                           |
 * | struct / array / map (read) | object / array / object                              |
 */
import { SchemaMismatchError } from './errors.ts';

export type PrimitiveTypeName =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'double'
  | 'float'
  | 'boolean'
  | 'date'
  | 'timestamp'
  | 'binary';

/** A Delta type: a primitive name, `decimal(p,s)`, or a nested struct/array/map (read only). */
export type DeltaType = PrimitiveTypeName | `decimal(${number},${number})` | string | NestedType;

export type NestedType =
  | { readonly type: 'struct'; readonly fields: readonly StructField[] }
  | { readonly type: 'array'; readonly elementType: DeltaType; readonly containsNull: boolean }
  | {
      readonly type: 'map';
      readonly keyType: DeltaType;
      readonly valueType: DeltaType;
      readonly valueContainsNull: boolean;
    };

export interface StructField {
  readonly name: string;
  readonly type: DeltaType;
  readonly nullable: boolean;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface StructType {
  readonly type: 'struct';
  readonly fields: readonly StructField[];
}

/** A column as callers declare it. */
export interface ColumnDefinition {
  readonly name: string;
  readonly type: DeltaType;
  /** @default true */
  readonly nullable?: boolean;
}

/** A value in a row (see the module comment for the mapping). */
export type CellValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | Uint8Array
  | null
  | undefined
  | readonly unknown[]
  | { readonly [key: string]: unknown };

export type Row = Record<string, CellValue>;

const PRIMITIVES = new Set<string>([
  'string',
  'long',
  'integer',
  'short',
  'byte',
  'double',
  'float',
  'boolean',
  'date',
  'timestamp',
  'binary',
]);

const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

/** Precision and scale of a `decimal(p,s)` type, or undefined for any other type. */
export function decimalParts(type: DeltaType): { precision: number; scale: number } | undefined {
  if (typeof type !== 'string') return undefined;
  const match = DECIMAL.exec(type);
  if (!match) return undefined;
  return { precision: Number(match[1]), scale: Number(match[2]) };
}

/** Whether a type is a primitive the kit can write (nested types are read only). */
export function isWritableType(type: DeltaType): boolean {
  if (typeof type !== 'string') return false;
  if (PRIMITIVES.has(type)) return true;
  const decimal = decimalParts(type);
  return (
    decimal !== undefined &&
    decimal.precision >= 1 &&
    decimal.precision <= 38 &&
    decimal.scale <= decimal.precision
  );
}

/** Builds a struct schema from column definitions, checking names and types. */
export function buildSchema(columns: readonly ColumnDefinition[]): StructType {
  if (columns.length === 0) throw new SchemaMismatchError('a table needs at least one column', '');
  const seen = new Set<string>();
  const fields = columns.map((column) => {
    const lower = column.name.toLowerCase();
    if (column.name === '' || /[\s,;{}()=]/.test(column.name)) {
      throw new SchemaMismatchError(`invalid column name "${column.name}"`, column.name);
    }
    if (seen.has(lower)) throw new SchemaMismatchError(`duplicate column "${column.name}"`, column.name);
    seen.add(lower);
    const type = typeof column.type === 'string' ? normaliseTypeName(column.type) : column.type;
    if (!isWritableType(type)) {
      throw new SchemaMismatchError(
        `column "${column.name}" has unsupported type ${JSON.stringify(column.type)}`,
        column.name,
      );
    }
    return { name: column.name, type, nullable: column.nullable ?? true, metadata: {} };
  });
  return { type: 'struct', fields };
}

/** Lower-cases a type name and writes decimals as Spark does (`decimal(12,5)`, no space). */
export function normaliseTypeName(type: string): string {
  const decimal = decimalParts(type.trim().toLowerCase());
  if (decimal) return `decimal(${decimal.precision},${decimal.scale})`;
  const lower = type.trim().toLowerCase();
  const aliases: Record<string, string> = {
    int: 'integer',
    bigint: 'long',
    tinyint: 'byte',
    smallint: 'short',
  };
  return aliases[lower] ?? lower;
}

/** Parses `metaData.schemaString`. */
export function parseSchemaString(schemaString: string): StructType {
  const parsed = JSON.parse(schemaString) as StructType;
  if (parsed?.type !== 'struct' || !Array.isArray(parsed.fields)) {
    throw new Error('schemaString is not a struct type');
  }
  return parsed;
}

/** Serialises a schema for `metaData.schemaString`. */
export function serializeSchema(schema: StructType): string {
  return JSON.stringify({
    type: 'struct',
    fields: schema.fields.map((field) => ({
      name: field.name,
      type: field.type,
      nullable: field.nullable,
      metadata: field.metadata,
    })),
  });
}

/** A short text form of a type (`decimal(12,5)`, `array`, `struct`). */
export function typeName(type: DeltaType): string {
  return typeof type === 'string' ? type : type.type;
}

/** The field of a schema with this name, or undefined. */
export function findField(schema: StructType, name: string): StructField | undefined {
  return schema.fields.find((field) => field.name === name);
}
