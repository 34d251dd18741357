/**
 * Item layout of the `tracking` table (generic `pk`/`sk`; the GSIs are not used, so every read can
 * be strongly consistent):
 *
 *   pk                        sk                     holds
 *   EXPERIMENTS               E#<id, 12 digits>      an experiment with its tags (map `tags`)
 *   EXPNAME#<name>            NAME                   the name's owner: names are unique, also after delete
 *   COUNTER                   EXPERIMENT             the last experiment id handed out (atomic ADD)
 *   RUN#<run_id>              RUN                    which experiment a run is in (immutable), for
 *                                                    runs whose id does not name it (run-ids.ts)
 *   EXP#<experiment_id>       R#<run_id>             the run: info, params map `p`, tags map `t`,
 *                                                    latest value per metric key in map `m` (the
 *                                                    point's 48-character order key, which encodes
 *                                                    step, timestamp and value; items written before
 *                                                    hold `{v, t, s, o}` maps, read alike), inputs,
 *                                                    outputs and a version `ver` bumped by every write
 *   HIST#<run_id>#<bucket>    <time>#<random>        a history page: the points one request logged for
 *                                                    the keys hashing to `bucket` (0-15), JSON in `d`
 *   CHG#<experiment_id>#<s>   <time>#<run_id>#<rnd>  the experiment's change log: one entry per run
 *                                                    write (`s` = shard 0-7 by run id), read by
 *                                                    searches to refresh their cached runs
 *   MODEL#<model_id>          MODEL                  which experiment a logged model is in
 *   EXP#<experiment_id>       LM#<model_id>          a logged model with its tags and params
 *
 * The runs of an experiment sit in one partition, so the first `runs/search` of an experiment is one
 * (segmented) consistent Query; later ones read the change log since the previous search and only
 * the runs it names (run-search-cache.ts). History pages and change entries are append-only and
 * never conflict; the latest-value entries are moved forward with conditional updates (see
 * dynamo-store.ts).
 */
import type { DatasetInput, Experiment, LoggedModel, Metric, Run, RunInfo } from './model.ts';
import { metricOrderKey, pointFromOrderKey } from './ordering.ts';

export const EXPERIMENTS_PK = 'EXPERIMENTS';
export const experimentSk = (id: string) => `E#${id.padStart(12, '0')}`;
export const experimentNamePk = (name: string) => `EXPNAME#${name}`;
export const runPointerPk = (runId: string) => `RUN#${runId}`;
export const experimentPk = (experimentId: string) => `EXP#${experimentId}`;
export const runSk = (runId: string) => `R#${runId}`;
export const modelPointerPk = (modelId: string) => `MODEL#${modelId}`;
export const modelSk = (modelId: string) => `LM#${modelId}`;
export const HISTORY_BUCKETS = 16;
export const historyPk = (runId: string, bucket: number) => `HIST#${runId}#${bucket.toString(16)}`;

export const RUN_CHANGE_SHARDS = 8;
export const runChangePk = (experimentId: string, shard: number) => `CHG#${experimentId}#${shard}`;
/** Change-log sort keys start with the epoch-ms time, so "changed since t" is one key range. */
export const runChangeSkAfter = (time: number) =>
  `${Math.max(0, Math.floor(time)).toString().padStart(15, '0')}#~`;

/** A change-log entry for a write to a run. */
export function runChangeItem(experimentId: string, runId: string, time: number): Record<string, unknown> {
  return {
    pk: runChangePk(experimentId, historyBucket(runId) % RUN_CHANGE_SHARDS),
    sk: `${time.toString().padStart(15, '0')}#${runId}#${Math.random().toString(36).slice(2, 8)}`,
    runId,
  };
}

/** FNV-1a hash of a metric key, to spread a run's history over HISTORY_BUCKETS partitions. */
export function historyBucket(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % HISTORY_BUCKETS;
}

/**
 * A double as DynamoDB can hold it: a number, or its decimal text where DynamoDB's numbers cannot
 * (NaN, the infinities, and magnitudes below 1e-130 or from 1e126 on, which DynamoDB refuses).
 */
export type StoredDouble = number | string;

/**
 * A latest metric value as the run item holds it: the point's order key (ordering.ts), one string
 * attribute per metric, which DynamoDB compares in conditions as MLflow orders points.
 */
