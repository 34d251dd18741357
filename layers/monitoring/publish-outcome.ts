/**
 * What a monitoring run tells the rest of the platform: CloudWatch metrics, as Embedded Metric
 * Format log lines (CloudWatch extracts them from the Lambda's log, so no PutMetricData call and
 * no CloudWatch client), and a `threshold.crossed` domain event when any alarm was raised, which
 * the deployment pipeline and notification rules subscribe to.
 *
 * Metrics (namespace `MLOps/Monitoring`): per model `Rows`, `ThresholdsCrossed`, `DriftAlarms`,
 * `QualityAlarms`, `DataAlarms`, `PredictionPSI` and the quality metrics; per model and feature
 * `PSI`, `KS`, `JSDistance`, `NullRate`. The CloudWatch alarm of a model watches
 * `ThresholdsCrossed` ≥ 1, so the per-model thresholds live in one place: the monitor's config.
 */
import type { DomainEvent, EventPublisher } from '../runtime/events.ts';
import type { MonitoringResult } from './evaluate-window.ts';

export const METRIC_NAMESPACE = 'MLOps/Monitoring';
export const EVENT_SOURCE = 'mlops.monitoring';
export const THRESHOLD_CROSSED = 'threshold.crossed';

interface MetricValue {
  readonly name: string;
  readonly value: number;
  readonly unit: 'Count' | 'None';
}

function emf(
  timestamp: number,
  dimensions: Readonly<Record<string, string>>,
  metrics: readonly MetricValue[],
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [Object.keys(dimensions)],
          Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
        },
      ],
    },
    ...dimensions,
    ...Object.fromEntries(metrics.map((m) => [m.name, m.value])),
  });
}

/** The run's metrics as EMF documents, one per dimension set (the model; each feature). */
export function metricLines(result: MonitoringResult, at: Date): string[] {
  const timestamp = at.getTime();
  const count = (kind: string) => result.alarms.filter((a) => a.kind === kind).length;
  const model: MetricValue[] = [
    { name: 'Rows', value: result.rows, unit: 'Count' },
    { name: 'ThresholdsCrossed', value: result.alarms.length, unit: 'Count' },
    { name: 'DriftAlarms', value: count('drift'), unit: 'Count' },
    { name: 'QualityAlarms', value: count('quality'), unit: 'Count' },
    { name: 'DataAlarms', value: count('data'), unit: 'Count' },
  ];
  const prediction = result.againstBaseline?.prediction?.numeric?.psi;
  if (prediction !== undefined) model.push({ name: 'PredictionPSI', value: prediction, unit: 'None' });
  const quality = result.quality;
  if (quality) {
    for (const [key, name] of [
      ['auc', 'AUC'],
      ['accuracy', 'Accuracy'],
      ['logLoss', 'LogLoss'],
      ['rmse', 'RMSE'],
      ['mae', 'MAE'],
    ] as const) {
      const value = quality[key];
      if (typeof value === 'number' && Number.isFinite(value)) model.push({ name, value, unit: 'None' });
    }
  }
  const lines = [emf(timestamp, { Model: result.model }, model)];
  for (const column of result.againstBaseline?.features ?? []) {
    const values: MetricValue[] = [];
    if (column.nullRate) values.push({ name: 'NullRate', value: column.nullRate.current, unit: 'None' });
    if (column.numeric) {
      values.push({ name: 'PSI', value: column.numeric.psi, unit: 'None' });
      values.push({ name: 'KS', value: column.numeric.ks.statistic, unit: 'None' });
    }
    if (column.categorical)
      values.push({ name: 'JSDistance', value: column.categorical.jsDistance, unit: 'None' });
    if (values.length > 0)
      lines.push(emf(timestamp, { Model: result.model, Feature: column.column }, values));
  }
  return lines;
}

/** The `threshold.crossed` event of a run, or none when nothing crossed a threshold. */
export function thresholdEvents(result: MonitoringResult, report: string): DomainEvent[] {
  if (result.alarms.length === 0) return [];
  return [
    {
      source: EVENT_SOURCE,
      detailType: THRESHOLD_CROSSED,
      detail: {
        model: result.model,
        modelVersion: result.modelVersion,
        window: result.window,
        rows: result.rows,
        report,
        alarms: result.alarms.map((a) => ({
          kind: a.kind,
          subject: a.subject,
          comparison: a.comparison,
          statistic: a.statistic,
          value: a.value,
          threshold: a.threshold,
          message: a.message,
        })),
      },
      resources: [result.model],
    },
  ];
}

export interface OutcomeChannels {
  /** Where EMF lines go: the Lambda's stdout in AWS. */
  readonly writeMetrics?: (line: string) => void;
  readonly events?: EventPublisher;
}

/** Writes the run's metrics and announces crossed thresholds. */
export async function publishOutcome(
  result: MonitoringResult,
  report: string,
  at: Date,
  channels: OutcomeChannels,
): Promise<void> {
  if (channels.writeMetrics) for (const line of metricLines(result, at)) channels.writeMetrics(line);
  const events = thresholdEvents(result, report);
  if (channels.events && events.length > 0) await channels.events.publish(events);
}
