import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEndpointStore } from '../../../infra/local/endpoint-store.ts';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../../layers/runtime/aws-clients.ts';
import { createEvaluator, toMatrix } from '../../../layers/xgboost/evaluator.ts';
import { buildModelPackage } from '../../../layers/xgboost/model-package.ts';
import { train } from '../../../layers/xgboost/trainer.ts';

const rows = Array.from({ length: 200 }, (_, i) => [i % 10, (i * 3) % 7]);
const model = train({
  params: { objective: 'multi:softprob', num_class: 3, num_round: 5, max_depth: 3 },
  train: { matrix: toMatrix(rows, 2), labels: Float32Array.from(rows, (r) => r[0]! % 3) },
}).model;

let platform: LocalPlatform;
const score = (name: string, body: unknown) =>
  fetch(`${platform.url}/api/2.0/mlops/endpoints/${name}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  const s3 = createS3Client(platform.config);
  await s3.send(
    new PutObjectCommand({ Bucket: 'mlops-artifacts', Key: 'm.tar.gz', Body: buildModelPackage(model) }),
  );
  s3.destroy();
  const ddb = createDynamoDbClient(platform.config);
  await new LocalEndpointStore(createDocumentClient(ddb), 'mlops_platform').create(
    'classes',
    's3://mlops-artifacts/m.tar.gz',
  );
  ddb.destroy();
});
afterAll(async () => platform?.stop());

describe('scoring function', () => {
  it('scores JSON instances through the SageMaker endpoint, missing values as null', async () => {
    const response = await score('classes', {
      instances: [
        [3, 1],
        [null, 6],
      ],
    });
    expect(response.status).toBe(200);
    const expected = createEvaluator(model).predict(
      toMatrix(
        [
          [3, 1],
          [null, 6],
        ],
        2,
      ),
    );
    expect(await response.json()).toEqual({
      predictions: [Array.from(expected.subarray(0, 3)), Array.from(expected.subarray(3, 6))],
    });
  });

  it("accepts MLflow's dataframe_split form", async () => {
    const response = await score('classes', { dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] } });
    expect(((await response.json()) as { predictions: number[][] }).predictions).toHaveLength(1);
  });

  it('answers 404 for an unknown endpoint and 400 for rows the model refuses or a malformed body', async () => {
    const missing = await score('nope', { instances: [[1, 2]] });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error_code: string }).error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const wide = await score('classes', { instances: [[1, 2, 3]] });
    expect(wide.status).toBe(400);
    expect(((await wide.json()) as { message: string }).message).toBe(
      'endpoint classes refused the rows: row 1 has 3 columns but the model has 2 features',
    );
    const malformed = await score('classes', '{"rows": 1}');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error_code: string }).error_code).toBe('MALFORMED_REQUEST');
  });
});
