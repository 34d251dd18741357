import { describe, expect, it } from 'vitest';
import { cliConfig, cliEnv } from '../../cli/environment.ts';

describe('cliEnv', () => {
  it('falls back to a local platform on port 5000 when no kit settings are present', () => {
    const config = cliConfig({ PATH: '/bin' });
    expect(config.endpoints).toMatchObject({
      s3: 'http://127.0.0.1:5002',
      dynamodb: 'http://127.0.0.1:5001',
    });
    expect(config.apiUrl).toBe('http://127.0.0.1:5000');
    expect(config.tables.deltaLog).toBe('delta_log');
  });

  it('uses the process environment as it is when it names the kit resources', () => {
    const env = { MLOPS_LAKEHOUSE_BUCKET: 'prod-lake', AWS_REGION: 'eu-west-1' };
    expect(cliEnv(env)).toBe(env);
    expect(cliConfig(env)).toMatchObject({
      region: 'eu-west-1',
      buckets: { lakehouse: 'prod-lake' },
      endpoints: {},
    });
  });
});
