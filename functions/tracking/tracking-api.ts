/**
 * The MLflow tracking endpoints: each reads its request (zod schemas with MLflow's loose typing),
 * calls the core and answers in MLflow's wire form. Keyed by API Gateway route key.
 */
import { z } from 'zod';
import { InvalidParameterError } from '../../layers/runtime/errors.ts';
import { jsonResponse } from '../../layers/runtime/http/responses.ts';
import type { HttpEvent, HttpResult } from '../../layers/runtime/http/types.ts';
import packageJson from '../../package.json' with { type: 'json' };
import type { ArtifactRepository } from './artifact-repository.ts';
import { artifactPathOf } from './artifact-repository.ts';
import { MAX_SAMPLED_STEPS } from './metric-sampling.ts';
import {
  double,
  int64,
  parseRequest,
  positiveInt,
  protoEnum,
  stringList,
  tagSchema,
  tagsSchema,
} from './mlflow-request.ts';
import {
  experimentToWire,
  LOGGED_MODEL_STATUSES,
  loggedModelToWire,
  metricToWire,
  RUN_STATUSES,
  runInfoToWire,
  runToWire,
  VIEW_TYPES,
} from './model.ts';
import type { TrackingCore } from './tracking-core.ts';

export type Endpoint = (event: HttpEvent) => Promise<HttpResult>;

const ok = (body: unknown = {}) => jsonResponse(body);

const runIdFields = { run_id: z.string().optional(), run_uuid: z.string().optional() };

/** MLflow accepts `run_id` or the older `run_uuid`. */
function runIdOf(request: { run_id?: string | undefined; run_uuid?: string | undefined }): string {
  const runId = request.run_id || request.run_uuid;
  if (!runId) return missing('run_id');
  return runId;
}

function missing(field: string): never {
  throw new InvalidParameterError(`Missing value for required parameter '${field}'.`);
}

const metricSchema = z.object({
  key: z.string(),
  value: double,
  timestamp: int64,
  step: int64.optional(),
});

const searchMaxResults = (limit: number, fallback: number) =>
  positiveInt.refine((n) => n <= limit, `must be at most ${limit}`).default(fallback);

const ExperimentSearchSchema = z.object({
  max_results: searchMaxResults(50_000, 1000),
  page_token: z.string().optional(),
  filter: z.string().optional(),
  order_by: stringList,
  view_type: protoEnum(VIEW_TYPES).default('ACTIVE_ONLY'),
});

const datasetSchema = z.object({
  name: z.string(),
  digest: z.string(),
  source_type: z.string(),
  source: z.string(),
  schema: z.string().optional(),
  profile: z.string().optional(),
});

