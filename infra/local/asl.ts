/**
 * Reading state-machine files: placeholder substitution (the same `${Name}` syntax CDK's
 * `definitionSubstitutions` fills) and a walk over every state, nested Map and Parallel states
 * included.
 */
import { readFileSync } from 'node:fs';

export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly Retry?: readonly { readonly ErrorEquals: readonly string[] }[];
  readonly Catch?: readonly { readonly ErrorEquals: readonly string[] }[];
  readonly Iterator?: AslDefinition;
  readonly ItemProcessor?: AslDefinition;
  readonly Branches?: readonly AslDefinition[];
  readonly [key: string]: unknown;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
  readonly [key: string]: unknown;
}

const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/** The placeholders a definition's text uses. */
export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1] as string))].sort();
}

/** Replaces every `${Name}`; throws naming the placeholders that have no value. */
export function substitute(text: string, values: Readonly<Record<string, string>>): string {
  const missing = placeholdersOf(text).filter((name) => values[name] === undefined);
  if (missing.length > 0) throw new Error(`no value for placeholder(s) ${missing.join(', ')}`);
  return text.replace(PLACEHOLDER, (_, name: string) => values[name] as string);
}

/** Reads an ASL file and fills its placeholders. */
export function loadDefinition(file: string, values: Readonly<Record<string, string>>): AslDefinition {
  return JSON.parse(substitute(readFileSync(file, 'utf8'), values)) as AslDefinition;
}

/** Every state of a definition, with nested Map/Parallel states, as [name, state] pairs. */
export function allStates(definition: AslDefinition): [string, AslState][] {
  const result: [string, AslState][] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    result.push([name, state]);
    const nested = [state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])].filter(
      (child): child is AslDefinition => child !== undefined,
    );
    for (const child of nested) result.push(...allStates(child));
  }
  return result;
}

/** Every error name used in Retry and Catch clauses. */
export function errorNamesOf(definition: AslDefinition): string[] {
  const names = new Set<string>();
  for (const [, state] of allStates(definition)) {
    for (const clause of [...(state.Retry ?? []), ...(state.Catch ?? [])]) {
      for (const name of clause.ErrorEquals) names.add(name);
    }
  }
  return [...names].sort();
}
