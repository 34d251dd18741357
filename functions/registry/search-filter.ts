/**
 * MLflow's registry search grammar: clauses joined by AND (OR is refused, as MLflow refuses it),
 * each `<key> <op> <value>`:
 *
 *   name = 'm'   name LIKE 'churn%'   tags.`mlflow.prompt.is_prompt` != 'true'   run_id IN ('a','b')
 *   version_number >= 3   source_path = 's3://b/k'
 *
 * Strings are single-quoted ('' escapes a quote); keys with special characters are quoted with
 * backticks or double quotes. A `!=` on a tag the entity lacks matches (so the prompt exclusion the
 * Python client appends keeps every model without the tag, as MLflow does).
 */
import { InvalidParameterError } from '../../layers/runtime/errors.ts';

export type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

export interface Clause {
  /** `tag` for tags, `attribute` otherwise. */
  readonly kind: 'tag' | 'attribute';
  readonly key: string;
  readonly op: Operator;
  readonly value: string | number | readonly string[];
}

type Token =
  | { type: 'word'; text: string }
  | { type: 'quoted'; text: string }
  | { type: 'string'; text: string }
  | { type: 'number'; value: number }
  | { type: 'op'; text: string }
  | { type: 'punct'; text: '(' | ')' | ',' };

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const char = filter[i] as string;
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === "'") {
      let text = '';
      i += 1;
      for (;;) {
        if (i >= filter.length) throw invalid(filter, 'unterminated string');
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
      tokens.push({ type: 'string', text });
    } else if (char === '`' || char === '"') {
      const end = filter.indexOf(char, i + 1);
      if (end === -1) throw invalid(filter, 'unterminated quoted key');
      tokens.push({ type: 'quoted', text: filter.slice(i + 1, end) });
      i = end + 1;
    } else if (char === '(' || char === ')' || char === ',') {
      tokens.push({ type: 'punct', text: char });
      i += 1;
    } else if (/[=!<>]/.test(char)) {
      const two = filter.slice(i, i + 2);
      const op = ['!=', '<>', '>=', '<='].includes(two) ? two : char;
      if (op === '!') throw invalid(filter, "'!' must be followed by '='");
      tokens.push({ type: 'op', text: op === '<>' ? '!=' : op });
      i += op.length;
    } else if (/[-\d]/.test(char) && /^-?\d/.test(filter.slice(i))) {
      const match = /^-?\d+(\.\d+)?/.exec(filter.slice(i)) as RegExpExecArray;
      tokens.push({ type: 'number', value: Number(match[0]) });
      i += match[0].length;
    } else {
      const match = /^[\w.]+/.exec(filter.slice(i));
      if (!match) throw invalid(filter, `unexpected character '${char}'`);
      // A key like tags.`a.b` continues with a quoted part right after the dot.
      let text = match[0];
      i += text.length;
      if (text.endsWith('.') && (filter[i] === '`' || filter[i] === '"')) {
        const quote = filter[i] as string;
        const end = filter.indexOf(quote, i + 1);
        if (end === -1) throw invalid(filter, 'unterminated quoted key');
        text += filter.slice(i + 1, end);
        i = end + 1;
        tokens.push({ type: 'quoted', text });
      } else {
        tokens.push({ type: 'word', text });
      }
    }
  }
  return tokens;
}

function invalid(filter: string, why: string): InvalidParameterError {
  return new InvalidParameterError(`Invalid filter '${filter}': ${why}`);
}

