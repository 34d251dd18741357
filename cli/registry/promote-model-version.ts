/**
 * `mlops promote`: copies a model version from one registry to another (another account, region or
 * stage) and registers it there with lineage pointing back to the source.
 *
 *   source registry                         promoting client                      target registry
 *   GET  /mlops/registry/export  ─────────▶ files + presigned GETs
 *                                           GET model-versions/search (promotion key) ─▶ done already?
 *                                           POST /mlops/registry/import ──────────────▶ presigned PUTs, present?
 *        S3 (source account) ── GET ──────▶ bytes ── PUT ────────────────────────────▶ S3 (target account)
 *                                           POST registered-models/create, model-versions/create, alias
 *
 * Idempotent: the target version carries the tag `mlops.promotion.key` (a hash of the source
 * account, region, model and version); a promotion that finds it registers nothing new. Resumable:
 * the files land under a destination named by that key, and the target reports which are present
 * with the right size already, so a re-run after an interruption copies only what is missing and
 * then registers. Each registry signs the URLs with its own role, so the client needs no access to
 * either bucket, only a token for each API.
 */
import { createHash } from 'node:crypto';
import { CliError } from '../cli-error.ts';

export interface RegistryEndpoint {
  /** Base URL of the kit's HTTP API (e.g. `http://127.0.0.1:5000`). */
  readonly url: string;
  /** Bearer token for the API; omitted when the API needs none (a local platform). */
  readonly token?: string;
}

export interface PromoteOptions {
  readonly from: RegistryEndpoint;
  readonly to: RegistryEndpoint;
  readonly model: string;
  readonly version: string;
  /** Alias to point at the new version in the target (its approval rules apply). */
  readonly alias?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
}

export interface PromotionResult {
  readonly targetVersion: string;
  readonly destination?: string;
  readonly copiedFiles: number;
  readonly skippedFiles: number;
  readonly copiedBytes: number;
  /** The target had the version already (an earlier, completed promotion). */
  readonly alreadyPromoted: boolean;
  readonly alias?: string;
}

export const PROMOTION_KEY_TAG = 'mlops.promotion.key';

interface ExportedVersion {
  model_version: {
    name: string;
    version: string;
    description?: string;
    run_id?: string;
    tags?: { key: string; value: string }[];
  };
  lineage: {
    trainingSets?: { table: string; version?: number }[];
    sourceTables?: { table: string; version?: number }[];
    featureService?: { name: string; version?: number };
    featureViews?: { name: string; version?: number }[];
    gitSha?: string;
  };
  origin: { account: string | null; region: string | null; stage: string | null };
  files: { path: string; size: number; url: string }[];
}

interface ImportSlot {
  path: string;
  size: number;
  present: boolean;
  url?: string;
  multipart?: { upload_id: string; part_size: number; part_urls: string[] };
}

const ref = (r: { table?: string; name?: string; version?: number }) =>
  `${r.table ?? r.name}${r.version === undefined ? '' : `@${r.version}`}`;