/** Request schemas, built once (zod compiles each schema on first use). */
const CreateExperimentRequest = z.object({
  name: z.string(),
  artifact_location: z.string().optional(),
  tags: tagsSchema,
});
const GetExperimentRequest = z.object({ experiment_id: z.string() });
const GetExperimentByNameRequest = z.object({ experiment_name: z.string() });
const UpdateExperimentRequest = z.object({ experiment_id: z.string(), new_name: z.string() });
const DeleteExperimentRequest = z.object({ experiment_id: z.string() });
const RestoreExperimentRequest = z.object({ experiment_id: z.string() });
const SetExperimentTagRequest = z.object({ experiment_id: z.string(), key: z.string(), value: z.string() });
const DeleteExperimentTagRequest = z.object({ experiment_id: z.string(), key: z.string() });
const CreateRunRequest = z.object({
  experiment_id: z.string().optional(),
  user_id: z.string().optional(),
  run_name: z.string().optional(),
  start_time: int64.optional(),
  tags: tagsSchema,
});
const GetRunRequest = z.object(runIdFields);
const UpdateRunRequest = z.object({
  ...runIdFields,
  status: protoEnum(RUN_STATUSES).optional(),
  end_time: int64.optional(),
  run_name: z.string().optional(),
});
const DeleteRunRequest = z.object(runIdFields);
const RestoreRunRequest = z.object(runIdFields);
const SearchRunsRequest = z.object({
  experiment_ids: stringList,
  filter: z.string().optional(),
  run_view_type: protoEnum(VIEW_TYPES).default('ACTIVE_ONLY'),
  max_results: searchMaxResults(50_000, 1000),
  order_by: stringList,
  page_token: z.string().optional(),
});
const LogMetricRequest = z.object({ ...runIdFields, ...metricSchema.shape });
const LogParamRequest = z.object({ ...runIdFields, key: z.string(), value: z.string() });
const SetTagRequest = z.object({ ...runIdFields, key: z.string(), value: z.string() });
const DeleteTagRequest = z.object({ ...runIdFields, key: z.string() });
const LogBatchRequest = z.object({
  ...runIdFields,
  metrics: z.array(metricSchema).default([]),
  params: z.array(tagSchema).default([]),
  tags: tagsSchema,
});
const LogInputsRequest = z.object({
  ...runIdFields,
  datasets: z.array(z.object({ tags: z.array(tagSchema).optional(), dataset: datasetSchema })).default([]),
  models: z.array(z.object({ model_id: z.string() })).default([]),
});
const LogOutputsRequest = z.object({
  ...runIdFields,
  models: z.array(z.object({ model_id: z.string(), step: int64.optional() })).default([]),
});
const GetMetricHistoryRequest = z.object({
  ...runIdFields,
  metric_key: z.string(),
  max_results: searchMaxResults(25_000, 25_000),
  page_token: z.string().optional(),
});
const GetMetricHistoryBulkIntervalRequest = z.object({
  run_ids: z.array(z.string()),
  metric_key: z.string(),
  start_step: int64.optional(),
  end_step: int64.optional(),
  max_results: int64.default(MAX_SAMPLED_STEPS),
});
const ListArtifactsRequest = z.object({ ...runIdFields, path: z.string().optional() });
const CreateLoggedModelRequest = z.object({
  experiment_id: z.string(),
  name: z.string().optional(),
  model_type: z.string().optional(),
  source_run_id: z.string().optional(),
  params: z.array(tagSchema).default([]),
  tags: tagsSchema,
});
const SearchLoggedModelsRequest = z.object({
  experiment_ids: stringList,
  filter: z.string().optional(),
  // MLflow's OrderBy message: an unset field_name reads as "" (and is then rejected as unknown).
  order_by: z
    .array(
      z.object({
        field_name: z.string().default(''),
        ascending: z.boolean().default(true),
        dataset_name: z.string().optional(),
        dataset_digest: z.string().optional(),
      }),
    )
    .default([]),
  max_results: searchMaxResults(50_000, 50),
  page_token: z.string().optional(),
});
const FinalizeLoggedModelRequest = z.object({ status: protoEnum(LOGGED_MODEL_STATUSES, 0) });
const SetLoggedModelTagsRequest = z.object({ tags: tagsSchema });
const LogLoggedModelParamsRequest = z.object({ params: z.array(tagSchema).default([]) });
const ListLoggedModelArtifactsRequest = z.object({ artifact_directory_path: z.string().optional() });

