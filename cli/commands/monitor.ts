/**
 * `mlops monitor run`: one monitoring run for a model over a window ending now (or at `--end`),
 * printing the outcome, the alarms and where the report is. `mlops monitor baseline` stores the
 * baseline of a model version from its training table (what the training pipeline does itself).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  MonitorTargetSchema,
  parseWindowLength,
  runPlatformMonitoring,
} from '../../layers/monitoring/platform-monitor.ts';
import { publishOutcome } from '../../layers/monitoring/publish-outcome.ts';
import { windowEnding } from '../../layers/monitoring/run-monitoring.ts';
import { storeBaselineFromTables } from '../../layers/monitoring/training-baseline.ts';
import { createEventPublisher } from '../../layers/runtime/events.ts';
import { CliError } from '../cli-error.ts';
import { cliConfig, cliEnv } from '../environment.ts';

/** Parses `30m`, `12h`, `7d`, `2w` into milliseconds, or throws a CliError naming the value. */
export function parseDuration(text: string): number {
  try {
    return parseWindowLength(text, '--window');
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

interface RunOptions {
  model: string;
  window: string;
  end?: string;
  version?: string;
  config?: string;
  inferenceTable?: string;
  timeColumn?: string;
  predictionColumn?: string;
  predictionTable: string[];
  labelsTable?: string;
  labelKeys?: string;
  labelColumn?: string;
  out?: string;
  failOnAlarm?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerMonitorCommands(program: Command): void {
  const monitor = program.command('monitor').description('Model monitoring: drift, quality, alarms, reports');
  registerBaselineCommand(monitor);

  monitor
    .command('run')
    .description("Profile a window of a model's inference table, compare it and write metrics and a report")
    .requiredOption('--model <name>', 'registered model name')
    .option('--window <duration>', 'window length ending at --end (30m, 12h, 7d, 2w)', '7d')
    .option('--end <time>', 'window end, an ISO-8601 instant (default: now)')
    .option(
      '--version <version>',
      'model version whose baseline to compare with (default: the newest baseline)',
    )
    .option('--config <file>', 'JSON monitoring target (tables, columns, ground truth, thresholds)')
    .option('--inference-table <uri>', 'inference table (default: s3://<lakehouse>/inference/<model>)')
    .option('--time-column <name>', "the inference table's time column (default: timestamp)")
    .option('--prediction-column <name>', 'prediction column (default: prediction)')
    .option(
      '--prediction-table <uri>',
      'a batch prediction table (time column scored_at); repeatable',
      collect,
      [],
    )
    .option('--labels-table <uri>', 'ground-truth table to join for quality')
    .option('--label-keys <columns>', 'comma-separated join keys shared by predictions and labels')
    .option('--label-column <name>', 'label column (default: label)')
    .option('--out <file>', 'also write the HTML report to this file')
    .option('--fail-on-alarm', 'exit with code 2 when an alarm is raised')
    .action(async (options: RunOptions) => {
      const lengthMs = parseDuration(options.window);
      const end = options.end ? new Date(options.end) : new Date();
      if (Number.isNaN(end.getTime()))
        throw new CliError(`--end must be an ISO-8601 instant, got ${options.end}`);
      const target = parseTarget(options);
      const runtime = cliConfig();
      const run = await runPlatformMonitoring(runtime, target, windowEnding(end, lengthMs));
      // The same event as a scheduled run: an on-demand run that crosses a threshold is announced too.
      await publishOutcome(run.result, run.report, new Date(), {
        events: createEventPublisher(runtime, cliEnv().MLOPS_EVENT_BUS_NAME),
      });
      const { result } = run;
      const lines = [
        `${result.model}${result.modelVersion ? ` v${result.modelVersion}` : ''}: ${result.outcome} — ${result.rows} rows in ${result.window.start} → ${result.window.end}`,
        ...result.alarms.map((a) => `  alarm  ${a.subject}: ${a.message} (against ${a.comparison})`),
        ...result.notes.map((n) => `  note   ${n}`),
        ...run.recomputedQuality.map(
          (q) => `  quality of ${q.window.start} → ${q.window.end} recomputed (${q.labeled} labeled)`,
        ),
      ];
      if (options.out) {
        writeFileSync(options.out, run.html);
        lines.push(`report: ${options.out}`);
      }
      lines.push(`report: ${run.report}`);
      if (run.trackingRun) {
        const { experimentName, runId, reportArtifact } = run.trackingRun;
        lines.push(`tracking run: ${runId} in experiment ${experimentName} (${reportArtifact})`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
      if (options.failOnAlarm && result.alarms.length > 0) {
        throw new CliError(`${result.alarms.length} alarm(s) raised (--fail-on-alarm)`, 2);
      }
    });
}

interface BaselineOptions {
  model: string;
  version: string;
  trainingTable: string;
  trainingTableVersion?: string;
  task: string;
  features?: string;
  exclude?: string;
  holdoutTable?: string;
  predictionColumn?: string;
  labelColumn?: string;
}

function registerBaselineCommand(monitor: Command): void {
  monitor
    .command('baseline')
    .description("Profile a model version's training table (and holdout predictions) into its baseline")
    .requiredOption('--model <name>', 'registered model name')
    .requiredOption('--version <version>', 'model version')
    .requiredOption('--training-table <uri>', 'the training set, a lakehouse table')
    .option('--training-table-version <n>', 'the Delta version the model was trained on (default: latest)')
    .option('--task <task>', 'binary-classification or regression', 'binary-classification')
    .option(
      '--features <columns>',
      'comma-separated feature columns (default: all but the label and --exclude)',
    )
    .option('--exclude <columns>', 'comma-separated columns that are not features (keys, times)')
    .option('--holdout-table <uri>', 'holdout predictions, with the prediction and the label')
    .option('--prediction-column <name>', 'prediction column of the holdout table (default: prediction)')
    .option('--label-column <name>', 'label column (default: label)')
    .action(async (options: BaselineOptions) => {
      if (options.task !== 'binary-classification' && options.task !== 'regression') {
        throw new CliError(`--task must be binary-classification or regression, got ${options.task}`);
      }
      const list = (text?: string) =>
        (text ?? '')
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean);
      const { location, baseline } = await storeBaselineFromTables(cliConfig(), {
        model: options.model,
        version: options.version,
        task: options.task,
        trainingTable: options.trainingTable,
        ...(options.trainingTableVersion !== undefined
          ? { trainingTableVersion: parseTableVersion(options.trainingTableVersion) }
          : {}),
        ...(options.features ? { features: list(options.features) } : {}),
        exclude: list(options.exclude),
        ...(options.holdoutTable ? { holdoutTable: options.holdoutTable } : {}),
        ...(options.predictionColumn ? { predictionColumn: options.predictionColumn } : {}),
        ...(options.labelColumn ? { labelColumn: options.labelColumn } : {}),
      });
      const features = Object.keys(baseline.profile.features).length;
      process.stdout.write(
        `baseline of ${baseline.model} v${baseline.version} (${baseline.profile.rows} rows, ${features} features): ${location}\n`,
      );
    });
}

function parseTableVersion(text: string): number {
  if (!/^\d+$/.test(text)) throw new CliError(`--training-table-version must be an integer ≥ 0, got ${text}`);
  return Number(text);
}

function parseTarget(options: RunOptions) {
  let file: Record<string, unknown> = {};
  if (options.config) {
    try {
      file = JSON.parse(readFileSync(options.config, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new CliError(`cannot read --config ${options.config}: ${(error as Error).message}`);
    }
  }
  const groundTruth = options.labelsTable
    ? {
        table: options.labelsTable,
        keys: (options.labelKeys ?? '')
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean),
        ...(options.labelColumn ? { labelColumn: options.labelColumn } : {}),
      }
    : file.groundTruth;
  const parsed = MonitorTargetSchema.safeParse({
    ...file,
    model: options.model,
    ...(options.version ? { modelVersion: options.version } : {}),
    ...(options.inferenceTable ? { inferenceTable: options.inferenceTable } : {}),
    ...(options.timeColumn ? { timeColumn: options.timeColumn } : {}),
    ...(options.predictionColumn ? { predictionColumn: options.predictionColumn } : {}),
    ...(options.predictionTable.length > 0
      ? { predictionTables: options.predictionTable.map((uri) => ({ uri })) }
      : {}),
    ...(groundTruth ? { groundTruth } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(`invalid monitoring target: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}
