/**
 * Row predicates: the small language of `--where` and `scan({ where })` — `=`, `!=`, `<`, `<=`, `>`,
 * `>=`, `IN (...)`, `IS [NOT] NULL`, `AND`, `OR`, `NOT` and parentheses — its parser, exact row
 * evaluation (SQL semantics: a comparison with null is not true), and the conservative file test
 * used to skip files by partition values and min/max/nullCount statistics.
 */

import { InvalidParameterError } from '../runtime/errors.ts';
import type { FileStats } from './actions.ts';
import { type CellValue, type DeltaType, decimalParts, type Row, type StructType } from './schema.ts';
import { coerceValue, compareValues } from './values.ts';

export type Comparison = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Predicate =
  | { readonly op: Comparison; readonly column: string; readonly value: unknown }
  | { readonly op: 'in'; readonly column: string; readonly values: readonly unknown[] }
  | { readonly op: 'isNull' | 'isNotNull'; readonly column: string }
  | { readonly op: 'and' | 'or'; readonly left: Predicate; readonly right: Predicate }
  | { readonly op: 'not'; readonly predicate: Predicate };

/** Column names a predicate refers to. */
export function predicateColumns(predicate: Predicate, out = new Set<string>()): Set<string> {
  switch (predicate.op) {
    case 'and':
    case 'or':
      predicateColumns(predicate.left, out);
      predicateColumns(predicate.right, out);
      break;
    case 'not':
      predicateColumns(predicate.predicate, out);
      break;
    default:
      out.add(predicate.column);
  }
  return out;
}

/**
 * Checks column names against the schema and converts literals to the columns' types, so that
 * `id = 5` compares a bigint column with 5n. Throws InvalidParameterError naming the problem.
 */
