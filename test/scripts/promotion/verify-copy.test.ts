import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { createS3Client } from '../../../layers/runtime/aws-clients.ts';
import { CopyMismatchError, verifyCopy } from '../../../scripts/promotion/verify-copy.ts';

let platform: LocalPlatform;
let s3: S3Client;
const put = (key: string, body: string) =>
  s3.send(new PutObjectCommand({ Bucket: 'mlops-artifacts', Key: `mlflow-artifacts/${key}`, Body: body }));
const at = (source: string) => ({ client: s3, bucket: 'mlops-artifacts', source });

beforeAll(async () => {
  platform = await startLocalPlatform({ port: 0 });
  s3 = createS3Client(platform.config);
  await put('src/model/xgboost-model', '{"learner":{}}');
  await put('src/model/MLmodel', 'flavors: {}\n');
  await put('same/model/xgboost-model', '{"learner":{}}');
  await put('same/model/MLmodel', 'flavors: {}\n');
  await put('changed/model/xgboost-model', '{"learner":{"x":1}}');
  await put('changed/model/MLmodel', 'flavors: {}\n');
  await put('extra/model/xgboost-model', '{"learner":{}}');
  await put('extra/model/MLmodel', 'flavors: {}\n');
  await put('extra/model/stray', 'x');
});

afterAll(async () => {
  s3.destroy();
  await platform.stop();
});

describe('verifyCopy', () => {
  it('counts the files and bytes of an identical copy', async () => {
    expect(await verifyCopy(at('mlflow-artifacts:/src/model'), at('mlflow-artifacts:/same/model'))).toEqual({
      files: 2,
      bytes: 14 + 12,
    });
  });

  it('throws CopyMismatchError naming a file whose bytes differ', async () => {
    const check = verifyCopy(at('mlflow-artifacts:/src/model'), at('mlflow-artifacts:/changed/model'));
    await expect(check).rejects.toThrow(CopyMismatchError);
    await expect(check).rejects.toThrow('xgboost-model differs from the source (sha256)');
  });

  it('throws CopyMismatchError for a file the source does not have', async () => {
    await expect(
      verifyCopy(at('mlflow-artifacts:/src/model'), at('mlflow-artifacts:/extra/model')),
    ).rejects.toThrow('stray is in the target but not in the source');
  });

  it('refuses a source outside the bucket', async () => {
    await expect(verifyCopy(at('s3://elsewhere/model'), at('mlflow-artifacts:/same/model'))).rejects.toThrow(
      'cannot locate artifacts of source s3://elsewhere/model in bucket mlops-artifacts',
    );
  });
});