/** Promotes one model version; see the module comment for the protocol. */
export async function promoteModelVersion(options: PromoteOptions): Promise<PromotionResult> {
  const http = options.fetch ?? fetch;
  const log = options.log ?? (() => undefined);
  const call = async <T>(
    side: 'source' | 'target',
    method: string,
    path: string,
    fields: Record<string, unknown>,
  ) => {
    const endpoint = side === 'source' ? options.from : options.to;
    const url = new URL(path, endpoint.url);
    if (method === 'GET')
      for (const [key, value] of Object.entries(fields)) url.searchParams.append(key, String(value));
    const response = await http(url, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : {}),
      },
      ...(method === 'GET' ? {} : { body: JSON.stringify(fields) }),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    return { status: response.status, body: body as T & { error_code?: string; message?: string } };
  };
  const expect = <T>(
    side: string,
    what: string,
    result: { status: number; body: T & { error_code?: string; message?: string } },
  ) => {
    if (result.status !== 200) {
      throw new CliError(
        `${side} registry refused ${what}: ${result.body.error_code ?? result.status} ${result.body.message ?? ''}`.trim(),
      );
    }
    return result.body;
  };

  const exported = expect(
    'source',
    `the export of ${options.model} version ${options.version}`,
    await call<ExportedVersion>('source', 'GET', '/api/2.0/mlops/registry/export', {
      name: options.model,
      version: options.version,
    }),
  );
  const origin = exported.origin;
  const key = `v${exported.model_version.version}-${createHash('sha256')
    .update(
      JSON.stringify([
        origin.account,
        origin.region,
        origin.stage,
        options.model,
        exported.model_version.version,
      ]),
    )
    .digest('hex')
    .slice(0, 16)}`;

  const existing = expect(
    'target',
    'the search for an earlier promotion',
    await call<{ model_versions?: { version: string }[] }>(
      'target',
      'GET',
      '/api/2.0/mlflow/model-versions/search',
      {
        filter: `name = '${quote(options.model)}' AND tags.\`${PROMOTION_KEY_TAG}\` = '${key}'`,
        max_results: 1,
      },
    ),
  ).model_versions?.[0];
  if (existing) {
    log(
      `${options.model} version ${options.version} is in the target already as version ${existing.version}`,
    );
    await setAlias(existing.version);
    return {
      targetVersion: existing.version,
      copiedFiles: 0,
      skippedFiles: 0,
      copiedBytes: 0,
      alreadyPromoted: true,
      ...(options.alias ? { alias: options.alias } : {}),
    };
  }

  const slots = expect(
    'target',
    'the artifact import',
    await call<{ destination: string; files: ImportSlot[] }>(
      'target',
      'POST',
      '/api/2.0/mlops/registry/import',
      {
        name: options.model,
        promotion_key: key,
        files: exported.files.map(({ path, size }) => ({ path, size })),
      },
    ),
  );
  let copiedFiles = 0;
  let copiedBytes = 0;
  for (const slot of slots.files) {
    if (slot.present) continue;
    const file = exported.files.find((candidate) => candidate.path === slot.path);
    if (!file) throw new CliError(`target asked for ${slot.path}, which the source did not list`);
    if (slot.multipart) {
      // Part by part: a ranged GET from the source, a part PUT to the target, its ETag kept.
      const { part_size: partSize, part_urls: partUrls, upload_id: uploadId } = slot.multipart;
      const etags: string[] = [];
      for (const [index, partUrl] of partUrls.entries()) {
        const start = index * partSize;
        const end = Math.min(file.size, start + partSize) - 1;
        const bytes = await download(file, { range: `bytes=${start}-${end}` });
        const upload = await http(partUrl, { method: 'PUT', body: bytes });
        if (!upload.ok)
          throw new CliError(`uploading part ${index + 1} of ${file.path} failed: HTTP ${upload.status}`);
        etags.push(upload.headers.get('etag') ?? '');
        copiedBytes += bytes.length;
      }
      expect(
        'target',
        `completing the upload of ${file.path}`,
        await call('target', 'POST', '/api/2.0/mlops/registry/import/complete', {
          name: options.model,
          promotion_key: key,
          path: file.path,
          upload_id: uploadId,
          etags,
        }),
      );
    } else if (slot.url) {
      const bytes = await download(file);
      const upload = await http(slot.url, { method: 'PUT', body: bytes });
      if (!upload.ok)
        throw new CliError(`uploading ${file.path} to the target failed: HTTP ${upload.status}`);
      copiedBytes += bytes.length;
    }
    copiedFiles += 1;
    log(`copied ${file.path} (${file.size} bytes)`);
  }
  const skippedFiles = slots.files.length - copiedFiles;
  if (skippedFiles > 0) log(`${skippedFiles} files were in the target already`);

  const created = await call('target', 'POST', '/api/2.0/mlflow/registered-models/create', {
    name: options.model,
  });
  if (created.status !== 200 && created.body.error_code !== 'RESOURCE_ALREADY_EXISTS') {
    expect('target', `the creation of model ${options.model}`, created);
  }
  const lineage = exported.lineage;
  const sourceTags = Object.fromEntries(
    (exported.model_version.tags ?? []).map((tag) => [tag.key, tag.value]),
  );
  const tags: Record<string, string> = {
    ...sourceTags,
    ...(lineage.trainingSets?.length
      ? { 'mlops.lineage.training_set': lineage.trainingSets.map(ref).join(',') }
      : {}),
    ...(lineage.sourceTables?.length
      ? { 'mlops.lineage.source_tables': lineage.sourceTables.map(ref).join(',') }
      : {}),
    ...(lineage.featureService ? { 'mlops.lineage.feature_service': ref(lineage.featureService) } : {}),
    ...(lineage.featureViews?.length
      ? { 'mlops.lineage.feature_views': lineage.featureViews.map(ref).join(',') }
      : {}),
    ...(lineage.gitSha ? { 'mlops.git_sha': lineage.gitSha } : {}),
    'mlops.promoted_from': JSON.stringify({
      registry: options.from.url,
      account: origin.account,
      region: origin.region,
      model: options.model,
      version: exported.model_version.version,
      ...(exported.model_version.run_id ? { runId: exported.model_version.run_id } : {}),
    }),
    [PROMOTION_KEY_TAG]: key,
  };
  const version = expect(
    'target',
    'the registration of the version',
    await call<{ model_version: { version: string } }>(
      'target',
      'POST',
      '/api/2.0/mlflow/model-versions/create',
      {
        name: options.model,
        source: slots.destination,
        description: exported.model_version.description ?? '',
        tags: Object.entries(tags).map(([tagKey, value]) => ({ key: tagKey, value })),
      },
    ),
  ).model_version.version;
  log(`registered ${options.model} version ${version} in the target (from version ${options.version})`);
  await setAlias(version);
  return {
    targetVersion: version,
    destination: slots.destination,
    copiedFiles,
    skippedFiles,
    copiedBytes,
    alreadyPromoted: false,
    ...(options.alias ? { alias: options.alias } : {}),
  };

  async function download(file: { path: string; url: string }, headers: Record<string, string> = {}) {
    const response = await http(file.url, { headers });
    if (!response.ok)
      throw new CliError(`downloading ${file.path} from the source failed: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  async function setAlias(version: string): Promise<void> {
    if (!options.alias) return;
    expect(
      'target',
      `moving alias ${options.alias} to version ${version}`,
      await call('target', 'POST', '/api/2.0/mlflow/registered-models/alias', {
        name: options.model,
        alias: options.alias,
        version,
      }),
    );
    log(`alias ${options.alias} → version ${version}`);
  }
}

function quote(text: string): string {
  return text.replaceAll("'", "''");
}
