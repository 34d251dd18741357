/**
 * The registry function: MLflow's model registry API plus lineage and audit reads. Thin adapter:
 * reads and validates the request, calls the core with the caller's principal, answers MLflow JSON.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { lakehouseContext, openTable } from '../../layers/lakehouse/index.ts';
import {
  createDocumentClient,
  createDynamoDbClient,
  createS3Client,
} from '../../layers/runtime/aws-clients.ts';
import { type Env, loadRuntimeConfig, requireBucket, requireTable } from '../../layers/runtime/config.ts';
import { ConfigurationError } from '../../layers/runtime/errors.ts';
import { createEventPublisher, type EventPublisher } from '../../layers/runtime/events.ts';
import { principalOf } from '../../layers/runtime/http/request.ts';
import { jsonResponse } from '../../layers/runtime/http/responses.ts';
import { httpFunction, lazyHandler, type RouteHandler } from '../../layers/runtime/http/router.ts';
import type { HttpHandler } from '../../layers/runtime/http/types.ts';
import { createTrackingStore } from '../tracking/run-lookup.ts';
import { DEFAULT_PROTECTED_ALIASES } from './approval-rules.ts';
import { ArtifactTransfer } from './artifact-transfer.ts';
import { DynamoDbAuditLog } from './audit-log.ts';
import { ChangeRecorder } from './change-recorder.ts';
import { DeltaAuditExporter } from './delta-audit-exporter.ts';
import { DynamoDbRegistryStore } from './dynamodb-registry-store.ts';
import type { RunLookup } from './lineage.ts';
import { LineageService, type TableSourceLookup } from './lineage-service.ts';
import { ModelService } from './model-service.ts';
import type { RegistryStore } from './registry-store.ts';
import type { Stage } from './registry-types.ts';
import * as S from './request-schemas.ts';
import { readFields } from './request-schemas.ts';
import { TrackingRunLookup } from './tracking-run-lookup.ts';
import { TrainingSetManifests } from './training-set-manifests.ts';
import { checkModelName, parseStage } from './validation.ts';
import { VersionService } from './version-service.ts';
import { wireAudit, wireModel, wireVersion } from './wire-format.ts';

const RegistryEnvSchema = z.object({
  MLOPS_PROTECTED_ALIASES: z.string().optional(),
  MLOPS_EVENT_BUS_NAME: z.string().optional(),
  /** Where the audit trail's Delta table lives. @default s3://<lakehouse bucket>/registry/audit */
  MLOPS_REGISTRY_AUDIT_TABLE_URI: z.string().optional(),
});

/** Everything the registry's routes need; tests and the CLI build it with their own parts. */
export interface RegistryDeps {
  readonly store: RegistryStore;
  readonly auditLog: DynamoDbAuditLog;
  /** Moves audit records to the Delta table after each change. @default none */
  readonly auditExporter?: { flush(): Promise<unknown> };
  readonly events: EventPublisher;
  readonly runs?: RunLookup;
  readonly tableSources?: TableSourceLookup;
  readonly protectedAliases?: readonly string[];
  readonly clock?: () => number;
  /** The artifacts bucket, for promotion exports and imports. */
  readonly artifacts?: ArtifactTransfer;
  /** Where this registry runs, reported to promoting clients. */
  readonly origin?: { readonly region: string; readonly stage: string };
}

/** Builds the registry function from an environment map (Lambda's, or the local platform's). */
export function createHandler(env: Env): HttpHandler {
  return createRegistryHandler(registryDepsFromEnv(env));
}

