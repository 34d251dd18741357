import { describe, expect, it } from 'vitest';
import { packageLocation } from '../../../layers/pipelines/model-artifacts.ts';

describe('packageLocation', () => {
  it("finds an mlflow-artifacts:/ source under the tracking proxy's prefix of the artifacts bucket", () => {
    expect(packageLocation('mlflow-artifacts:/promotions/churn/v1-abc', 'mlops-prod-artifacts')).toEqual({
      bucket: 'mlops-prod-artifacts',
      key: 'mlflow-artifacts/promotions/churn/v1-abc/model.tar.gz',
    });
    expect(packageLocation('mlflow-artifacts:/7/run/artifacts/model/model.tar.gz', 'a')).toEqual({
      bucket: 'a',
      key: 'mlflow-artifacts/7/run/artifacts/model/model.tar.gz',
    });
  });

  it('takes an s3:// source as it is', () => {
    expect(packageLocation('s3://models/churn/3/', 'a')).toEqual({
      bucket: 'models',
      key: 'churn/3/model.tar.gz',
    });
  });

  it('refuses any other source', () => {
    expect(() => packageLocation('file:///tmp/model', 'a')).toThrow(
      'model source file:///tmp/model is not an s3:// or mlflow-artifacts:/ URI',
    );
  });
});