/** The tracking endpoints over a core (and, for logged-model listings, the artifact repository). */
export function trackingEndpoints(
  core: TrackingCore,
  artifacts: ArtifactRepository,
): Record<string, Endpoint> {
  return {
    'GET /api/3.0/mlflow/server-info': async () =>
      ok({ store_type: 'DynamoDbStore', workspaces_enabled: false }),

    'GET /version': async () => ({
      statusCode: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: `mlops-kit ${packageJson.version} (MLflow REST API)`,
    }),

    'POST /api/2.0/mlflow/experiments/create': async (event) => {
      const request = parseRequest(event, CreateExperimentRequest);
      const experimentId = await core.createExperiment({
        name: request.name,
        ...(request.artifact_location ? { artifactLocation: request.artifact_location } : {}),
        tags: request.tags,
      });
      return ok({ experiment_id: experimentId });
    },
    'GET /api/2.0/mlflow/experiments/get': async (event) => {
      const request = parseRequest(event, GetExperimentRequest);
      return ok({ experiment: experimentToWire(await core.getExperiment(request.experiment_id)) });
    },
    'GET /api/2.0/mlflow/experiments/get-by-name': async (event) => {
      const request = parseRequest(event, GetExperimentByNameRequest);
      return ok({ experiment: experimentToWire(await core.getExperimentByName(request.experiment_name)) });
    },
    'POST /api/2.0/mlflow/experiments/search': (event) => searchExperiments(core, event),
    'GET /api/2.0/mlflow/experiments/search': (event) => searchExperiments(core, event),
    'POST /api/2.0/mlflow/experiments/update': async (event) => {
      const request = parseRequest(event, UpdateExperimentRequest);
      await core.renameExperiment(request.experiment_id, request.new_name);
      return ok();
    },
    'POST /api/2.0/mlflow/experiments/delete': async (event) => {
      const request = parseRequest(event, DeleteExperimentRequest);
      await core.deleteExperiment(request.experiment_id);
      return ok();
    },
    'POST /api/2.0/mlflow/experiments/restore': async (event) => {
      const request = parseRequest(event, RestoreExperimentRequest);
      await core.restoreExperiment(request.experiment_id);
      return ok();
    },
    'POST /api/2.0/mlflow/experiments/set-experiment-tag': async (event) => {
      const request = parseRequest(event, SetExperimentTagRequest);
      await core.setExperimentTag(request.experiment_id, request.key, request.value);
      return ok();
    },
    'POST /api/2.0/mlflow/experiments/delete-experiment-tag': async (event) => {
      const request = parseRequest(event, DeleteExperimentTagRequest);
      await core.deleteExperimentTag(request.experiment_id, request.key);
      return ok();
    },

    'POST /api/2.0/mlflow/runs/create': async (event) => {
      const request = parseRequest(event, CreateRunRequest);
      const run = await core.createRun({
        ...(request.experiment_id !== undefined ? { experimentId: request.experiment_id } : {}),
        ...(request.user_id !== undefined ? { userId: request.user_id } : {}),
        ...(request.run_name !== undefined ? { runName: request.run_name } : {}),
        ...(request.start_time !== undefined ? { startTime: request.start_time } : {}),
        tags: request.tags,
      });
      return ok({ run: runToWire(run) });
    },
    'GET /api/2.0/mlflow/runs/get': async (event) => {
      const request = parseRequest(event, GetRunRequest);
      return ok({ run: runToWire(await core.getRun(runIdOf(request))) });
    },
    'POST /api/2.0/mlflow/runs/update': async (event) => {
      const request = parseRequest(event, UpdateRunRequest);
      const info = await core.updateRun(runIdOf(request), {
        ...(request.status !== undefined ? { status: request.status } : {}),
        ...(request.end_time !== undefined ? { endTime: request.end_time } : {}),
        ...(request.run_name !== undefined ? { runName: request.run_name } : {}),
      });
      return ok({ run_info: runInfoToWire(info) });
    },
    'POST /api/2.0/mlflow/runs/delete': async (event) => {
      await core.deleteRun(runIdOf(parseRequest(event, DeleteRunRequest)));
      return ok();
    },
    'POST /api/2.0/mlflow/runs/restore': async (event) => {
      await core.restoreRun(runIdOf(parseRequest(event, RestoreRunRequest)));
      return ok();
    },
    'POST /api/2.0/mlflow/runs/search': async (event) => {
      const request = parseRequest(event, SearchRunsRequest, ['experiment_ids', 'order_by']);
      const page = await core.searchRuns(request.experiment_ids, {
        ...(request.filter !== undefined ? { filter: request.filter } : {}),
        orderBy: request.order_by,
        viewType: request.run_view_type,
        maxResults: request.max_results,
        ...(request.page_token !== undefined ? { pageToken: request.page_token } : {}),
      });
      return ok({
        ...(page.items.length ? { runs: page.items.map(runToWire) } : {}),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      });
    },
    'POST /api/2.0/mlflow/runs/log-metric': async (event) => {
      const request = parseRequest(event, LogMetricRequest);
      await core.logMetric(runIdOf(request), {
        key: request.key,
        value: request.value,
        timestamp: request.timestamp,
        step: request.step ?? 0,
      });
      return ok();
    },
    'POST /api/2.0/mlflow/runs/log-parameter': async (event) => {
      const request = parseRequest(event, LogParamRequest);
      await core.logParam(runIdOf(request), { key: request.key, value: request.value });
      return ok();
    },
    'POST /api/2.0/mlflow/runs/set-tag': async (event) => {
      const request = parseRequest(event, SetTagRequest);
      await core.setTag(runIdOf(request), { key: request.key, value: request.value });
      return ok();
    },
    'POST /api/2.0/mlflow/runs/delete-tag': async (event) => {
      const request = parseRequest(event, DeleteTagRequest);
      await core.deleteTag(runIdOf(request), request.key);
      return ok();
    },
    'POST /api/2.0/mlflow/runs/log-batch': async (event) => {
      const request = parseRequest(event, LogBatchRequest);
      await core.logBatch({
        runId: runIdOf(request),
        metrics: request.metrics.map((m) => ({
          key: m.key,
          value: m.value,
          timestamp: m.timestamp,
          step: m.step ?? 0,
        })),
        params: request.params,
        tags: request.tags,
      });
      return ok();
    },
    'POST /api/2.0/mlflow/runs/log-inputs': async (event) => {
      const request = parseRequest(event, LogInputsRequest);
      await core.logInputs(
        runIdOf(request),
        request.datasets.map((input) => ({
          dataset: input.dataset,
          ...(input.tags?.length ? { tags: input.tags } : {}),
        })),
        request.models.map((model) => model.model_id),
      );
      return ok();
    },
    'POST /api/2.0/mlflow/runs/outputs': async (event) => {
      const request = parseRequest(event, LogOutputsRequest);
      await core.logOutputs(
        runIdOf(request),
        request.models.map((model) => ({ modelId: model.model_id, step: model.step ?? 0 })),
      );
      return ok();
    },
    'GET /api/2.0/mlflow/metrics/get-history': async (event) => {
      const request = parseRequest(event, GetMetricHistoryRequest);
      const page = await core.getMetricHistory(
        runIdOf(request),
        request.metric_key,
        request.max_results,
        request.page_token,
      );
      return ok({
        ...(page.items.length ? { metrics: page.items.map(metricToWire) } : {}),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      });
    },
    'GET /api/2.0/mlflow/metrics/get-history-bulk-interval': async (event) => {
      const request = parseRequest(event, GetMetricHistoryBulkIntervalRequest, ['run_ids']);
      const points = await core.getMetricHistoryBulkInterval({
        runIds: request.run_ids,
        key: request.metric_key,
        ...(request.start_step !== undefined ? { startStep: request.start_step } : {}),
        ...(request.end_step !== undefined ? { endStep: request.end_step } : {}),
        maxResults: request.max_results,
      });
      return ok(
        points.length
          ? { metrics: points.map(({ runId, metric }) => ({ ...metricToWire(metric), run_id: runId })) }
          : {},
      );
    },
    'GET /api/2.0/mlflow/artifacts/list': async (event) => {
      const request = parseRequest(event, ListArtifactsRequest);
      const run = await core.getRun(runIdOf(request));
      return ok({ root_uri: run.info.artifactUri });
    },

    'POST /api/2.0/mlflow/logged-models': async (event) => {
      const request = parseRequest(event, CreateLoggedModelRequest);
      const model = await core.createLoggedModel({
        experimentId: request.experiment_id,
        ...(request.name !== undefined ? { name: request.name } : {}),
        ...(request.model_type !== undefined ? { modelType: request.model_type } : {}),
        ...(request.source_run_id ? { sourceRunId: request.source_run_id } : {}),
        tags: request.tags,
        params: request.params,
      });
      return ok({ model: loggedModelToWire(model) });
    },
    'POST /api/2.0/mlflow/logged-models/search': async (event) => {
      const request = parseRequest(event, SearchLoggedModelsRequest, ['experiment_ids']);
      const page = await core.searchLoggedModels(request.experiment_ids, {
        ...(request.filter !== undefined ? { filter: request.filter } : {}),
        orderBy: request.order_by.map((order) => ({
          fieldName: order.field_name,
          ascending: order.ascending,
          ...(order.dataset_name ? { datasetName: order.dataset_name } : {}),
          ...(order.dataset_digest ? { datasetDigest: order.dataset_digest } : {}),
        })),
        maxResults: request.max_results,
        ...(request.page_token !== undefined ? { pageToken: request.page_token } : {}),
      });
      return ok({
        ...(page.items.length ? { models: page.items.map(loggedModelToWire) } : {}),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      });
    },
    'GET /api/2.0/mlflow/logged-models/{model_id}': async (event) => {
      return ok({ model: loggedModelToWire(await core.getLoggedModel(pathParameter(event, 'model_id'))) });
    },
    'PATCH /api/2.0/mlflow/logged-models/{model_id}': async (event) => {
      const request = parseRequest(event, FinalizeLoggedModelRequest);
      const model = await core.finalizeLoggedModel(pathParameter(event, 'model_id'), request.status);
      return ok({ model: loggedModelToWire(model) });
    },
    'DELETE /api/2.0/mlflow/logged-models/{model_id}': async (event) => {
      await core.deleteLoggedModel(pathParameter(event, 'model_id'));
      return ok();
    },
    'PATCH /api/2.0/mlflow/logged-models/{model_id}/tags': async (event) => {
      const request = parseRequest(event, SetLoggedModelTagsRequest);
      const model = await core.setLoggedModelTags(pathParameter(event, 'model_id'), request.tags);
      return ok({ model: loggedModelToWire(model) });
    },
    'DELETE /api/2.0/mlflow/logged-models/{model_id}/tags/{tag_key}': async (event) => {
      await core.deleteLoggedModelTag(pathParameter(event, 'model_id'), pathParameter(event, 'tag_key'));
      return ok();
    },
    'POST /api/2.0/mlflow/logged-models/{model_id}/params': async (event) => {
      const request = parseRequest(event, LogLoggedModelParamsRequest);
      await core.logLoggedModelParams(pathParameter(event, 'model_id'), request.params);
      return ok();
    },
    'GET /api/2.0/mlflow/logged-models/{model_id}/artifacts/directories': async (event) => {
      const request = parseRequest(event, ListLoggedModelArtifactsRequest);
      const model = await core.getLoggedModel(pathParameter(event, 'model_id'));
      const root = artifactPathOf(model.artifactUri);
      const dir = [root, request.artifact_directory_path].filter(Boolean).join('/');
      const files = await artifacts.list(dir);
      return ok({ root_uri: model.artifactUri, ...(files.length ? { files } : {}) });
    },
  };
}

async function searchExperiments(core: TrackingCore, event: HttpEvent): Promise<HttpResult> {
  const request = parseRequest(event, ExperimentSearchSchema, ['order_by']);
  const page = await core.searchExperiments({
    ...(request.filter !== undefined ? { filter: request.filter } : {}),
    orderBy: request.order_by,
    viewType: request.view_type,
    maxResults: request.max_results,
    ...(request.page_token !== undefined ? { pageToken: request.page_token } : {}),
  });
  return ok({
    ...(page.items.length ? { experiments: page.items.map(experimentToWire) } : {}),
    ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
  });
}

function pathParameter(event: HttpEvent, name: string): string {
  return event.pathParameters?.[name] ?? '';
}
