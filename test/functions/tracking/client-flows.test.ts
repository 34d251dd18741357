/**
 * The call sequences the MLflow Python client makes for its high-level operations (from the
 * captured client trace in the reference), replayed in order: what `mlflow.set_experiment` +
 * `start_run` + logging, `pyfunc.log_model` and `download_artifacts` need from the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MlflowHttp, startMlflowHttp } from './mlflow-http.ts';

const API = '/api/2.0/mlflow';
const ARTIFACTS = '/api/2.0/mlflow-artifacts';

describe('MLflow client call sequences', () => {
  let http: MlflowHttp;

  beforeAll(async () => {
    http = await startMlflowHttp();
  });
  afterAll(async () => {
    await http.stop();
  });

  it('set_experiment: get-by-name 404, create, get', async () => {
    const missing = await http.call('GET', `${API}/experiments/get-by-name`, undefined, {
      experiment_name: 'flow',
    });
    expect(missing).toMatchObject({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST' } });
    const created = await http.call('POST', `${API}/experiments/create`, { name: 'flow' });
    const experiment = await http.call('GET', `${API}/experiments/get`, undefined, {
      experiment_id: created.body.experiment_id as string,
    });
    expect(experiment.body.experiment).toMatchObject({ name: 'flow', lifecycle_stage: 'active' });
  });

  it('log_model then download_artifacts: logged model, outputs, artifacts, finalize, search', async () => {
    const experimentId = (await http.call('POST', `${API}/experiments/create`, { name: 'models' })).body
      .experiment_id as string;
    const run = await http.call('POST', `${API}/runs/create`, {
      experiment_id: experimentId,
      start_time: Date.now(),
      tags: [{ key: 'mlflow.user', value: 'ds' }],
    });
    const runId = (run.body.run as { info: { run_id: string } }).info.run_id;

    const created = await http.call('POST', `${API}/logged-models`, {
      experiment_id: experimentId,
      name: 'model',
      source_run_id: runId,
      tags: [{ key: 'mlflow.source.name', value: 'train.py' }],
    });
    expect(created.status).toBe(200);
    const info = (created.body.model as { info: Record<string, string> }).info;
    expect(info).toMatchObject({
      experiment_id: experimentId,
      name: 'model',
      status: 'LOGGED_MODEL_PENDING',
      source_run_id: runId,
      artifact_uri: `mlflow-artifacts:/${experimentId}/models/${info.model_id}/artifacts`,
    });
    expect(info.model_id).toMatch(/^m-[0-9a-f]{32}$/);

    const outputs = await http.call('POST', `${API}/runs/outputs`, {
      run_id: runId,
      models: [{ model_id: info.model_id, step: 0 }],
    });
    expect(outputs.status).toBe(200);
    const fetched = await http.call('GET', `${API}/logged-models/${info.model_id}`);
    expect(fetched.body).toEqual(created.body);

    const modelPath = `${experimentId}/models/${info.model_id}/artifacts`;
    for (const [file, content] of [
      ['MLmodel', 'flavors: {}\n'],
      ['python_model.pkl', 'pickle'],
    ] as const) {
      const put = await fetch(`${http.platform.url}${ARTIFACTS}/artifacts/${modelPath}/${file}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: content,
      });
      expect(put.status).toBe(200);
    }
    const finalized = await http.call('PATCH', `${API}/logged-models/${info.model_id}`, {
      model_id: info.model_id,
      status: 'LOGGED_MODEL_READY',
    });
    expect((finalized.body.model as { info: { status: string } }).info.status).toBe('LOGGED_MODEL_READY');
    const tagged = await http.call('PATCH', `${API}/logged-models/${info.model_id}/tags`, {
      tags: [{ key: 'mlflow.modelVersions', value: '[{"name": "m", "version": "1"}]' }],
    });
    expect((tagged.body.model as { info: { tags: unknown[] } }).info.tags).toContainEqual({
      key: 'mlflow.modelVersions',
      value: '[{"name": "m", "version": "1"}]',
    });

    const readRun = await http.call('GET', `${API}/runs/get`, undefined, { run_id: runId });
    expect((readRun.body.run as { outputs: unknown }).outputs).toEqual({
      model_outputs: [{ model_id: info.model_id, step: 0 }],
    });
    const found = await http.call('POST', `${API}/logged-models/search`, {
      experiment_ids: [experimentId],
      filter: "name = 'model'",
    });
    expect((found.body.models as { info: { model_id: string } }[]).map((m) => m.info.model_id)).toEqual([
      info.model_id,
    ]);
    const none = await http.call('POST', `${API}/logged-models/search`, {
      experiment_ids: [experimentId],
      filter: "name = 'other'",
    });
    expect(none.body).toEqual({});

    const listed = await http.call('GET', `${ARTIFACTS}/artifacts`, undefined, { path: modelPath });
    expect(listed.body).toEqual({
      files: [
        { path: 'MLmodel', is_dir: false, file_size: 12 },
        { path: 'python_model.pkl', is_dir: false, file_size: 6 },
      ],
    });
    const directories = await http.call('GET', `${API}/logged-models/${info.model_id}/artifacts/directories`);
    expect(directories.body).toMatchObject({ root_uri: info.artifact_uri, files: expect.any(Array) });
    const download = await fetch(`${http.platform.url}${ARTIFACTS}/artifacts/${modelPath}/MLmodel`);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('flavors: {}\n');
  });

  it('deleting an experiment soft-deletes its runs, restoring it brings them back', async () => {
    const experimentId = (await http.call('POST', `${API}/experiments/create`, { name: 'cascade' })).body
      .experiment_id as string;
    const run = await http.call('POST', `${API}/runs/create`, { experiment_id: experimentId });
    const runId = (run.body.run as { info: { run_id: string } }).info.run_id;
    await http.call('POST', `${API}/experiments/delete`, { experiment_id: experimentId });
    const deleted = await http.call('GET', `${API}/runs/get`, undefined, { run_id: runId });
    expect((deleted.body.run as { info: { lifecycle_stage: string } }).info.lifecycle_stage).toBe('deleted');
    const refused = await http.call('POST', `${API}/runs/log-metric`, {
      run_id: runId,
      key: 'm',
      value: 1,
      timestamp: 1,
    });
    expect(refused).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    const again = await http.call('POST', `${API}/experiments/create`, { name: 'cascade' });
    expect(again).toMatchObject({ status: 400, body: { error_code: 'RESOURCE_ALREADY_EXISTS' } });
    await http.call('POST', `${API}/experiments/restore`, { experiment_id: experimentId });
    const restored = await http.call('GET', `${API}/runs/get`, undefined, { run_id: runId });
    expect((restored.body.run as { info: { lifecycle_stage: string } }).info.lifecycle_stage).toBe('active');
  });

  it('renames a run through the mlflow.runName tag and truncates long values as MLflow does', async () => {
    const run = await http.call('POST', `${API}/runs/create`, { experiment_id: '0' });
    const runId = (run.body.run as { info: { run_id: string; run_name: string } }).info.run_id;
    expect((run.body.run as { info: { run_name: string } }).info.run_name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    await http.call('POST', `${API}/runs/set-tag`, {
      run_id: runId,
      key: 'mlflow.runName',
      value: 'renamed',
    });
    await http.call('POST', `${API}/runs/log-parameter`, {
      run_id: runId,
      key: 'long',
      value: 'p'.repeat(7000),
    });
    await http.call('POST', `${API}/runs/set-tag`, { run_id: runId, key: 'long', value: 't'.repeat(9000) });
    const read = await http.call('GET', `${API}/runs/get`, undefined, { run_id: runId });
    const body = read.body.run as {
      info: { run_name: string };
      data: { params: { key: string; value: string }[]; tags: { key: string; value: string }[] };
    };
    expect(body.info.run_name).toBe('renamed');
    expect(body.data.params.find((p) => p.key === 'long')?.value).toHaveLength(6000);
    expect(body.data.tags.find((t) => t.key === 'long')?.value).toHaveLength(8000);
    const again = await http.call('POST', `${API}/runs/log-parameter`, {
      run_id: runId,
      key: 'long',
      value: 'p'.repeat(7000),
    });
    expect(again.status).toBe(200);
  });

  it('completes a multipart upload through presigned part URLs and downloads the assembled file', async () => {
    const dir = '0/multipart/artifacts';
    const part = Buffer.alloc(5 * 1024 * 1024, 1);
    const tail = Buffer.from('tail');
    const created = await http.call('POST', `${ARTIFACTS}/mpu/create/${dir}`, {
      path: 'big.bin',
      num_parts: 2,
    });
    const { upload_id: uploadId, credentials } = created.body as {
      upload_id: string;
      credentials: { url: string; part_number: number }[];
    };
    const parts = [];
    for (const [index, credential] of credentials.entries()) {
      const response = await fetch(credential.url, { method: 'PUT', body: index === 0 ? part : tail });
      expect(response.status).toBe(200);
      parts.push({
        part_number: credential.part_number,
        etag: response.headers.get('etag') ?? '',
        url: credential.url,
      });
    }
    const completed = await http.call('POST', `${ARTIFACTS}/mpu/complete/${dir}`, {
      path: 'big.bin',
      upload_id: uploadId,
      parts,
    });
    expect(completed).toMatchObject({ status: 200, body: {} });
    const download = await fetch(`${http.platform.url}${ARTIFACTS}/artifacts/${dir}/big.bin`);
    expect(Buffer.from(await download.arrayBuffer()).length).toBe(part.length + tail.length);
    const aborted = await http.call('POST', `${ARTIFACTS}/mpu/abort/${dir}`, {
      path: 'x.bin',
      upload_id: 'unknown',
    });
    expect(aborted.status).toBeGreaterThanOrEqual(400);
    expect(aborted.status).toBeLessThan(500);
  });
});
