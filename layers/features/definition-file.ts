/**
 * Reading a definitions file (YAML) into validated definitions, with every problem reported at its
 * line, column and field path:
 *
 *     defs.yaml:14:15 featureViews[0].features[1].type: Invalid option: expected one of "string"|...
 *
 * Validation happens in two steps: the shape (zod, `definitions.ts`), then what zod cannot see —
 * unique names, references between objects, join keys and features that exist. References to
 * objects that are not in the file are left to `plan`, which resolves them against the registry
 * and reports unknown ones through the same locator.
 */
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Definitions, DefinitionsSchema } from './definitions.ts';
import { DefinitionError, type DefinitionIssue } from './errors.ts';

export type FieldPath = readonly (string | number)[];

/** Parsed definitions and a way to turn a field path into a position in the file. */
export interface DefinitionFile {
  readonly source: string;
  readonly definitions: Definitions;
  /** Issue at a field of the file (the nearest existing parent when the field itself is absent). */
  issueAt(path: FieldPath, message: string, atKey?: boolean): DefinitionIssue;
}

/** Parses and validates a definitions file; throws DefinitionError listing every problem. */
export function parseDefinitionFile(text: string, source = 'definitions.yaml'): DefinitionFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new DefinitionError(
      source,
      document.errors.map((error) => ({
        path: '',
        ...positionOf(lineCounter, error.pos[0]),
        message: error.message.split('\n')[0] ?? error.message,
      })),
    );
  }
  const issueAt = (path: FieldPath, message: string, atKey = false): DefinitionIssue => {
    const offset = offsetOf(document, path, atKey);
    const position = offset === undefined ? undefined : lineCounter.linePos(offset);
    return {
      path: formatPath(path),
      ...(position ? { line: position.line, column: position.col } : {}),
      message,
    };
  };

  const raw: unknown = document.toJS() ?? {};
  const parsed = DefinitionsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DefinitionError(
      source,
      parsed.error.issues.map((issue) => zodIssue(issue, issueAt)),
    );
  }
  const issues = crossCheck(parsed.data, issueAt);
  if (issues.length > 0) throw new DefinitionError(source, issues);
  return { source, definitions: parsed.data, issueAt };
}

function zodIssue(
  issue: z.core.$ZodIssue,
  issueAt: (path: FieldPath, message: string, atKey?: boolean) => DefinitionIssue,
): DefinitionIssue {
  const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    // Point at the first unknown key itself rather than at the object holding it.
    const [key] = issue.keys;
    return issueAt(key === undefined ? path : [...path, key], issue.message, true);
  }
  return issueAt(path, issue.message);
}

/** What zod cannot check: names unique per kind, references inside the file resolvable. */
function crossCheck(
  definitions: Definitions,
  issueAt: (path: FieldPath, message: string) => DefinitionIssue,
): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  const duplicates = (kind: 'entities' | 'featureViews' | 'featureServices', names: string[]) => {
    names.forEach((name, index) => {
      if (names.indexOf(name) !== index)
        issues.push(issueAt([kind, index, 'name'], `duplicate name '${name}'`));
    });
  };
  duplicates(
    'entities',
    definitions.entities.map((entity) => entity.name),
  );
  duplicates(
    'featureViews',
    definitions.featureViews.map((view) => view.name),
  );
  duplicates(
    'featureServices',
    definitions.featureServices.map((service) => service.name),
  );

  definitions.entities.forEach((entity, index) => {
    const names = entity.joinKeys.map((key) => key.name);
    names.forEach((name, keyIndex) => {
      if (names.indexOf(name) !== keyIndex) {
        issues.push(
          issueAt(['entities', index, 'joinKeys', keyIndex, 'name'], `duplicate join key '${name}'`),
        );
      }
    });
  });

  definitions.featureViews.forEach((view, index) => {
    const names = view.features.map((feature) => feature.name);
    const reserved = new Set([view.source.eventTimeColumn, view.source.createdTimeColumn]);
    names.forEach((name, featureIndex) => {
      const path = ['featureViews', index, 'features', featureIndex, 'name'];
      if (names.indexOf(name) !== featureIndex) issues.push(issueAt(path, `duplicate feature '${name}'`));
      if (reserved.has(name))
        issues.push(issueAt(path, `'${name}' is the view's event or created time column`));
    });
    view.entities.forEach((entity, entityIndex) => {
      if (view.entities.indexOf(entity) !== entityIndex) {
        issues.push(
          issueAt(['featureViews', index, 'entities', entityIndex], `duplicate entity '${entity}'`),
        );
      }
    });
    const keys = new Set<string>();
    for (const entityName of view.entities) {
      const entity = definitions.entities.find((candidate) => candidate.name === entityName);
      for (const key of entity?.joinKeys ?? []) {
        if (names.includes(key.name)) {
          issues.push(
            issueAt(
              ['featureViews', index, 'features', names.indexOf(key.name), 'name'],
              `'${key.name}' is a join key of entity '${entityName}'`,
            ),
          );
        }
        if (keys.has(key.name)) {
          issues.push(
            issueAt(['featureViews', index, 'entities'], `join key '${key.name}' appears in two entities`),
          );
        }
        keys.add(key.name);
      }
    }
  });

  definitions.featureServices.forEach((service, index) => {
    const seen = new Set<string>();
    service.features.forEach((reference, referenceIndex) => {
      const path = ['featureServices', index, 'features', referenceIndex];
      if (seen.has(reference.view))
        issues.push(issueAt([...path, 'view'], `view '${reference.view}' listed twice`));
      seen.add(reference.view);
      const view = definitions.featureViews.find((candidate) => candidate.name === reference.view);
      if (!view) return;
      reference.features?.forEach((name, featureIndex) => {
        if (!view.features.some((feature) => feature.name === name)) {
          issues.push(
            issueAt(
              [...path, 'features', featureIndex],
              `feature view '${view.name}' has no feature '${name}'`,
            ),
          );
        }
      });
    });
  });
  return issues;
}

/** Offset of the node at `path`, or of its nearest existing ancestor. */
function offsetOf(
  document: ReturnType<typeof parseDocument>,
  path: FieldPath,
  atKey: boolean,
): number | undefined {
  for (let length = path.length; length >= 0; length -= 1) {
    const prefix = path.slice(0, length);
    if (prefix.length === 0)
      return document.contents && isNode(document.contents) ? document.contents.range?.[0] : 0;
    const parent = prefix.length === 1 ? document.contents : document.getIn(prefix.slice(0, -1), true);
    const last = prefix[prefix.length - 1];
    if (isMap(parent)) {
      // A map entry: point at its key, where the reader's eye lands, when the value is missing or a collection.
      const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === last);
      if (pair && isPair(pair)) {
        const value = pair.value;
        if (!atKey && isScalar(value) && value.range) return value.range[0];
        if (isScalar(pair.key) && pair.key.range) return pair.key.range[0];
      }
      continue;
    }
    const node = document.getIn(prefix, true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return undefined;
}

function positionOf(lineCounter: LineCounter, offset: number): { line?: number; column?: number } {
  const position = lineCounter.linePos(offset);
  return { line: position.line, column: position.col };
}

/** `featureViews[0].features[1].type` */
export function formatPath(path: FieldPath): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? key : `.${key}`))
    .join('');
}
