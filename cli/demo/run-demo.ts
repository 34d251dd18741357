/**
 * `npm run demo`: the whole lifecycle on a fresh local platform, through the same pipelines, HTTP
 * API and SDK clients that users and CI use:
 *
 *   dataset → lakehouse tables → feature definitions → materialization → training ×2 → promotion
 *   under the approval rule → deployment → batch inference → online scoring by entity key → SQL
 *   over the predictions → lineage of one prediction → monitoring of the served traffic
 *
 * Every number in the report is read back from the platform during the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHandler as createMonitorHandler } from '../../functions/monitoring/handler.ts';
import { localIntegrations } from '../../infra/local/integrations.ts';
import { runPipelineLocally } from '../../infra/local/pipeline-runner.ts';
import { type LocalPlatform, startLocalPlatform } from '../../infra/local/platform.ts';
import { PIPELINES } from '../../infra/platform/pipelines.ts';
import { DynamoDbFeatureRegistryStore } from '../../layers/features/registry-store.ts';
import { buildTrainingSet } from '../../layers/features/training-set.ts';
import {
  append,
  createTable,
  DynamoDbCatalogStore,
  databaseForStage,
  type LakehouseClients,
  lakehouseContext,
  openTable,
  runLocalQuery,
} from '../../layers/lakehouse/index.ts';
import { type ExecutionRecord, progressLine } from '../../layers/pipelines/execution.ts';
import { ExecutionHistoryStore } from '../../layers/pipelines/history-store.ts';
import { createDocumentClient, createDynamoDbClient } from '../../layers/runtime/aws-clients.ts';
import { requireTable } from '../../layers/runtime/config.ts';
import { generateChurnData } from './churn-data.ts';
import { applyChurnFeatures, churnTables, loadChurnTables } from './churn-platform.ts';
import { DemoRunner } from './steps.ts';

export interface DemoOptions {
  /** Keep the data dir afterwards (its path is printed). @default false */
  readonly keep?: boolean;
  /** Customers in the generated dataset. @default 3000 */
  readonly customers?: number;
  readonly write?: (line: string) => void;
}

export interface DemoReport {
  readonly dataDir: string;
  readonly seconds: number;
  readonly rows: { readonly customers: number; readonly activity: number; readonly labels: number };
  readonly versions: readonly { readonly version: number; readonly auc: number; readonly outcome: string }[];
  readonly champion: number;
  readonly endpoint: string;
  readonly predictions: { readonly table: string; readonly rows: number; readonly queryAs: string };
  readonly online: readonly {
    readonly customer: string;
    readonly prediction: number;
    readonly batch: number | null;
  }[];
  readonly highRisk: number;
  readonly drift: { readonly columns: readonly string[]; readonly report: string; readonly outcome: string };
}

interface Lineage {
  readonly run: { readonly run_id: string; readonly status?: string } | null;
  readonly training_sets: readonly { readonly table: string; readonly version?: number }[];
  readonly source_tables: readonly { readonly table: string; readonly version?: number }[];
  readonly feature_service: { readonly name: string; readonly version?: number } | null;
}

const MODEL = 'churn';
const ROOT = 's3://mlops-lakehouse/demo';
const APPROVAL_RULE = 'metrics.auc >= 0.7 AND metrics.auc >= holder';