/** Parses a filter string into clauses (all of which must hold). An empty filter has none. */
export function parseFilter(filter: string | undefined): Clause[] {
  if (filter === undefined || filter.trim() === '') return [];
  const tokens = tokenize(filter);
  const clauses: Clause[] = [];
  let i = 0;
  const next = () => tokens[i++];
  const isWord = (token: Token | undefined, word: string) =>
    token?.type === 'word' && token.text.toUpperCase() === word;
  for (;;) {
    const keyToken = next();
    if (!keyToken || (keyToken.type !== 'word' && keyToken.type !== 'quoted')) {
      throw invalid(filter, 'expected a key');
    }
    if (isWord(keyToken, 'OR')) throw new InvalidParameterError("Invalid clause(s) in filter string: 'OR'");
    const { kind, key } = splitKey(keyToken.text);
    let opToken = next();
    let op: Operator;
    if (opToken?.type === 'op') op = opToken.text as Operator;
    else if (isWord(opToken, 'LIKE')) op = 'LIKE';
    else if (isWord(opToken, 'ILIKE')) op = 'ILIKE';
    else if (isWord(opToken, 'IN')) op = 'IN';
    else if (isWord(opToken, 'NOT') && isWord(tokens[i], 'IN')) {
      i += 1;
      op = 'NOT IN';
    } else throw invalid(filter, `expected a comparison after '${keyToken.text}'`);
    let value: Clause['value'];
    if (op === 'IN' || op === 'NOT IN') {
      opToken = next();
      if (opToken?.type !== 'punct' || opToken.text !== '(')
        throw invalid(filter, `expected '(' after ${op}`);
      const list: string[] = [];
      for (;;) {
        const item = next();
        if (item?.type === 'string') list.push(item.text);
        else if (item?.type === 'number') list.push(String(item.value));
        else throw invalid(filter, `expected a value in the ${op} list`);
        const separator = next();
        if (separator?.type === 'punct' && separator.text === ')') break;
        if (separator?.type !== 'punct' || separator.text !== ',')
          throw invalid(filter, "expected ',' or ')'");
      }
      value = list;
    } else {
      const valueToken = next();
      if (valueToken?.type === 'string') value = valueToken.text;
      else if (valueToken?.type === 'number') value = valueToken.value;
      else throw invalid(filter, `expected a value after ${op}`);
    }
    clauses.push({ kind, key, op, value });
    const joiner = next();
    if (joiner === undefined) return clauses;
    if (isWord(joiner, 'OR')) throw new InvalidParameterError("Invalid clause(s) in filter string: 'OR'");
    if (!isWord(joiner, 'AND')) throw invalid(filter, "clauses must be joined with 'AND'");
  }
}

function splitKey(text: string): { kind: Clause['kind']; key: string } {
  const dot = text.indexOf('.');
  if (dot !== -1) {
    const prefix = text.slice(0, dot).toLowerCase();
    const rest = text.slice(dot + 1);
    if (prefix === 'tags' || prefix === 'tag') return { kind: 'tag', key: rest };
    if (prefix === 'attributes' || prefix === 'attribute' || prefix === 'attr') {
      return { kind: 'attribute', key: rest };
    }
  }
  return { kind: 'attribute', key: text };
}

/** What a clause compares against: an attribute's value, or a tag's. */
export interface Filterable {
  attribute(key: string): string | number | undefined;
  tag(key: string): string | undefined;
}

/** Checks that every clause names a known attribute, so a typo fails loudly instead of matching nothing. */
export function checkAttributes(
  clauses: readonly Clause[],
  allowed: readonly string[],
  entity: string,
): void {
  for (const clause of clauses) {
    if (clause.kind === 'attribute' && !allowed.includes(clause.key)) {
      throw new InvalidParameterError(
        `Invalid attribute key '${clause.key}' specified for ${entity} search. Valid keys are ${allowed.map((a) => `'${a}'`).join(', ')}.`,
      );
    }
  }
}

export function matches(clauses: readonly Clause[], entity: Filterable): boolean {
  return clauses.every((clause) => {
    const actual = clause.kind === 'tag' ? entity.tag(clause.key) : entity.attribute(clause.key);
    return compare(actual, clause);
  });
}

function compare(actual: string | number | undefined, clause: Clause): boolean {
  const { op, value } = clause;
  if (actual === undefined) return op === '!=' || op === 'NOT IN';
  switch (op) {
    case '=':
      return typeof actual === 'number' ? actual === Number(value) : actual === String(value);
    case '!=':
      return typeof actual === 'number' ? actual !== Number(value) : actual !== String(value);
    case '<':
      return Number(actual) < Number(value);
    case '<=':
      return Number(actual) <= Number(value);
    case '>':
      return Number(actual) > Number(value);
    case '>=':
      return Number(actual) >= Number(value);
    case 'LIKE':
      return likePattern(String(value), false).test(String(actual));
    case 'ILIKE':
      return likePattern(String(value), true).test(String(actual));
    case 'IN':
      return (value as readonly string[]).includes(String(actual));
    case 'NOT IN':
      return !(value as readonly string[]).includes(String(actual));
  }
}

function likePattern(pattern: string, ignoreCase: boolean): RegExp {
  const source = [...pattern]
    .map((char) => (char === '%' ? '.*' : char === '_' ? '.' : char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
}

/** The value of an `=` clause on `key`, when the filter has one (for a direct lookup). */
export function equalityOn(clauses: readonly Clause[], key: string): string | undefined {
  const clause = clauses.find((c) => c.kind === 'attribute' && c.key === key && c.op === '=');
  return clause === undefined ? undefined : String(clause.value);
}
