import { describe, expect, it } from 'vitest';
import { parseDefinitionFile } from '../../../layers/features/definition-file.ts';
import { DefinitionError } from '../../../layers/features/errors.ts';
import { DEFINITIONS } from './fixtures.ts';

function problems(text: string): string[] {
  try {
    parseDefinitionFile(text, 'defs.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(DefinitionError);
    return (error as DefinitionError).issues.map(
      (issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`,
    );
  }
  throw new Error('expected a DefinitionError');
}

describe('parseDefinitionFile', () => {
  it('parses entities, views with TTL in seconds, and services', () => {
    const { definitions } = parseDefinitionFile(DEFINITIONS);
    expect(definitions.entities[0]?.joinKeys).toEqual([{ name: 'customer_id', type: 'string' }]);
    expect(definitions.featureViews[0]?.ttl).toBe(7 * 86_400);
    expect(definitions.featureViews[0]?.source.createdTimeColumn).toBe('created_ts');
    expect(definitions.featureServices[0]?.features).toEqual([{ view: 'customer_stats' }]);
  });

  it('points a bad feature type at its line, column and field', () => {
    const text = DEFINITIONS.replace('{ name: orders, type: int64 }', '{ name: orders, type: integer }');
    expect(problems(text)).toEqual([
      expect.stringMatching(/^15:31 featureViews\[0\]\.features\[1\]\.type: Invalid option/),
    ]);
  });

  it('points an unknown key at the key itself', () => {
    const text = DEFINITIONS.replace('    ttl: 7d\n', '    ttl: 7d\n    tll: 1d\n');
    expect(problems(text)).toEqual([
      expect.stringMatching(/^13:5 featureViews\[0\]\.tll: Unrecognized key: "tll"/),
    ]);
  });

  it('points a missing required field at the object that lacks it', () => {
    const text = DEFINITIONS.replace('      eventTimeColumn: event_ts\n', '');
    expect(problems(text)).toEqual([
      expect.stringMatching(/^8:5 featureViews\[0\]\.source\.eventTimeColumn: Invalid input/),
    ]);
  });

  it('rejects a malformed TTL with the accepted forms in the message', () => {
    const text = DEFINITIONS.replace('ttl: 7d', 'ttl: 7 days');
    expect(problems(text)).toEqual([
      "12:10 featureViews[0].ttl: ttl must look like 30d, 12h, 90m, 45s, 2w or be none, got '7 days'",
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const [problem] = problems('entities: [\n  - a\n');
    expect(problem).toMatch(/^2:3 : Block collections are not allowed within flow collections/);
  });

  it('rejects duplicate names, features that shadow keys and service references to missing features', () => {
    const text = `${DEFINITIONS.replace('{ name: orders, type: int64 }', '{ name: customer_id, type: string }')}  - name: fraud
    features:
      - view: customer_stats
        features: [nope]
`;
    expect(problems(text)).toEqual([
      "20:11 featureServices[1].name: duplicate name 'fraud'",
      "15:17 featureViews[0].features[1].name: 'customer_id' is a join key of entity 'customer'",
      "23:20 featureServices[1].features[0].features[0]: feature view 'customer_stats' has no feature 'nope'",
    ]);
  });

  it('names the file, line and field in the error message', () => {
    const text = DEFINITIONS.replace('type: float64', 'type: float');
    expect(() => parseDefinitionFile(text, 'defs.yaml')).toThrow(
      /defs\.yaml: 1 problem\n {2}defs\.yaml:14:36 featureViews\[0\]\.features\[0\]\.type: /,
    );
  });
});
