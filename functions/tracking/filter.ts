/**
 * MLflow's search filter grammar: `<entity>.<key> <comparator> <value>` clauses joined by AND.
 *
 *   clause     := identifier comparator literal
 *               | identifier IS [NOT] NULL
 *               | identifier [NOT] IN '(' string (',' string)* ')'
 *   identifier := [entity '.'] key      key bare, or quoted with `backticks` or "double quotes"
 *   literal    := 'single-quoted string' | number
 *
 * OR is not part of the grammar (MLflow rejects it with "Invalid clause(s) in filter string").
 * This module only parses; which entities, keys and comparators are valid is the caller's table
 * (see search.ts), so runs, experiments and logged models share it.
 */
import { InvalidParameterError } from '../../layers/runtime/errors.ts';

export type Comparator =
  | '='
  | '!='
  | '>'
  | '>='
  | '<'
  | '<='
  | 'LIKE'
  | 'ILIKE'
  | 'IN'
  | 'NOT IN'
  | 'IS NULL'
  | 'IS NOT NULL';

export type Literal =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'list'; readonly values: readonly string[] }
  | { readonly kind: 'none' };

export interface RawClause {
  /** The entity prefix as written (`metrics`, `tag`, `attributes`...), undefined when absent. */
  readonly entity?: string;
  readonly key: string;
  readonly comparator: Comparator;
  readonly literal: Literal;
}

type Token =
  | { kind: 'word'; text: string; quoted: boolean }
  | { kind: 'string'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'op'; text: string }
  | { kind: 'punct'; text: '(' | ')' | ',' };

