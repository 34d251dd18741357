/**
 * The `mlflow-artifacts` proxy endpoints, as the MLflow client calls them: raw-bytes PUT uploads,
 * listing with basenames, downloads answered with a 302 to a presigned S3 URL (so files beyond
 * Lambda's 6 MB response limit work), deletes, and multipart uploads with presigned part URLs.
 */
import { z } from 'zod';
import { bodyBytes } from '../../layers/runtime/http/request.ts';
import { jsonResponse } from '../../layers/runtime/http/responses.ts';
import type { HttpEvent, HttpResult } from '../../layers/runtime/http/types.ts';
import { type ArtifactRepository, validateArtifactPath } from './artifact-repository.ts';
import { int64, parseRequest } from './mlflow-request.ts';
import type { Endpoint } from './tracking-api.ts';

const BASE = '/api/2.0/mlflow-artifacts';

/** The artifact path after `prefix` in the raw (percent-encoded) request path. */
function pathAfter(event: HttpEvent, prefix: string): string {
  const raw = event.rawPath.slice(event.rawPath.indexOf(prefix) + prefix.length);
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    decoded = raw;
  }
  return validateArtifactPath(decoded);
}

const MultipartSchema = z.object({ path: z.string().min(1) });

const ListArtifactsProxyRequest = z.object({ path: z.string().optional() });
const CreateMultipartRequest = MultipartSchema.extend({
  num_parts: int64.refine((n) => n >= 1 && n <= 10_000, 'must be 1 to 10000'),
});
const CompleteMultipartRequest = MultipartSchema.extend({
  upload_id: z.string().min(1),
  parts: z.array(z.object({ part_number: int64, etag: z.string(), url: z.string().optional() })).min(1),
});
const AbortMultipartRequest = MultipartSchema.extend({ upload_id: z.string().min(1) });

/** The artifact endpoints over a repository. */
export function artifactEndpoints(repository: ArtifactRepository): Record<string, Endpoint> {
  return {
    [`GET ${BASE}/artifacts`]: async (event) => {
      const request = parseRequest(event, ListArtifactsProxyRequest);
      const files = await repository.list(validateArtifactPath(request.path ?? ''));
      return jsonResponse(files.length ? { files } : {});
    },
    [`GET ${BASE}/artifacts/{proxy+}`]: async (event): Promise<HttpResult> => {
      const url = await repository.downloadUrl(pathAfter(event, `${BASE}/artifacts/`));
      return { statusCode: 302, headers: { location: url, 'content-type': 'application/json' }, body: '{}' };
    },
    [`PUT ${BASE}/artifacts/{proxy+}`]: async (event) => {
      const path = pathAfter(event, `${BASE}/artifacts/`);
      await repository.put(path, bodyBytes(event), event.headers['content-type']);
      return jsonResponse({});
    },
    [`DELETE ${BASE}/artifacts/{proxy+}`]: async (event) => {
      await repository.delete(pathAfter(event, `${BASE}/artifacts/`));
      return jsonResponse({});
    },
    [`POST ${BASE}/mpu/create/{proxy+}`]: async (event) => {
      const dir = pathAfter(event, `${BASE}/mpu/create/`);
      const request = parseRequest(event, CreateMultipartRequest);
      const created = await repository.createMultipartUpload(
        `${dir}/${validateArtifactPath(request.path)}`,
        request.num_parts,
      );
      return jsonResponse({ upload_id: created.uploadId, credentials: created.credentials });
    },
    [`POST ${BASE}/mpu/complete/{proxy+}`]: async (event) => {
      const dir = pathAfter(event, `${BASE}/mpu/complete/`);
      const request = parseRequest(event, CompleteMultipartRequest);
      await repository.completeMultipartUpload(
        `${dir}/${validateArtifactPath(request.path)}`,
        request.upload_id,
        request.parts,
      );
      return jsonResponse({});
    },
    [`POST ${BASE}/mpu/abort/{proxy+}`]: async (event) => {
      const dir = pathAfter(event, `${BASE}/mpu/abort/`);
      const request = parseRequest(event, AbortMultipartRequest);
      await repository.abortMultipartUpload(
        `${dir}/${validateArtifactPath(request.path)}`,
        request.upload_id,
      );
      return jsonResponse({});
    },
    [`GET ${BASE}/presigned/{proxy+}`]: async (event) => {
      const url = await repository.downloadUrl(pathAfter(event, `${BASE}/presigned/`));
      return jsonResponse({ url, headers: {} });
    },
  };
}