export async function runDemo(
  options: DemoOptions = {},
): Promise<{ runner: DemoRunner; report: DemoReport }> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = performance.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'mlops-demo-'));
  const demo = new DemoRunner(write);
  const platform = await demo.step('start the local platform', async () => {
    const value = await startLocalPlatform({ dataDir, port: 0 });
    return {
      value,
      summary: `API ${value.url}, ${value.created.tables.length} tables and ${value.created.buckets.length} buckets`,
    };
  });
  const lake = lakehouseContext(platform.config);
  const documents = createDocumentClient(createDynamoDbClient(platform.config));
  const history = new ExecutionHistoryStore(documents, requireTable(platform.config, 'platform'));
  const features = new DynamoDbFeatureRegistryStore(
    documents,
    requireTable(platform.config, 'featureRegistry'),
  );
  const catalog = new DynamoDbCatalogStore(lake.dynamodb, requireTable(platform.config, 'platform'));
  // SQL as an analyst runs it: over the catalog as it is now (the pipelines register their tables).
  const query = async (sql: string) => runLocalQuery(lake as LakehouseClients, await catalog.list(), sql);
  const tables = churnTables(ROOT);
  // Twelve months of history up to the end of last month, so that today's online features are fresh.
  const today = new Date();
  const start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 12, 1));
  try {
    const data = await demo.step('generate the churn dataset', async () => {
      const value = generateChurnData({ customers: options.customers ?? 3000, start });
      const late = value.activity.filter(
        (a) => a.created_time.getTime() - a.event_time.getTime() > 2 * 86_400_000,
      );
      return {
        value,
        summary: `${value.customers.length} customer rows, ${value.activity.length} activity rows (${late.length} late or restated), ${value.labels.length} labels`,
      };
    });

    await demo.step('ingest into lakehouse tables', async () => {
      const loaded = await loadChurnTables(lake, data, tables);
      return {
        value: loaded,
        summary: `${tables.activity} in ${loaded.activity.commits} commits (rows in arrival order), customers and labels in one each`,
      };
    });

    await demo.step('apply the feature definitions', async () => {
      const applied = await applyChurnFeatures(features, tables);
      return {
        value: applied,
        summary: `${applied.created} definitions stored (views activity, profile; service churn)`,
      };
    });

    await demo.step('materialize the online store', async () => {
      const record = await pipeline(platform, history, 'materialization', {}, write);
      const views = (record.output as { views: { rowsRead: number; rowsWritten: number }[] }).views;
      const rows = views.reduce((sum, view) => sum + view.rowsWritten, 0);
      return {
        value: record,
        summary: `${views.length} feature views, ${rows} entity rows written to the online store`,
      };
    });

    // Train on observation points before the drift; later months are what the model will score.
    const cutoff = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + data.driftFromMonth, 1));
    const trainingLabels = `${ROOT}/training_labels`;
    await demo.step('select the training labels', async () => {
      const rows = data.labels.filter((label) => label.event_time < cutoff);
      const table = openTable(lake, trainingLabels);
      await createTable(table, {
        columns: [
          { name: 'customer_id', type: 'string', nullable: false },
          { name: 'event_time', type: 'timestamp', nullable: false },
          { name: 'churned', type: 'integer', nullable: false },
        ],
      });
      await append(table, rows as unknown as Record<string, unknown>[]);
      return {
        value: rows.length,
        summary: `${rows.length} labels observed before ${cutoff.toISOString().slice(0, 10)}`,
      };
    });

    const api = apiClient(platform.url);
    await api('POST', '/api/2.0/mlflow/registered-models/create', {
      name: MODEL,
      description: 'Customer churn within 30 days',
      tags: [{ key: 'mlops.approval.rule', value: APPROVAL_RULE }],
    });
    const versions: { version: number; auc: number; outcome: string }[] = [];
    const trainVersion = async (name: string, hyperParameters: Record<string, number | string>) =>
      demo.step(name, async () => {
        const record = await pipeline(
          platform,
          history,
          'training',
          {
            model: MODEL,
            featureService: 'churn',
            entities: trainingLabels,
            label: 'churned',
            timestampColumn: 'event_time',
            hyperParameters,
          },
          write,
        );
        const output = record.output as {
          version: number;
          metrics: { auc: number };
          outcome: string;
          reason: string;
        };
        versions.push({ version: output.version, auc: output.metrics.auc, outcome: output.outcome });
        return {
          value: output,
          summary: `version ${output.version}: holdout AUC ${output.metrics.auc.toFixed(4)}; ${output.outcome === 'promoted' ? 'challenger' : 'kept'} — ${output.reason}`,
        };
      });
    const first = await trainVersion('train version 1 (3 boosting rounds)', {
      num_round: 3,
      max_depth: 1,
      eta: 0.3,
    });
    await demo.step('make version 1 the champion', async () => {
      await api('POST', '/api/2.0/mlflow/registered-models/alias', {
        name: MODEL,
        alias: 'champion',
        version: String(first.version),
      });
      return {
        value: undefined,
        summary: `champion → ${first.version} (rule '${APPROVAL_RULE}' holds: no holder yet)`,
      };
    });
    const second = await trainVersion('train version 2 (50 boosting rounds)', {
      num_round: 50,
      max_depth: 1,
      eta: 0.1,
    });
    await demo.step('promote the challenger to champion under the approval rule', async () => {
      if (second.outcome !== 'promoted')
        throw new Error(`version ${second.version} is not the challenger: ${second.reason}`);
      await api('POST', '/api/2.0/mlflow/registered-models/alias', {
        name: MODEL,
        alias: 'champion',
        version: String(second.version),
      });
      const audit = (await api('GET', `/api/2.0/mlops/audit?name=${MODEL}`)) as {
        records: { action: string }[];
      };
      return {
        value: undefined,
        summary: `champion → ${second.version} (AUC ${second.metrics.auc.toFixed(4)} ≥ holder ${first.metrics.auc.toFixed(4)}); ${audit.records.length} audit records`,
      };
    });

    // The population to score: every customer, with point-in-time features as of the day after the last month.
    const scoringFeatures = `${ROOT}/scoring_features`;
    await demo.step('build the scoring features', async () => {
      const asOf = new Date();
      const ids = [...new Set(data.customers.map((c) => c.customer_id))];
      const population = openTable(lake, `${ROOT}/scoring_population`);
      await createTable(population, {
        columns: [
          { name: 'customer_id', type: 'string', nullable: false },
          { name: 'event_time', type: 'timestamp', nullable: false },
        ],
      });
      await append(
        population,
        ids.map((customer_id) => ({ customer_id, event_time: asOf })),
      );
      const manifest = await buildTrainingSet(
        { registry: features, openTable: (uri) => openTable(lake, uri) },
        {
          service: 'churn',
          entities: { kind: 'table', uri: `${ROOT}/scoring_population` },
          out: scoringFeatures,
          timestampColumn: 'event_time',
        },
      );
      return {
        value: manifest,
        summary: `${manifest.rows} customers with features as of ${asOf.toISOString().slice(0, 10)}`,
      };
    });

    const endpoint = await demo.step('deploy the champion', async () => {
      const record = await pipeline(
        platform,
        history,
        'deployment',
        { model: MODEL, alias: 'champion', smokeTable: scoringFeatures },
        write,
      );
      const output = record.output as { endpointName: string; version: number; smokeRows: number };
      return {
        value: output.endpointName,
        summary: `endpoint ${output.endpointName} serves version ${output.version}; smoke test passed on ${output.smokeRows} rows`,
      };
    });

    const predictionsTable = `${ROOT}/churn_predictions`;
    const predictions = await demo.step('run batch inference', async () => {
      const record = await pipeline(
        platform,
        history,
        'batch-inference',
        {
          model: MODEL,
          alias: 'champion',
          input: scoringFeatures,
          output: predictionsTable,
          keyColumns: ['customer_id'],
          chunkRows: 1000,
        },
        write,
      );
      const output = record.output as { rows: number; version: number; queryAs: string };
      return {
        value: { table: predictionsTable, rows: output.rows, queryAs: output.queryAs },
        summary: `${output.rows} predictions in ${predictionsTable} (v${output.version}), queryable as ${output.queryAs}`,
      };
    });

    const online = await demo.step('score every customer online by entity key', async () => {
      // The serving path: keys in, features from the online store, the endpoint's scores out, and
      // every request logged to the model's inference table (what monitoring reads).
      const ids = [...new Set(data.customers.map((c) => c.customer_id))];
      const scored: { customer: string; prediction: number; missing: number }[] = [];
      let version = 0;
      for (let i = 0; i < ids.length; i += 100) {
        const answer = (await api('POST', `/api/2.0/mlops/models/${MODEL}@champion/predict`, {
          entities: { customer_id: ids.slice(i, i + 100) },
        })) as {
          model: { version: number };
          predictions: { entity: { customer_id: string }; prediction: number; missingFeatures: string[] }[];
        };
        version = answer.model.version;
        for (const p of answer.predictions)
          scored.push({
            customer: p.entity.customer_id,
            prediction: Number(p.prediction),
            missing: p.missingFeatures.length,
          });
      }
      // Online features (DynamoDB) and batch features (point-in-time join) must give the same scores.
      const batch = await query(`SELECT customer_id, prediction FROM ${predictions.queryAs}`);
      const batchScore = new Map(
        batch.rows.map((row) => [row.customer_id as string, row.prediction as number]),
      );
      const agree = scored.filter(
        (p) => Math.abs((batchScore.get(p.customer) ?? Number.NaN) - p.prediction) < 1e-6,
      );
      const value = scored.map((p) => ({ ...p, batch: batchScore.get(p.customer) ?? null }));
      return {
        value,
        summary: `${scored.length} customers in ${Math.ceil(ids.length / 100)} requests to ${MODEL} v${version}, e.g. ${value
          .slice(0, 3)
          .map((p) => `${p.customer} ${p.prediction.toFixed(3)}`)
          .join(', ')}; ${agree.length} of ${scored.length} equal to the batch scores`,
      };
    });

    const sql = `SELECT count(*) AS customers, round(avg(prediction), 4) AS mean_risk, count(*) FILTER (WHERE prediction > 0.5) AS high_risk FROM ${predictions.queryAs}`;
    const highRisk = await demo.step('query the predictions with SQL', async () => {
      const result = await query(sql);
      const row = result.rows[0] as { customers: bigint; mean_risk: number; high_risk: bigint };
      return {
        value: Number(row.high_risk),
        summary: `${sql}\n    → ${row.customers} customers, mean risk ${row.mean_risk}, ${row.high_risk} above 0.5`,
      };
    });

    await demo.step('trace one prediction back to its data', async () => {
      // A row of the predictions table names its model version; the registry's lineage goes from there.
      const picked = await query(
        `SELECT customer_id, prediction, model_name, model_version FROM ${predictions.queryAs} ORDER BY prediction DESC LIMIT 1`,
      );
      const row = picked.rows[0] as {
        customer_id: string;
        prediction: number;
        model_name: string;
        model_version: bigint;
      };
      const lineage = (await api(
        'GET',
        `/api/2.0/mlops/lineage?name=${row.model_name}&model_version=${row.model_version}`,
      )) as Lineage;
      const trainingSet = lineage.training_sets[0];
      const chain = [
        `${row.customer_id} (${row.prediction.toFixed(3)})`,
        `${row.model_name} v${row.model_version}`,
        `run ${lineage.run?.run_id.slice(0, 8)} (${lineage.run?.status})`,
        `training set ${trainingSet?.table.split('/').pop()}@${trainingSet?.version}`,
        `feature service ${lineage.feature_service?.name}@${lineage.feature_service?.version}`,
        ...lineage.source_tables.map((t) => `${t.table}@${t.version}`),
      ];
      return { value: lineage, summary: chain.join('\n      ← ') };
    });

    const drifted = await demo.step('monitor the served traffic for drift', async () => {
      // The run's CloudWatch metrics (EMF lines, which Lambda ships to CloudWatch) are counted, not printed.
      const metricLines: string[] = [];
      const record = await pipeline(platform, history, 'monitoring', { model: MODEL, window: '1d' }, write, {
        MonitorFunction: createMonitorHandler(platform.env, {
          writeMetrics: (line) => metricLines.push(line),
        }),
      });
      const output = record.output as {
        outcome: string;
        rows: number;
        alarms: number;
        report: string;
        modelVersion: string;
      };
      const alarms = await query(
        `SELECT "column", statistic, value FROM ${databaseForStage(platform.config.stage)}.${MODEL}_drift_metrics WHERE alarm AND comparison = 'baseline' ORDER BY "column", statistic`,
      );
      const columns = [...new Set(alarms.rows.map((row) => row.column as string))];
      return {
        value: { columns, report: output.report, outcome: output.outcome },
        summary: `${output.rows} requests of the last day against version ${output.modelVersion}'s training data: ${output.outcome}; drift in ${columns.join(', ') || 'nothing'} (the dataset drifts in ${data.driftedFeatures.join(', ')}; plan is no model feature); ${metricLines.length} CloudWatch metric records\n    report: ${output.report}`,
      };
    });

    const seconds = (performance.now() - started) / 1000;
    const report: DemoReport = {
      dataDir,
      seconds,
      rows: { customers: data.customers.length, activity: data.activity.length, labels: data.labels.length },
      versions,
      champion: second.version,
      endpoint,
      predictions,
      online,
      highRisk,
      drift: drifted,
    };
    printReport(write, report, options.keep === true);
    return { runner: demo, report };
  } finally {
    lake.destroy();
    documents.destroy();
    await platform.stop();
    if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function pipeline(
  platform: LocalPlatform,
  history: ExecutionHistoryStore,
  name: string,
  input: unknown,
  write: (line: string) => void,
  taskHandlers?: Readonly<Record<string, (event: unknown) => Promise<unknown>>>,
): Promise<ExecutionRecord> {
  const startedAt = Date.now();
  const record = await runPipelineLocally({
    name,
    pipeline: PIPELINES[name]!,
    env: platform.env,
    integrations: localIntegrations(platform.env),
    input,
    ...(taskHandlers ? { taskHandlers } : {}),
    onEvent: (event) => {
      const line = event.type === 'StateEntered' ? progressLine(event, startedAt) : undefined;
      if (line) write(`    ${line.trim()}`);
    },
  });
  await history.save(record);
  if (record.status !== 'SUCCEEDED') {
    // The first task failure says more than the state machine's own Fail state.
    const failed = record.events.find(
      (event) => event.error !== undefined && event.type !== 'ExecutionFailed',
    );
    const why = failed
      ? `${failed.state ?? ''}: ${failed.error} ${failed.cause ?? ''}`
      : `${record.error ?? ''} ${record.cause ?? ''}`;
    throw new Error(`pipeline ${name} ${record.status} — ${why.trim()}`);
  }
  return record;
}

function apiClient(base: string) {
  return async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
}

function printReport(write: (line: string) => void, report: DemoReport, kept: boolean) {
  write('');
  write(`Demo finished in ${report.seconds.toFixed(1)} s.`);
  write(
    `  data        ${report.rows.customers} customers, ${report.rows.activity} activity rows, ${report.rows.labels} labels`,
  );
  for (const version of report.versions)
    write(
      `  model       ${MODEL} v${version.version}: holdout AUC ${version.auc.toFixed(4)} (${version.outcome})`,
    );
  write(`  champion    ${MODEL} v${report.champion} on endpoint ${report.endpoint}`);
  write(
    `  monitoring  ${report.drift.outcome}: drift in ${report.drift.columns.join(', ') || 'nothing'}; report ${report.drift.report}`,
  );
  write(
    `  predictions ${report.predictions.rows} rows in ${report.predictions.table} (${report.predictions.queryAs}); ${report.highRisk} above 0.5`,
  );
  write('');
  write(kept ? `The data is kept in ${report.dataDir}. Explore it:` : 'Explore the platform yourself:');
  write(
    `  npx mlops local up${kept ? ` --data-dir ${report.dataDir}` : ''}         # the platform on http://127.0.0.1:5000`,
  );
  write(
    '  MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python -c "import mlflow; print(mlflow.search_runs(search_all_experiments=True))"',
  );
  write(`  npx mlops query "SELECT * FROM ${report.predictions.queryAs} ORDER BY prediction DESC LIMIT 10"`);
  write('  npx mlops pipeline history');
}
