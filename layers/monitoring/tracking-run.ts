/**
 * Each monitoring run as a run of the tracking API (MLflow's model): in the experiment
 * `monitoring/<model>`, one run per window, named after the window's end, with
 *
 * - params `window_start`, `window_end`;
 * - tags `mlops.monitoring.model`, `mlops.monitoring.window` (`<start>/<end>`, the run's identity),
 *   `mlops.monitoring.model_version`, `mlops.monitoring.outcome`, `mlops.monitoring.report`;
 * - metrics `rows`, `alarms`, the window's quality (`auc`, `accuracy`, `log_loss`, `rmse`, `mae`…)
 *   and the drift against the baseline, `drift.<column>.<statistic>` (`drift.x0.psi`,
 *   `drift.prediction.ks`); the previous-window comparison stays in the drift table only, so a
 *   wide model's run stays small;
 * - the artifact `report.html`.
 *
 * A rerun of a window (a retry) logs to the same run: metrics get a newer value, the report is
 * replaced, nothing is duplicated. When a later run recomputes the window's quality from labels
 * that arrived late, the new quality is logged to the window's run too.
 */

import type { ArtifactRepository } from '../../functions/tracking/artifact-repository.ts';
import { artifactPathOf } from '../../functions/tracking/artifact-repository.ts';
import type { Metric, Tag } from '../../functions/tracking/model.ts';
import type { TrackingCore } from '../../functions/tracking/tracking-core.ts';
import { AlreadyExistsError, NotFoundError } from '../runtime/errors.ts';
import type { MonitoringResult, MonitoringWindow } from './evaluate-window.ts';
import {
  driftMetricRows,
  MODEL_COLUMN,
  PREDICTION_COLUMN,
  profileMetricRows,
  qualityMetricRows,
} from './metric-rows.ts';
import type { QualityMetrics } from './quality.ts';

/** The tracking run a monitoring run was logged as. */
export interface LoggedMonitoringRun {
  readonly experimentName: string;
  readonly experimentId: string;
  readonly runId: string;
  /** `mlflow-artifacts:/…/report.html`. */
  readonly reportArtifact: string;
}

/** Where monitoring runs are logged. Guarantee: one run per (model, window); a rerun updates it. */
export interface MonitoringRunLog {
  log(input: {
    readonly result: MonitoringResult;
    readonly html: string;
    /** Where the report object also lives (kept as a tag). */
    readonly report: string;
    readonly computedAt: Date;
  }): Promise<LoggedMonitoringRun>;
  /**
   * Records the recomputed quality of an earlier window (labels that arrived late) in that
   * window's run; false when the window has no run.
   */
  updateQuality(
    model: string,
    window: MonitoringWindow,
    quality: QualityMetrics,
    computedAt: Date,
  ): Promise<boolean>;
}

export const REPORT_ARTIFACT = 'report.html';
const WINDOW_TAG = 'mlops.monitoring.window';

/** The experiment a model's monitoring runs are logged in. */
export function monitoringExperimentName(model: string): string {
  return `monitoring/${model}`;
}

/** Monitoring runs through the tracking core and its artifact repository (no HTTP hop). */
export class TrackingMonitoringRunLog implements MonitoringRunLog {
  constructor(
    private readonly core: TrackingCore,
    private readonly artifacts: ArtifactRepository,
  ) {}

