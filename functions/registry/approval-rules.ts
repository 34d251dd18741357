/**
 * Approval rules for protected aliases.
 *
 * Where they are configured:
 * - Which aliases are protected: the model tag `mlops.approval.protected_aliases` (comma-separated),
 *   or else the deployment's default (`MLOPS_PROTECTED_ALIASES`, default `champion`).
 * - The rule of a model: the model tag `mlops.approval.rule.<alias>`, or else `mlops.approval.rule`.
 *   Changing any `mlops.approval.*` tag needs the admin scope itself.
 * - A version's evaluation metrics: its tags `mlops.metric.<name>` (numbers), set by the training
 *   or evaluation pipeline.
 *
 * Rule grammar: clauses joined by AND, each `metrics.<name> <op> <bound>` with op one of
 * `>= > <= <` and bound either a number or `holder`, `holder - <margin>`, `holder + <margin>`, where
 * `holder` is the metric of the version the alias points at now:
 *
 *   metrics.auc >= 0.75 AND metrics.auc >= holder - 0.02 AND metrics.latency_ms <= 50
 *
 * A move needs the admin scope. When the version carries evaluation metrics, every clause must
 * hold as well (a holder clause holds when there is no holder or the holder lacks the metric).
 */
import { InvalidParameterError } from '../../layers/runtime/errors.ts';

export const PROTECTED_ALIASES_TAG = 'mlops.approval.protected_aliases';
export const RULE_TAG = 'mlops.approval.rule';
export const METRIC_TAG_PREFIX = 'mlops.metric.';
export const APPROVAL_TAG_PREFIX = 'mlops.approval.';
export const DEFAULT_PROTECTED_ALIASES = ['champion'] as const;

type Comparator = '>=' | '>' | '<=' | '<';

export interface RuleClause {
  readonly metric: string;
  readonly op: Comparator;
  /** A fixed bound, or an offset from the current holder's value. */
  readonly bound:
    | { readonly kind: 'number'; readonly value: number }
    | { readonly kind: 'holder'; readonly offset: number };
}

export interface ApprovalRule {
  readonly text: string;
  readonly clauses: readonly RuleClause[];
}

const CLAUSE =
  /^metrics\.([\w.-]+)\s*(>=|>|<=|<)\s*(?:(-?\d+(?:\.\d+)?)|holder(?:\s*([+-])\s*(\d+(?:\.\d+)?))?)$/;

/** Parses a rule; a malformed rule is an INVALID_PARAMETER_VALUE that shows the bad clause. */
export function parseRule(text: string): ApprovalRule {
  const clauses = text
    .split(/\s+AND\s+/i)
    .map((part) => part.trim())
    .map((part): RuleClause => {
      const match = CLAUSE.exec(part);
      if (!match) {
        throw new InvalidParameterError(
          `Invalid approval rule clause '${part}': expected 'metrics.<name> <op> <number|holder[ ± margin]>' with op one of >=, >, <=, <.`,
        );
      }
      const [, metric, op, number, sign, margin] = match;
      const bound =
        number !== undefined
          ? { kind: 'number' as const, value: Number(number) }
          : {
              kind: 'holder' as const,
              offset: margin === undefined ? 0 : (sign === '-' ? -1 : 1) * Number(margin),
            };
      return { metric: metric as string, op: op as Comparator, bound };
    });
  return { text, clauses };
}

/** The aliases protected for a model with these tags. */
export function protectedAliases(
  modelTags: Readonly<Record<string, string>>,
  defaults: readonly string[],
): readonly string[] {
  const configured = modelTags[PROTECTED_ALIASES_TAG];
  if (configured === undefined) return defaults;
  return configured
    .split(',')
    .map((alias) => alias.trim())
    .filter(Boolean);
}

/** The rule configured for an alias of a model, if any. */
export function ruleFor(
  modelTags: Readonly<Record<string, string>>,
  alias: string,
): ApprovalRule | undefined {
  const text = modelTags[`${RULE_TAG}.${alias}`] ?? modelTags[RULE_TAG];
  return text === undefined || text.trim() === '' ? undefined : parseRule(text);
}

/** A version's evaluation metrics, from its `mlops.metric.<name>` tags. */
export function evaluationMetrics(versionTags: Readonly<Record<string, string>>): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(versionTags)) {
    if (!key.startsWith(METRIC_TAG_PREFIX)) continue;
    const number = Number(value);
    if (value.trim() !== '' && Number.isFinite(number)) metrics[key.slice(METRIC_TAG_PREFIX.length)] = number;
  }
  return metrics;
}

/**
 * Checks a candidate's metrics against a rule; returns undefined when it passes, or why it fails.
 * `holder` holds the metrics of the version the alias points at now (undefined when none).
 */
export function checkRule(
  rule: ApprovalRule,
  candidate: Readonly<Record<string, number>>,
  holder: Readonly<Record<string, number>> | undefined,
): string | undefined {
  for (const clause of rule.clauses) {
    const value = candidate[clause.metric];
    if (value === undefined) return `the version carries no metric '${clause.metric}'`;
    let bound: number;
    let described: string;
    if (clause.bound.kind === 'number') {
      bound = clause.bound.value;
      described = String(bound);
    } else {
      const held = holder?.[clause.metric];
      if (held === undefined) continue;
      bound = held + clause.bound.offset;
      described = `${round(bound)} (the current holder's ${held}${clause.bound.offset === 0 ? '' : ` ${clause.bound.offset < 0 ? '-' : '+'} ${Math.abs(clause.bound.offset)}`})`;
    }
    if (!holds(value, clause.op, bound)) {
      return `metrics.${clause.metric} = ${value} is not ${clause.op} ${described}`;
    }
  }
  return undefined;
}

function holds(value: number, op: Comparator, bound: number): boolean {
  const epsilon = 1e-12;
  switch (op) {
    case '>=':
      return value >= bound - epsilon;
    case '>':
      return value > bound;
    case '<=':
      return value <= bound + epsilon;
    case '<':
      return value < bound;
  }
}

function round(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