export function bindPredicate(predicate: Predicate, schema: StructType): Predicate {
  const typeOf = (column: string): DeltaType => {
    const field = schema.fields.find((f) => f.name === column);
    if (!field) throw new InvalidParameterError(`unknown column "${column}" in predicate`);
    return field.type;
  };
  const literal = (column: string, value: unknown): unknown => {
    try {
      return coerceValue(value, typeOf(column), column);
    } catch (error) {
      throw new InvalidParameterError(`predicate on "${column}": ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  switch (predicate.op) {
    case 'and':
    case 'or':
      return {
        op: predicate.op,
        left: bindPredicate(predicate.left, schema),
        right: bindPredicate(predicate.right, schema),
      };
    case 'not':
      return { op: 'not', predicate: bindPredicate(predicate.predicate, schema) };
    case 'isNull':
    case 'isNotNull':
      typeOf(predicate.column);
      return predicate;
    case 'in':
      return { ...predicate, values: predicate.values.map((value) => literal(predicate.column, value)) };
    default:
      return { ...predicate, value: literal(predicate.column, predicate.value) };
  }
}

/** Evaluates a bound predicate on a row. */
export function evaluate(predicate: Predicate, row: Row, schema?: StructType): boolean {
  switch (predicate.op) {
    case 'and':
      return evaluate(predicate.left, row, schema) && evaluate(predicate.right, row, schema);
    case 'or':
      return evaluate(predicate.left, row, schema) || evaluate(predicate.right, row, schema);
    case 'not':
      return !evaluate(predicate.predicate, row, schema);
    case 'isNull':
      return row[predicate.column] === null || row[predicate.column] === undefined;
    case 'isNotNull':
      return row[predicate.column] !== null && row[predicate.column] !== undefined;
    case 'in': {
      const value = row[predicate.column];
      if (value === null || value === undefined) return false;
      const type = schema?.fields.find((f) => f.name === predicate.column)?.type;
      return predicate.values.some(
        (candidate) => candidate !== null && compareValues(value, candidate as CellValue, type) === 0,
      );
    }
    default: {
      const value = row[predicate.column];
      if (value === null || value === undefined || predicate.value === null) return false;
      const type = schema?.fields.find((f) => f.name === predicate.column)?.type;
      return holds(predicate.op, compareValues(value, predicate.value as CellValue, type));
    }
  }
}

function holds(op: Comparison, order: number): boolean {
  switch (op) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

/** What is known about a file: exact partition values and (optional) column statistics. */
export interface FileFacts {
  readonly partitionValues: Readonly<Record<string, CellValue>>;
  readonly stats: FileStats | undefined;
}

/**
 * False only when no row of the file can satisfy the predicate (the file can be skipped); true
 * when it might. Partition columns are decided exactly, data columns by min/max/nullCount.
 */
export function mightMatch(predicate: Predicate, facts: FileFacts, schema: StructType): boolean {
  switch (predicate.op) {
    case 'and':
      return mightMatch(predicate.left, facts, schema) && mightMatch(predicate.right, facts, schema);
    case 'or':
      return mightMatch(predicate.left, facts, schema) || mightMatch(predicate.right, facts, schema);
    case 'not':
      return predicateColumns(predicate).size > 0 && allPartition(predicate, facts)
        ? evaluate(predicate, facts.partitionValues as Row, schema)
        : true;
    default:
      break;
  }
  const column = predicate.column;
  if (column in facts.partitionValues) return evaluate(predicate, facts.partitionValues as Row, schema);
  const stats = facts.stats;
  if (!stats) return true;
  const type = schema.fields.find((f) => f.name === column)?.type;
  if (type === undefined) return true;
  const numRecords = stats.numRecords;
  const nulls = stats.nullCount?.[column];
  const allNull = typeof nulls === 'number' && typeof numRecords === 'number' && nulls === numRecords;
  if (predicate.op === 'isNull') return !(typeof nulls === 'number' && nulls === 0);
  if (predicate.op === 'isNotNull') return !allNull;
  if (allNull) return false;
  const min = statBound(stats.minValues?.[column], type, 'min');
  const max = statBound(stats.maxValues?.[column], type, 'max');
  if (predicate.op === '!=') return true;
  const values = predicate.op === 'in' ? predicate.values : [(predicate as { value: unknown }).value];
  return values.some((raw) => {
    if (raw === null || raw === undefined) return false;
    const value = raw as CellValue;
    const cmp = (bound: CellValue | undefined) =>
      bound === undefined ? undefined : compareValues(value, bound, type);
    const vsMin = cmp(min);
    const vsMax = cmp(max);
    switch (predicate.op) {
      case '=':
      case 'in':
        return !(vsMin !== undefined && vsMin < 0) && !(vsMax !== undefined && vsMax > 0);
      case '<':
        return !(vsMin !== undefined && vsMin <= 0);
      case '<=':
        return !(vsMin !== undefined && vsMin < 0);
      case '>':
        return !(vsMax !== undefined && vsMax >= 0);
      case '>=':
        return !(vsMax !== undefined && vsMax > 0);
      default:
        return true;
    }
  });
}

function allPartition(predicate: Predicate, facts: FileFacts): boolean {
  return [...predicateColumns(predicate)].every((column) => column in facts.partitionValues);
}

/**
 * A statistics bound as a comparable value, or undefined when it cannot be trusted: timestamps
 * are truncated to milliseconds (the max is widened by 1 ms), long strings may be truncated prefixes.
 */
function statBound(raw: unknown, type: DeltaType, side: 'min' | 'max'): CellValue | undefined {
  if (raw === null || raw === undefined || typeof raw === 'object') return undefined;
  try {
    if (type === 'timestamp' && typeof raw === 'string') {
      const date = new Date(raw);
      if (Number.isNaN(date.getTime())) return undefined;
      return side === 'max' ? new Date(date.getTime() + 1) : date;
    }
    if (type === 'string') {
      if (typeof raw !== 'string' || (side === 'max' && raw.length >= 32)) return undefined;
      return raw;
    }
    if (decimalParts(type)) return undefined;
    if (type === 'binary' || type === 'boolean') return undefined;
    return coerceValue(raw, type, '') as CellValue;
  } catch {
    return undefined;
  }
}

/** Parses the `--where` language. Throws InvalidParameterError pointing at the bad token. */
export function parsePredicate(text: string): Predicate {
  const tokens = tokenize(text);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  const keyword = (word: string) => {
    const token = peek();
    if (token?.kind === 'word' && token.text.toUpperCase() === word) {
      position++;
      return true;
    }
    return false;
  };
  const fail = (what: string): never => {
    const token = peek();
    throw new InvalidParameterError(
      `invalid predicate "${text}": expected ${what}${token ? ` at "${token.text}"` : ' at the end'}`,
    );
  };
  const literal = (): unknown => {
    const token = next();
    if (!token) return fail('a value');
    if (token.kind === 'string') return token.text;
    if (token.kind === 'number') return token.text;
    if (token.kind === 'word') {
      const upper = token.text.toUpperCase();
      if (upper === 'TRUE') return true;
      if (upper === 'FALSE') return false;
      if (upper === 'NULL') return null;
    }
    position--;
    return fail('a value');
  };
  const primary = (): Predicate => {
    if (peek()?.kind === 'lparen') {
      position++;
      const inner = disjunction();
      if (next()?.kind !== 'rparen') fail('")"');
      return inner;
    }
    if (keyword('NOT')) return { op: 'not', predicate: primary() };
    const token = next();
    if (!token || (token.kind !== 'word' && token.kind !== 'quoted')) return fail('a column name');
    const column = token.text;
    if (keyword('IS')) {
      const negated = keyword('NOT');
      if (!keyword('NULL')) fail('NULL');
      return { op: negated ? 'isNotNull' : 'isNull', column };
    }
    const negatedIn = keyword('NOT');
    if (keyword('IN')) {
      if (next()?.kind !== 'lparen') fail('"("');
      const values = [literal()];
      while (peek()?.kind === 'comma') {
        position++;
        values.push(literal());
      }
      if (next()?.kind !== 'rparen') fail('")"');
      const inPredicate: Predicate = { op: 'in', column, values };
      return negatedIn ? { op: 'not', predicate: inPredicate } : inPredicate;
    }
    if (negatedIn) fail('IN');
    const op = next();
    if (op?.kind !== 'op') {
      position--;
      return fail('a comparison operator');
    }
    const value = literal();
    return { op: (op.text === '<>' ? '!=' : op.text === '==' ? '=' : op.text) as Comparison, column, value };
  };
  const conjunction = (): Predicate => {
    let left = primary();
    while (keyword('AND')) left = { op: 'and', left, right: primary() };
    return left;
  };
  const disjunction = (): Predicate => {
    let left = conjunction();
    while (keyword('OR')) left = { op: 'or', left, right: conjunction() };
    return left;
  };
  const result = disjunction();
  if (position < tokens.length) fail('AND, OR or the end');
  return result;
}

interface Token {
  readonly kind: 'word' | 'quoted' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma';
  readonly text: string;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', text: c });
      i++;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let value = '';
      while (j < text.length) {
        if (text[j] === c && text[j + 1] === c) {
          value += c;
          j += 2;
        } else if (text[j] === c) break;
        else value += text[j++];
      }
      if (j >= text.length)
        throw new InvalidParameterError(`invalid predicate "${text}": unterminated quote`);
      tokens.push({ kind: c === "'" ? 'string' : 'quoted', text: value });
      i = j + 1;
    } else if (/[<>=!]/.test(c)) {
      const two = text.slice(i, i + 2);
      const op = ['<=', '>=', '!=', '<>', '=='].includes(two) ? two : c;
      if (op === '!') throw new InvalidParameterError(`invalid predicate "${text}": unexpected "!"`);
      tokens.push({ kind: 'op', text: op });
      i += op.length;
    } else if (/[-+\d.]/.test(c)) {
      const match = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(i));
      if (!match)
        throw new InvalidParameterError(`invalid predicate "${text}": bad number at "${text.slice(i)}"`);
      tokens.push({ kind: 'number', text: match[0] });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'word', text: match[0] });
      i += match[0].length;
    } else {
      throw new InvalidParameterError(`invalid predicate "${text}": unexpected "${c}"`);
    }
  }
  return tokens;
}