  async log(input: Parameters<MonitoringRunLog['log']>[0]): Promise<LoggedMonitoringRun> {
    const { result, computedAt } = input;
    const experimentName = monitoringExperimentName(result.model);
    const experimentId = await this.#experiment(experimentName);
    const window = `${result.window.start}/${result.window.end}`;
    const run =
      (await this.#windowRun(experimentId, result.window)) ??
      (await this.core.createRun({
        experimentId,
        runName: result.window.end,
        startTime: computedAt.getTime(),
        tags: [{ key: WINDOW_TAG, value: window }],
      }));
    const runId = run.info.runId;
    const tags: Tag[] = [
      { key: 'mlops.monitoring.model', value: result.model },
      { key: 'mlops.monitoring.model_version', value: result.modelVersion ?? '' },
      { key: 'mlops.monitoring.outcome', value: result.outcome },
      { key: 'mlops.monitoring.report', value: input.report },
    ];
    await this.core.logBatch({
      runId,
      metrics: monitoringMetrics(result, computedAt),
      params: [
        { key: 'window_start', value: result.window.start },
        { key: 'window_end', value: result.window.end },
      ],
      tags,
    });
    const path = `${artifactPathOf(run.info.artifactUri)}/${REPORT_ARTIFACT}`;
    await this.artifacts.put(path, new TextEncoder().encode(input.html), 'text/html; charset=utf-8');
    await this.core.updateRun(runId, { status: 'FINISHED', endTime: computedAt.getTime() });
    return {
      experimentName,
      experimentId,
      runId,
      reportArtifact: `${run.info.artifactUri}/${REPORT_ARTIFACT}`,
    };
  }

  async updateQuality(
    model: string,
    window: MonitoringWindow,
    quality: QualityMetrics,
    computedAt: Date,
  ): Promise<boolean> {
    let experimentId: string;
    try {
      experimentId = (await this.core.getExperimentByName(monitoringExperimentName(model))).experimentId;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
    const run = await this.#windowRun(experimentId, window);
    if (!run) return false;
    const timestamp = computedAt.getTime();
    const metrics = qualityMetricRows(model, null, window, quality, computedAt)
      .filter((row) => row.value !== null)
      .map((row) => ({ key: row.metric, value: row.value as number, timestamp, step: 0 }));
    await this.core.logBatch({ runId: run.info.runId, metrics, params: [], tags: [] });
    return true;
  }

  async #windowRun(experimentId: string, window: MonitoringWindow) {
    const found = await this.core.searchRuns([experimentId], {
      filter: `tags.\`${WINDOW_TAG}\` = '${window.start}/${window.end}'`,
      orderBy: ['attributes.start_time ASC'],
      viewType: 'ACTIVE_ONLY',
      maxResults: 1,
    });
    return found.items[0];
  }

  async #experiment(name: string): Promise<string> {
    try {
      return (await this.core.getExperimentByName(name)).experimentId;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    try {
      return await this.core.createExperiment({
        name,
        tags: [{ key: 'mlflow.note.content', value: `Monitoring runs of model ${name.slice(11)}` }],
      });
    } catch (error) {
      // Another run created it in between.
      if (!(error instanceof AlreadyExistsError)) throw error;
      return (await this.core.getExperimentByName(name)).experimentId;
    }
  }
}

const KEY_UNSAFE = /[^\w\-. :/]/g;

/** The run's metrics: row and alarm counts, quality, and drift against the baseline. */
export function monitoringMetrics(result: MonitoringResult, computedAt: Date): Metric[] {
  const timestamp = computedAt.getTime();
  const metrics = new Map<string, number>([
    ['rows', result.rows],
    ['alarms', result.alarms.length],
  ]);
  const empty = { window: result.window, profile: { formatVersion: 1 as const, rows: 0, features: {} } };
  for (const row of profileMetricRows(result, { ...empty, quality: null }, computedAt)) {
    if (row.column === MODEL_COLUMN && row.value !== null) metrics.set(row.metric, row.value);
  }
  for (const row of driftMetricRows(result, computedAt)) {
    if (row.comparison !== 'baseline' || row.value === null) continue;
    const column = row.column === PREDICTION_COLUMN ? 'prediction' : row.column;
    metrics.set(`drift.${column}.${row.statistic}`.replace(KEY_UNSAFE, '_'), row.value);
  }
  return [...metrics].map(([key, value]) => ({ key, value, timestamp, step: 0 }));
}
