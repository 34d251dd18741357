import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { errorNamesOf, loadDefinition, placeholdersOf } from '../../infra/local/asl.ts';
import { localEnv } from '../../infra/local/local-env.ts';
import { localSubstitutions } from '../../infra/local/pipeline-runner.ts';
import { PIPELINES } from '../../infra/platform/pipelines.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const env = localEnv({ gateway: 5000, dynamodb: 5001, s3: 5002 });

/** Names of the error classes the kit defines (`override readonly name = 'X'`), by scanning its sources. */
function errorClassNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const match of readFileSync(path, 'utf8').matchAll(/readonly name = '([A-Za-z]+Error)'/g))
          names.add(match[1] as string);
      }
    }
  };
  for (const dir of ['layers', 'functions']) walk(join(ROOT, dir));
  return names;
}

describe('state machines', () => {
  const files = readdirSync(join(ROOT, 'state-machines')).filter((file) => file.endsWith('.asl.json'));

  it('are all declared as pipelines', () => {
    expect(files.map((file) => `state-machines/${file}`).sort()).toEqual(
      Object.values(PIPELINES)
        .map((pipeline) => pipeline.file)
        .sort(),
    );
  });

  for (const [name, pipeline] of Object.entries(PIPELINES)) {
    describe(name, () => {
      const text = readFileSync(join(ROOT, pipeline.file), 'utf8');

      it('declares a value for every placeholder it uses, and uses every one it declares', () => {
        const declared = [...Object.keys(pipeline.tasks), ...Object.keys(pipeline.resources)].sort();
        expect(placeholdersOf(text)).toEqual(declared);
      });

      it('passes asl-validator once its placeholders are filled', () => {
        const definition = loadDefinition(join(ROOT, pipeline.file), localSubstitutions(pipeline, env));
        const { isValid, errorsText } = aslValidator(definition as never, {
          checkArn: true,
          checkPaths: true,
        });
        expect(isValid, errorsText('\n')).toBe(true);
      });

      it('uses JSONPath only (no JSONata, no variables)', () => {
        expect(text).not.toMatch(/"QueryLanguage"|"Assign"|"Arguments"|"Output"/);
      });

      it('names only real error classes in Retry and Catch', () => {
        const known = errorClassNames();
        const definition = loadDefinition(join(ROOT, pipeline.file), localSubstitutions(pipeline, env));
        const unknown = errorNamesOf(definition).filter(
          (error) => !error.startsWith('States.') && !error.startsWith('Lambda.') && !known.has(error),
        );
        expect(unknown).toEqual([]);
      });
    });
  }
});