/** The registry's dependencies from an environment map; pipelines use them to act as the registry does. */
export function registryDepsFromEnv(env: Env): RegistryDeps {
  const config = loadRuntimeConfig(env);
  const settings = RegistryEnvSchema.safeParse(env);
  if (!settings.success) throw new ConfigurationError('invalid registry settings');
  const table = requireTable(config, 'registry');
  const db = createDocumentClient(createDynamoDbClient(config));
  const protectedAliases = settings.data.MLOPS_PROTECTED_ALIASES?.split(',')
    .map((alias) => alias.trim())
    .filter(Boolean);
  const lakehouseBucket = config.buckets.lakehouse;
  // Lakehouse tables anywhere in the bucket, so that training sets' manifests can be read too.
  const lake = lakehouseBucket && config.tables.deltaLog ? lakehouseContext(config) : undefined;
  const auditUri =
    settings.data.MLOPS_REGISTRY_AUDIT_TABLE_URI ??
    (lakehouseBucket ? `s3://${lakehouseBucket}/registry/audit` : undefined);
  const auditLog = new DynamoDbAuditLog(db, table, {
    markForExport: auditUri !== undefined && lake !== undefined,
  });
  return {
    store: new DynamoDbRegistryStore(db, table),
    auditLog,
    ...(auditUri && lake
      ? {
          auditExporter: new DeltaAuditExporter({
            db,
            table,
            auditLog,
            delta: openTable(lake, auditUri),
            owner: randomUUID(),
          }),
          tableSources: new TrainingSetManifests(lake),
        }
      : {}),
    ...(config.tables.tracking ? { runs: new TrackingRunLookup(createTrackingStore(config)) } : {}),
    events: createEventPublisher(config, settings.data.MLOPS_EVENT_BUS_NAME),
    artifacts: new ArtifactTransfer(createS3Client(config), requireBucket(config, 'artifacts')),
    origin: { region: config.region, stage: config.stage },
    ...(protectedAliases ? { protectedAliases } : {}),
  };
}

export const handler = lazyHandler(() => createHandler(process.env));

/** The registry's services over explicit dependencies: what its routes call, and what pipelines call. */
export function registryServices(deps: RegistryDeps): {
  readonly models: ModelService;
  readonly versions: VersionService;
  readonly lineage: LineageService;
} {
  const clock = deps.clock ?? Date.now;
  const recorder = new ChangeRecorder({
    audit: deps.auditLog,
    ...(deps.auditExporter ? { exporter: deps.auditExporter } : {}),
    events: deps.events,
    clock,
    newId: randomUUID,
  });
  const models = new ModelService({
    store: deps.store,
    recorder,
    clock,
    protectedAliases: deps.protectedAliases ?? DEFAULT_PROTECTED_ALIASES,
  });
  const versions = new VersionService({
    store: deps.store,
    recorder,
    clock,
    models,
    ...(deps.runs ? { runs: deps.runs } : {}),
  });
  const lineage = new LineageService({
    versions,
    ...(deps.runs ? { runs: deps.runs } : {}),
    ...(deps.tableSources ? { tableSources: deps.tableSources } : {}),
  });
  return { models, versions, lineage };
}

