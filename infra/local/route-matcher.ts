/**
 * Route matching as API Gateway HTTP APIs do it: the most specific route wins — a path without
 * variables over one with `{name}` variables over one ending in a greedy `{proxy+}` — and a route
 * for the exact method wins over `ANY`.
 */
import type { HttpMethod } from '../platform/api.ts';

export interface MatchableRoute {
  readonly method: HttpMethod;
  readonly path: string;
}

export interface RouteMatch<R extends MatchableRoute> {
  readonly route: R;
  readonly pathParameters: Record<string, string>;
}

interface CompiledRoute<R> {
  readonly route: R;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  /** Sort key: more literal segments first, then fewer variables, greedy last. */
  readonly rank: readonly number[];
}

export class RouteMatcher<R extends MatchableRoute> {
  readonly #routes: CompiledRoute<R>[];

  constructor(routes: readonly R[]) {
    this.#routes = routes.map(compile).sort((a, b) => compareRank(a.rank, b.rank));
  }

  /** The route for a request, or undefined. `path` is the raw (still percent-encoded) path. */
  match(method: string, path: string): RouteMatch<R> | undefined {
    let fallback: RouteMatch<R> | undefined;
    for (const compiled of this.#routes) {
      const found = compiled.pattern.exec(path);
      if (!found) continue;
      if (compiled.route.method !== method && compiled.route.method !== 'ANY') continue;
      const pathParameters: Record<string, string> = {};
      compiled.names.forEach((name, index) => {
        pathParameters[name] = safeDecode(found[index + 1] ?? '');
      });
      const result = { route: compiled.route, pathParameters };
      if (compiled.route.method === method) return result;
      fallback ??= result;
    }
    return fallback;
  }

  /** Whether some route has this path under another method (for 404 vs. the method's absence). */
  hasPath(path: string): boolean {
    return this.#routes.some((compiled) => compiled.pattern.test(path));
  }
}

function compile<R extends MatchableRoute>(route: R): CompiledRoute<R> {
  const names: string[] = [];
  let literals = 0;
  let variables = 0;
  let greedy = 0;
  const source = route.path
    .split('/')
    .map((segment) => {
      const variable = /^\{([A-Za-z0-9_]+)(\+)?\}$/.exec(segment);
      if (!variable) {
        literals += 1;
        return escapeRegExp(segment);
      }
      names.push(variable[1] as string);
      if (variable[2]) {
        greedy += 1;
        return '(.+)';
      }
      variables += 1;
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names, rank: [greedy, -literals, variables] };
}

function compareRank(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i += 1) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