const COMPARISON_OPS = new Set(['=', '!=', '>', '>=', '<', '<=']);

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (message: string): never => {
    throw new InvalidParameterError(message);
  };
  while (i < filter.length) {
    const ch = filter[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (ch === "'") {
      let text = '';
      i += 1;
      for (;;) {
        if (i >= filter.length) fail(`Invalid filter '${filter}': unterminated string`);
        if (filter[i] === "'") {
          if (filter[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        text += filter[i];
        i += 1;
      }
      tokens.push({ kind: 'string', text });
      continue;
    }
    if (ch === '`' || ch === '"') {
      const end = filter.indexOf(ch, i + 1);
      if (end === -1) fail(`Invalid filter '${filter}': unterminated quoted identifier`);
      const text = filter.slice(i + 1, end);
      const previous = tokens.at(-1);
      // `tags.`key`` : a quoted key glued to its entity prefix.
      if (previous?.kind === 'word' && previous.text.endsWith('.') && filter[i - 1] === '.') {
        tokens[tokens.length - 1] = { kind: 'word', text: previous.text + text, quoted: true };
      } else {
        tokens.push({ kind: 'word', text, quoted: true });
      }
      i = end + 1;
      continue;
    }
    const number = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(filter.slice(i));
    if (number && !/[A-Za-z_]/.test(filter[i + number[0].length] ?? '')) {
      tokens.push({ kind: 'number', text: number[0] });
      i += number[0].length;
      continue;
    }
    const op = /^[<>=!~]+/.exec(filter.slice(i));
    if (op) {
      tokens.push({ kind: 'op', text: op[0] });
      i += op[0].length;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ kind: 'punct', text: ch });
      i += 1;
      continue;
    }
    const word = /^[A-Za-z_][\w.]*/.exec(filter.slice(i));
    if (word) {
      tokens.push({ kind: 'word', text: word[0], quoted: false });
      i += word[0].length;
      continue;
    }
    fail(`Invalid filter '${filter}': unexpected character '${ch}'`);
  }
  return tokens;
}

const ENTITY_WORD = /^([A-Za-z_]+)\.(.+)$/s;

function splitIdentifier(token: Extract<Token, { kind: 'word' }>): { entity?: string; key: string } {
  const match = ENTITY_WORD.exec(token.text);
  if (!match) return { key: token.text };
  return { entity: match[1] as string, key: match[2] as string };
}

/** Parses a filter string into its clauses; an empty or blank filter has none. */
export function parseFilter(filter: string | undefined): RawClause[] {
  if (filter === undefined || filter.trim() === '') return [];
  const tokens = tokenize(filter);
  const clauses: RawClause[] = [];
  let i = 0;
  const peek = () => tokens[i];
  const isWord = (token: Token | undefined, text: string) =>
    token?.kind === 'word' && !token.quoted && token.text.toUpperCase() === text;
  const invalidClause = (token: Token | undefined): never => {
    throw new InvalidParameterError(`Invalid clause(s) in filter string: '${token ? token.text : filter}'`);
  };
  for (;;) {
    const identifier = peek();
    if (identifier?.kind !== 'word' || isWord(identifier, 'AND') || isWord(identifier, 'OR')) {
      invalidClause(identifier);
    }
    i += 1;
    const { entity, key } = splitIdentifier(identifier as Extract<Token, { kind: 'word' }>);
    const base = { ...(entity !== undefined ? { entity } : {}), key };
    const next = peek();
    if (next?.kind === 'op') {
      i += 1;
      const value = peek();
      if (value?.kind === 'string')
        clauses.push({ ...base, comparator: op(next.text), literal: { kind: 'string', value: value.text } });
      else if (value?.kind === 'number') {
        clauses.push({
          ...base,
          comparator: op(next.text),
          literal: { kind: 'number', value: Number(value.text), text: value.text },
        });
      } else {
        throw new InvalidParameterError(
          `Invalid filter '${filter}': expected a value after '${next.text}', got ${value ? `'${value.text}'` : 'nothing'}`,
        );
      }
      i += 1;
    } else if (isWord(next, 'LIKE') || isWord(next, 'ILIKE')) {
      i += 1;
      const value = peek();
      const comparator = (next as { text: string }).text.toUpperCase() as 'LIKE' | 'ILIKE';
      if (value?.kind === 'string')
        clauses.push({ ...base, comparator, literal: { kind: 'string', value: value.text } });
      else if (value?.kind === 'number') {
        clauses.push({
          ...base,
          comparator,
          literal: { kind: 'number', value: Number(value.text), text: value.text },
        });
      } else invalidClause(value);
      i += 1;
    } else if (isWord(next, 'IS')) {
      i += 1;
      let comparator: Comparator = 'IS NULL';
      if (isWord(peek(), 'NOT')) {
        comparator = 'IS NOT NULL';
        i += 1;
      }
      if (!isWord(peek(), 'NULL')) invalidClause(peek());
      i += 1;
      clauses.push({ ...base, comparator, literal: { kind: 'none' } });
    } else if (isWord(next, 'IN') || (isWord(next, 'NOT') && isWord(tokens[i + 1], 'IN'))) {
      const comparator: Comparator = isWord(next, 'NOT') ? 'NOT IN' : 'IN';
      i += comparator === 'IN' ? 1 : 2;
      if (peek()?.text !== '(') invalidClause(peek());
      i += 1;
      const values: string[] = [];
      for (;;) {
        const value = peek();
        if (value?.kind !== 'string') {
          throw new InvalidParameterError(
            `While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ${value ? `'${value.text}'` : 'end of filter'}`,
          );
        }
        values.push(value.text);
        i += 1;
        const separator = peek();
        i += 1;
        if (separator?.text === ')') break;
        if (separator?.text !== ',') invalidClause(separator);
      }
      clauses.push({ ...base, comparator, literal: { kind: 'list', values } });
    } else {
      invalidClause(next);
    }
    if (i >= tokens.length) break;
    if (!isWord(peek(), 'AND')) invalidClause(peek());
    i += 1;
    if (i >= tokens.length) invalidClause(undefined);
  }
  return clauses;
}

function op(text: string): Comparator {
  if (text === '==') return '=';
  if (text === '<>') return '!=';
  return text as Comparator;
}

/** Whether `comparator` is a plain comparison (`= != > >= < <=`). */
export function isComparison(comparator: Comparator): boolean {
  return COMPARISON_OPS.has(comparator);
}

/** SQL LIKE (`%` any run, `_` one character) as a RegExp; ILIKE ignores case. */
export function likePattern(pattern: string, caseInsensitive: boolean): RegExp {
  let source = '';
  for (const ch of pattern) {
    if (ch === '%') source += '.*';
    else if (ch === '_') source += '.';
    else source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's');
}
