import { describe, expect, it } from 'vitest';
import { runDemo } from '../../cli/demo/run-demo.ts';

describe('runDemo', () => {
  it('runs every step against a fresh platform and reports what each did', async () => {
    const lines: string[] = [];
    const demo = await runDemo({ write: (line) => lines.push(line) });
    expect(demo.results.map((result) => result.name)).toEqual([
      'start the local platform',
      'write and read an S3 object',
      'write and read a DynamoDB item',
      'call the HTTP API',
    ]);
    expect(lines.join('\n')).toMatch(/Demo finished in \d+\.\d s/);
  });
});