export type StoredMetric = string;

/** The form of items written by earlier versions. */
interface LegacyStoredMetric {
  readonly v: StoredDouble;
  readonly t: number;
  readonly s: number;
  readonly o: string;
}

/** The order key of a stored latest value, whichever form it has. */
export function storedOrderKey(stored: StoredMetric | LegacyStoredMetric): string {
  return typeof stored === 'string' ? stored : stored.o;
}

export function storeDouble(value: number): StoredDouble {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-130 || magnitude >= 1e126)) return String(value);
  return value;
}

export function loadDouble(value: StoredDouble): number {
  return typeof value === 'number' ? value : Number(value);
}

export function storeMetric(metric: Metric): StoredMetric {
  return metricOrderKey(metric);
}

function loadMetric(key: string, stored: StoredMetric | LegacyStoredMetric): Metric {
  if (typeof stored !== 'string') {
    return { key, value: loadDouble(stored.v), timestamp: stored.t, step: stored.s };
  }
  return { key, ...pointFromOrderKey(stored) };
}

export interface ExperimentItem {
  pk: string;
  sk: string;
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: Experiment['lifecycleStage'];
  creationTime: number;
  lastUpdateTime: number;
  tags: Record<string, string>;
}

export function experimentFromItem(item: Record<string, unknown>): Experiment {
  const e = item as unknown as ExperimentItem;
  return {
    experimentId: e.experimentId,
    name: e.name,
    artifactLocation: e.artifactLocation,
    lifecycleStage: e.lifecycleStage,
    creationTime: e.creationTime,
    lastUpdateTime: e.lastUpdateTime,
    tags: e.tags ?? {},
  };
}

export interface RunItem {
  pk: string;
  sk: string;
  runId: string;
  experimentId: string;
  runName: string;
  userId: string;
  status: RunInfo['status'];
  startTime?: number;
  endTime?: number;
  artifactUri: string;
  lifecycleStage: RunInfo['lifecycleStage'];
  /** Set when the run was soft-deleted by deleting its experiment (restored with it). */
  deletedWithExperiment?: boolean;
  m: Record<string, StoredMetric | LegacyStoredMetric>;
  p: Record<string, string>;
  t: Record<string, string>;
  di: DatasetInput[];
  mi: string[];
  mo: { modelId: string; step: number }[];
  ver: number;
}

export function runItem(info: RunInfo, tags: Readonly<Record<string, string>>): RunItem {
  return {
    pk: experimentPk(info.experimentId),
    sk: runSk(info.runId),
    ...info,
    m: {},
    p: {},
    t: { ...tags },
    di: [],
    mi: [],
    mo: [],
    ver: 0,
  };
}

export function runInfoFromItem(r: RunItem): RunInfo {
  return {
    runId: r.runId,
    experimentId: r.experimentId,
    runName: r.runName,
    userId: r.userId,
    status: r.status,
    ...(r.startTime !== undefined ? { startTime: r.startTime } : {}),
    ...(r.endTime !== undefined ? { endTime: r.endTime } : {}),
    artifactUri: r.artifactUri,
    lifecycleStage: r.lifecycleStage,
  };
}

export function runFromItem(item: Record<string, unknown>): Run {
  const r = item as unknown as RunItem;
  const metrics: Record<string, Metric> = {};
  for (const [key, m] of Object.entries(r.m ?? {})) {
    metrics[key] = loadMetric(key, m);
  }
  return {
    info: runInfoFromItem(r),
    metrics,
    params: r.p ?? {},
    tags: r.t ?? {},
    datasetInputs: r.di ?? [],
    modelInputs: r.mi ?? [],
    modelOutputs: r.mo ?? [],
  };
}

export interface LoggedModelItem extends Omit<LoggedModel, 'tags' | 'params'> {
  pk: string;
  sk: string;
  tags: Record<string, string>;
  params: Record<string, string>;
}

export function loggedModelFromItem(item: Record<string, unknown>): LoggedModel {
  const { pk: _pk, sk: _sk, ...model } = item as unknown as LoggedModelItem;
  return { ...model, tags: model.tags ?? {}, params: model.params ?? {} };
}

/** A history page's payload: per key, the points as `[value, timestamp, step]`. */
export type HistoryPage = Record<string, [StoredDouble, number, number][]>;