/** The registry's routes over explicit dependencies. */
export function createRegistryHandler(deps: RegistryDeps): HttpHandler {
  const { models, versions, lineage } = registryServices(deps);
  const ok = (body: unknown = {}) => Promise.resolve(jsonResponse(body));
  const actor = principalOf;
  const R = '/api/2.0/mlflow/registered-models';
  const V = '/api/2.0/mlflow/model-versions';

  const latestVersions: RouteHandler = async (event) => {
    const input = readFields(event, S.LatestVersionsSchema);
    const stages: Stage[] = input.stages.map(parseStage);
    const found = await models.latestVersions(input.name, stages);
    return jsonResponse({
      model_versions: found.versions.map((version) =>
        wireVersion(version, aliasesFor(found.model.aliases, version.version)),
      ),
    });
  };

  const routes: Record<string, RouteHandler> = {
    [`POST ${R}/create`]: async (event) => {
      const input = readFields(event, S.CreateModelSchema);
      const model = await models.create(actor(event), {
        name: input.name,
        tags: input.tags,
        ...(input.description === undefined ? {} : { description: input.description }),
      });
      return ok({ registered_model: wireModel(model) });
    },
    [`GET ${R}/get`]: async (event) => {
      const found = await models.get(readFields(event, S.NameSchema).name);
      return ok({ registered_model: wireModel(found.model, found.versions) });
    },
    [`GET ${R}/search`]: async (event) => {
      const input = readFields(event, S.SearchSchema);
      const page = await models.search({
        ...(input.filter === undefined ? {} : { filter: input.filter }),
        maxResults: input.max_results ?? 100,
        orderBy: input.order_by,
        ...(input.page_token === undefined ? {} : { pageToken: input.page_token }),
      });
      return ok({
        ...(page.items.length > 0
          ? { registered_models: page.items.map((item) => wireModel(item.model, item.versions)) }
          : {}),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      });
    },
    [`PATCH ${R}/update`]: async (event) => {
      const input = readFields(event, S.UpdateModelSchema);
      await models.update(actor(event), input.name, input.description);
      const found = await models.get(input.name);
      return ok({ registered_model: wireModel(found.model, found.versions) });
    },
    [`POST ${R}/rename`]: async (event) => {
      const input = readFields(event, S.RenameSchema);
      await models.rename(actor(event), input.name, input.new_name);
      const found = await models.get(input.new_name);
      return ok({ registered_model: wireModel(found.model, found.versions) });
    },
    [`DELETE ${R}/delete`]: async (event) => {
      await models.delete(actor(event), readFields(event, S.NameSchema).name);
      return ok();
    },
    [`POST ${R}/set-tag`]: async (event) => {
      const input = readFields(event, S.ModelTagSchema);
      await models.setTag(actor(event), input.name, input.key, input.value);
      return ok();
    },
    [`DELETE ${R}/delete-tag`]: async (event) => {
      const input = readFields(event, S.ModelTagKeySchema);
      await models.deleteTag(actor(event), input.name, input.key);
      return ok();
    },
    [`POST ${R}/alias`]: async (event) => {
      const input = readFields(event, S.SetAliasSchema);
      await models.setAlias(actor(event), input.name, input.alias, input.version);
      return ok();
    },
    [`DELETE ${R}/alias`]: async (event) => {
      const input = readFields(event, S.AliasSchema);
      await models.deleteAlias(actor(event), input.name, input.alias);
      return ok();
    },
    [`GET ${R}/alias`]: async (event) => {
      const input = readFields(event, S.AliasSchema);
      const found = await models.versionByAlias(input.name, input.alias);
      return ok({
        model_version: wireVersion(found.version, aliasesFor(found.model.aliases, found.version.version)),
      });
    },
    [`POST ${R}/get-latest-versions`]: latestVersions,
    [`GET ${R}/get-latest-versions`]: latestVersions,
    [`POST ${V}/create`]: async (event) => {
      const input = readFields(event, S.CreateVersionSchema);
      const version = await versions.create(actor(event), {
        name: input.name,
        source: input.source,
        tags: input.tags,
        ...(input.run_id ? { runId: input.run_id } : {}),
        ...(input.run_link ? { runLink: input.run_link } : {}),
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.model_id ? { modelId: input.model_id } : {}),
      });
      return ok({ model_version: wireVersion(version) });
    },
    [`GET ${V}/get`]: async (event) => {
      const input = readFields(event, S.VersionSchema);
      const found = await versions.get(input.name, input.version);
      return ok({ model_version: wireVersion(found.version, found.aliases) });
    },
    [`GET ${V}/search`]: async (event) => {
      const input = readFields(event, S.SearchSchema);
      const page = await versions.search({
        ...(input.filter === undefined ? {} : { filter: input.filter }),
        maxResults: input.max_results ?? 10_000,
        orderBy: input.order_by,
        ...(input.page_token === undefined ? {} : { pageToken: input.page_token }),
      });
      return ok({
        ...(page.items.length > 0
          ? { model_versions: page.items.map((item) => wireVersion(item.version, item.aliases)) }
          : {}),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      });
    },
    [`PATCH ${V}/update`]: async (event) => {
      const input = readFields(event, S.UpdateVersionSchema);
      const found = await versions.update(actor(event), input.name, input.version, input.description);
      return ok({ model_version: wireVersion(found.version, found.aliases) });
    },
    [`DELETE ${V}/delete`]: async (event) => {
      const input = readFields(event, S.VersionSchema);
      await versions.delete(actor(event), input.name, input.version);
      return ok();
    },
    [`POST ${V}/set-tag`]: async (event) => {
      const input = readFields(event, S.VersionTagSchema);
      await versions.setTag(actor(event), input.name, input.version, input.key, input.value);
      return ok();
    },
    [`DELETE ${V}/delete-tag`]: async (event) => {
      const input = readFields(event, S.VersionTagKeySchema);
      await versions.deleteTag(actor(event), input.name, input.version, input.key);
      return ok();
    },
    [`POST ${V}/transition-stage`]: async (event) => {
      const input = readFields(event, S.TransitionSchema);
      const stage = parseStage(input.stage);
      const found = await versions.transition(
        actor(event),
        input.name,
        input.version,
        stage,
        input.archive_existing_versions ?? false,
      );
      return ok({ model_version: wireVersion(found.version, found.aliases) });
    },
    [`GET ${V}/get-download-uri`]: async (event) => {
      const input = readFields(event, S.VersionSchema);
      return ok({ artifact_uri: await versions.downloadUri(input.name, input.version) });
    },
    'GET /api/2.0/mlops/lineage': async (event) => {
      const input = readFields(event, S.LineageQuerySchema);
      return ok(
        await lineage.lineage({
          ...(input.name === undefined ? {} : { name: input.name }),
          ...(input.version === undefined ? {} : { version: input.version }),
          ...(input.model_version === undefined ? {} : { modelVersion: input.model_version }),
        }),
      );
    },
    'GET /api/2.0/mlops/audit': async (event) => {
      const input = readFields(event, S.AuditQuerySchema);
      const page = await deps.auditLog.list(input.name, input.max_results ?? 1000, input.page_token);
      return ok({
        records: page.records.map(wireAudit),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      });
    },
  };
  const artifacts = (): ArtifactTransfer => {
    if (!deps.artifacts) throw new ConfigurationError('the registry has no artifacts bucket configured');
    return deps.artifacts;
  };
  routes['GET /api/2.0/mlops/registry/export'] = async (event, context) => {
    const input = readFields(event, S.VersionSchema);
    const found = await versions.get(input.name, input.version);
    return ok({
      model_version: wireVersion(found.version, found.aliases),
      lineage: found.version.lineage,
      origin: {
        // The account is the one the function runs in (its ARN's fifth field).
        account: context.invokedFunctionArn?.split(':')[4] ?? null,
        region: deps.origin?.region ?? null,
        stage: deps.origin?.stage ?? null,
      },
      files: await artifacts().exportFiles(await versions.downloadUri(input.name, input.version)),
    });
  };
  routes['POST /api/2.0/mlops/registry/import'] = async (event) => {
    const input = readFields(event, S.ImportSchema);
    const slots = await artifacts().importSlots(checkModelName(input.name), input.promotion_key, input.files);
    return ok(slots);
  };
  routes['POST /api/2.0/mlops/registry/import/complete'] = async (event) => {
    const input = readFields(event, S.CompleteImportSchema);
    await artifacts().completeUpload(
      checkModelName(input.name),
      input.promotion_key,
      input.path,
      input.upload_id,
      input.etags,
    );
    return ok();
  };
  return httpFunction(routes);
}

function aliasesFor(aliases: Readonly<Record<string, number>>, version: number): string[] {
  return Object.entries(aliases)
    .filter(([, target]) => target === version)
    .map(([alias]) => alias)
    .sort();
}
