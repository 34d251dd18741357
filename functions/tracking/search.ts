/**
 * Search semantics of runs/search, experiments/search and logged-models/search over in-memory
 * entities: which filter clauses are valid for which entity, how each matches, order_by, and opaque
 * offset page tokens. Metric clauses compare a run's latest value; runs missing an order_by key (and
 * NaN metrics) sort last in either direction, as in MLflow.
 */
import { InvalidParameterError } from '../../layers/runtime/errors.ts';
import { type Comparator, isComparison, likePattern, parseFilter, type RawClause } from './filter.ts';
import {
  type Experiment,
  LOGGED_MODEL_STATUSES,
  type LoggedModel,
  type Run,
  type ViewType,
} from './model.ts';

type EntityType = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

const RUN_ENTITIES: Record<string, EntityType> = {
  metrics: 'metric',
  metric: 'metric',
  params: 'param',
  param: 'param',
  parameters: 'param',
  parameter: 'param',
  tags: 'tag',
  tag: 'tag',
  attributes: 'attribute',
  attribute: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  datasets: 'dataset',
  dataset: 'dataset',
};

const RUN_STRING_ATTRIBUTES = ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage'];
const RUN_NUMERIC_ATTRIBUTES = ['start_time', 'end_time', 'created'];
const RUN_ORDER_ATTRIBUTES = [...RUN_STRING_ATTRIBUTES, ...RUN_NUMERIC_ATTRIBUTES];
const STRING_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
const NUMERIC_COMPARATORS: readonly Comparator[] = ['=', '!=', '>', '>=', '<', '<='];

export interface Clause {
  readonly type: EntityType;
  readonly key: string;
  readonly comparator: Comparator;
  readonly value: string | number | readonly string[] | undefined;
}

function comparatorError(comparator: string, allowed: readonly Comparator[]): InvalidParameterError {
  return new InvalidParameterError(
    `Invalid comparator '${comparator}' not one of '{${allowed.map((c) => `'${c}'`).join(', ')}}'`,
  );
}

function normaliseAttribute(key: string): string {
  const lower = key.toLowerCase();
  if (lower === 'run name' || lower === 'run_name' || lower === 'runname') return 'run_name';
  if (lower === 'created') return 'start_time';
  if (lower === 'run_uuid') return 'run_id';
  return lower;
}

function typedClause(raw: RawClause, type: EntityType, key: string): Clause {
  const literal = raw.literal;
  const value =
    literal.kind === 'string' || literal.kind === 'number'
      ? literal.value
      : literal.kind === 'list'
        ? literal.values
        : undefined;
  return { type, key, comparator: raw.comparator, value };
}

function requireNumber(raw: RawClause, what: string): void {
  if (raw.literal.kind !== 'number') {
    const shown = raw.literal.kind === 'string' ? `'${raw.literal.value}'` : raw.comparator;
    throw new InvalidParameterError(`Expected numeric value type for ${what}. Found ${shown}`);
  }
}

function requireString(raw: RawClause, what: string): void {
  if (raw.literal.kind === 'number') {
    throw new InvalidParameterError(
      `Expected a quoted string value for ${what} (e.g. 'my-value'). Got value ${raw.literal.text}`,
    );
  }
}

/** Parses and validates a runs/search filter. */
export function parseRunFilter(filter: string | undefined): Clause[] {
  return parseFilter(filter).map((raw) => {
    const type = raw.entity === undefined ? 'attribute' : RUN_ENTITIES[raw.entity.toLowerCase()];
    if (!type) {
      throw new InvalidParameterError(
        `Invalid entity type '${raw.entity}'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']`,
      );
    }
    if (type === 'metric') {
      if (!isComparison(raw.comparator)) throw comparatorError(raw.comparator, NUMERIC_COMPARATORS);
      if (!NUMERIC_COMPARATORS.includes(raw.comparator))
        throw comparatorError(raw.comparator, NUMERIC_COMPARATORS);
      requireNumber(raw, 'metrics');
      return typedClause(raw, type, raw.key);
    }
    if (type === 'param' || type === 'tag') {
      const allowed: readonly Comparator[] = [...STRING_COMPARATORS, 'IS NULL', 'IS NOT NULL'];
      if (!allowed.includes(raw.comparator)) throw comparatorError(raw.comparator, allowed);
      requireString(raw, type === 'param' ? 'parameters' : 'tags');
      return typedClause(raw, type, raw.key);
    }
    if (type === 'dataset') {
      const key = raw.key.toLowerCase();
      if (!['name', 'digest', 'context'].includes(key)) {
        throw new InvalidParameterError(
          `Invalid dataset key '${raw.key}' specified. Valid keys are '['name', 'digest', 'context']'`,
        );
      }
      const allowed: readonly Comparator[] = [...STRING_COMPARATORS, 'IN', 'NOT IN'];
      if (!allowed.includes(raw.comparator)) throw comparatorError(raw.comparator, allowed);
      requireString(raw, 'dataset');
      return typedClause(raw, type, key);
    }
    const key = normaliseAttribute(raw.key);
    if (RUN_NUMERIC_ATTRIBUTES.includes(key)) {
      if (!NUMERIC_COMPARATORS.includes(raw.comparator))
        throw comparatorError(raw.comparator, NUMERIC_COMPARATORS);
      requireNumber(raw, 'attributes');
      return typedClause(raw, type, key);
    }
    if (RUN_STRING_ATTRIBUTES.includes(key)) {
      const allowed: readonly Comparator[] = [...STRING_COMPARATORS, 'IN', 'NOT IN'];
      if (!allowed.includes(raw.comparator)) throw comparatorError(raw.comparator, allowed);
      requireString(raw, 'attributes');
      return typedClause(raw, type, key);
    }
    throw new InvalidParameterError(
      `Invalid attribute key '${raw.key}' specified. Valid keys are '${JSON.stringify([...RUN_STRING_ATTRIBUTES, ...RUN_NUMERIC_ATTRIBUTES])}'`,
    );
  });
}

function matchValue(actual: string | number | undefined, clause: Clause): boolean {
  const { comparator, value } = clause;
  if (comparator === 'IS NULL') return actual === undefined;
  if (comparator === 'IS NOT NULL') return actual !== undefined;
  if (actual === undefined) return false;
  if (comparator === 'IN') return (value as readonly string[]).includes(String(actual));
  if (comparator === 'NOT IN') return !(value as readonly string[]).includes(String(actual));
  if (comparator === 'LIKE' || comparator === 'ILIKE') {
    return likePattern(String(value), comparator === 'ILIKE').test(String(actual));
  }
  const left = typeof value === 'number' ? Number(actual) : String(actual);
  const right = value as string | number;
  switch (comparator) {
    case '=':
      return left === right;
    case '!=':
      return left !== right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    default:
      return false;
  }
}

function runAttribute(run: Run, key: string): string | number | undefined {
  const info = run.info;
  switch (key) {
    case 'run_id':
      return info.runId;
    case 'run_name':
      return info.runName;
    case 'status':
      return info.status;
    case 'user_id':
      return info.userId;
    case 'artifact_uri':
      return info.artifactUri;
    case 'lifecycle_stage':
      return info.lifecycleStage;
    case 'start_time':
      return info.startTime;
    case 'end_time':
      return info.endTime;
    default:
      return undefined;
  }
}

function runMatches(run: Run, clause: Clause): boolean {
  switch (clause.type) {
    case 'metric': {
      const metric = run.metrics[clause.key];
      if (!metric || Number.isNaN(metric.value)) return false;
      return matchValue(metric.value, clause);
    }
    case 'param':
      return matchValue(run.params[clause.key], clause);
    case 'tag':
      return matchValue(run.tags[clause.key], clause);
    case 'attribute':
      return matchValue(runAttribute(run, clause.key), clause);
    case 'dataset':
      return run.datasetInputs.some((input) => {
        const context = input.tags?.find((tag) => tag.key === 'mlflow.data.context')?.value;
        const actual =
          clause.key === 'name'
            ? input.dataset.name
            : clause.key === 'digest'
              ? input.dataset.digest
              : context;
        return matchValue(actual, clause);
      });
  }
}

export function viewTypeMatches(stage: 'active' | 'deleted', viewType: ViewType): boolean {
  return viewType === 'ALL' || (viewType === 'ACTIVE_ONLY' ? stage === 'active' : stage === 'deleted');
}

interface OrderClause<T> {
  readonly value: (entity: T) => string | number | undefined;
  readonly ascending: boolean;
}

const ORDER_CLAUSE = /^\s*(.+?)(?:\s+(ASC|DESC))?\s*$/is;

function splitOrderBy(clause: string): { identifier: string; ascending: boolean } {
  const match = ORDER_CLAUSE.exec(clause);
  if (!match) throw new InvalidParameterError(`Invalid order_by clause '${clause}'.`);
  let identifier = (match[1] as string).trim();
  identifier = identifier.replace(/^([A-Za-z_]+\.)?[`"](.*)[`"]$/s, '$1$2');
  return { identifier, ascending: (match[2] ?? 'ASC').toUpperCase() === 'ASC' };
}

function runOrderClause(clause: string): OrderClause<Run> & { id: string } {
  const { identifier, ascending } = splitOrderBy(clause);
  const dot = identifier.indexOf('.');
  const prefix = dot === -1 ? undefined : identifier.slice(0, dot).toLowerCase();
  const type = prefix === undefined ? 'attribute' : RUN_ENTITIES[prefix];
  const key = dot === -1 || !type ? identifier : identifier.slice(dot + 1);
  if (!type || type === 'dataset' || key === '') {
    throw new InvalidParameterError(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  }
  const id = `${type}.${type === 'attribute' ? normaliseAttribute(key) : key}`;
  if (type === 'metric') {
    return {
      id,
      ascending,
      value: (run) => {
        const v = run.metrics[key]?.value;
        return v === undefined || Number.isNaN(v) ? undefined : v;
      },
    };
  }
  if (type === 'param') return { id, ascending, value: (run) => run.params[key] };
  if (type === 'tag') return { id, ascending, value: (run) => run.tags[key] };
  const attribute = normaliseAttribute(key);
  if (!RUN_ORDER_ATTRIBUTES.includes(attribute) || attribute === 'lifecycle_stage') {
    throw new InvalidParameterError(
      `Invalid order_by entity '${key}' specified. Valid keys are ${JSON.stringify(RUN_ORDER_ATTRIBUTES.filter((a) => a !== 'lifecycle_stage'))}`,
    );
  }
  return { id, ascending, value: (run) => runAttribute(run, attribute) };
}

function compareBy<T>(clauses: readonly OrderClause<T>[]): (a: T, b: T) => number {
  return (a, b) => {
    for (const clause of clauses) {
      const left = clause.value(a);
      const right = clause.value(b);
      if (left === right) continue;
      if (left === undefined) return 1;
      if (right === undefined) return -1;
      const order = left < right ? -1 : 1;
      return clause.ascending ? order : -order;
    }
    return 0;
  };
}

/** Validates order_by clauses for runs: parseable, known, no field twice. */
export function parseRunOrderBy(orderBy: readonly string[]): (OrderClause<Run> & { id: string })[] {
  const seen = new Set<string>();
  return orderBy.map((text) => {
    const clause = runOrderClause(text);
    if (seen.has(clause.id)) {
      throw new InvalidParameterError(`\`order_by\` contains duplicate fields: ['${clause.id}']`);
    }
    seen.add(clause.id);
    return clause;
  });
}

export interface Page<T> {
  readonly items: T[];
  readonly nextPageToken?: string;
}

/** Opaque page token: base64 JSON `{"offset": n}`. */
export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0) {
      return parsed.offset;
    }
  } catch {
    // fall through
  }
  throw new InvalidParameterError(`Invalid page token, could not base64-decode and parse: '${token}'`);
}

export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

export function paginate<T>(
  sorted: readonly T[],
  maxResults: number,
  pageToken: string | undefined,
): Page<T> {
  const offset = decodePageToken(pageToken);
  const items = sorted.slice(offset, offset + maxResults);
  const next = offset + maxResults;
  return next < sorted.length ? { items, nextPageToken: encodePageToken(next) } : { items };
}

export interface RunSearch {
  readonly filter?: string;
  readonly orderBy: readonly string[];
  readonly viewType: ViewType;
  readonly maxResults: number;
  readonly pageToken?: string;
}

/** Filters, orders and pages runs (all clauses validated before anything is read). */
export function searchRuns(runs: readonly Run[], search: RunSearch): Page<Run> {
  const clauses = parseRunFilter(search.filter);
  const order = parseRunOrderBy(search.orderBy);
  decodePageToken(search.pageToken);
  const matching = runs.filter(
    (run) =>
      viewTypeMatches(run.info.lifecycleStage, search.viewType) &&
      clauses.every((clause) => runMatches(run, clause)),
  );
  const tieBreak: OrderClause<Run>[] = [
    { value: (run) => run.info.startTime, ascending: false },
    { value: (run) => run.info.runId, ascending: true },
  ];
  matching.sort(compareBy([...order, ...tieBreak]));
  return paginate(matching, search.maxResults, search.pageToken);
}

/** The metrics, params and tags (and whether dataset inputs) a runs/search filters or orders on. */
export function runSearchFields(search: Pick<RunSearch, 'filter' | 'orderBy'>): {
  metrics: string[];
  params: string[];
  tags: string[];
  datasets: boolean;
} {
  const fields = { metrics: [] as string[], params: [] as string[], tags: [] as string[], datasets: false };
  for (const clause of parseRunFilter(search.filter)) {
    if (clause.type === 'metric') fields.metrics.push(clause.key);
    if (clause.type === 'param') fields.params.push(clause.key);
    if (clause.type === 'tag') fields.tags.push(clause.key);
    if (clause.type === 'dataset') fields.datasets = true;
  }
  for (const clause of parseRunOrderBy(search.orderBy)) {
    const [type, ...rest] = clause.id.split('.');
    const key = rest.join('.');
    if (type === 'metric') fields.metrics.push(key);
    if (type === 'param') fields.params.push(key);
    if (type === 'tag') fields.tags.push(key);
  }
  return fields;
}

/** Validates a runs/search request without running it (used before reading anything). */
export function validateRunSearch(search: RunSearch): void {
  parseRunFilter(search.filter);
  parseRunOrderBy(search.orderBy);
  decodePageToken(search.pageToken);
}

const EXPERIMENT_STRING_ATTRIBUTES = ['name'];
const EXPERIMENT_NUMERIC_ATTRIBUTES = ['creation_time', 'last_update_time'];

function parseExperimentFilter(filter: string | undefined): Clause[] {
  return parseFilter(filter).map((raw) => {
    const entity = raw.entity?.toLowerCase();
    if (entity === 'tags' || entity === 'tag') {
      const allowed: readonly Comparator[] = [...STRING_COMPARATORS, 'IS NULL', 'IS NOT NULL'];
      if (!allowed.includes(raw.comparator)) throw comparatorError(raw.comparator, allowed);
      requireString(raw, 'tags');
      return typedClause(raw, 'tag', raw.key);
    }
    if (entity !== undefined && !['attributes', 'attribute', 'attr'].includes(entity)) {
      throw new InvalidParameterError(
        `Invalid entity type '${raw.entity}'. Valid values are ['tag', 'attribute']`,
      );
    }
    const key = raw.key.toLowerCase();
    if (EXPERIMENT_STRING_ATTRIBUTES.includes(key)) {
      if (!STRING_COMPARATORS.includes(raw.comparator))
        throw comparatorError(raw.comparator, STRING_COMPARATORS);
      requireString(raw, 'attributes');
      return typedClause(raw, 'attribute', key);
    }
    if (EXPERIMENT_NUMERIC_ATTRIBUTES.includes(key)) {
      if (!NUMERIC_COMPARATORS.includes(raw.comparator))
        throw comparatorError(raw.comparator, NUMERIC_COMPARATORS);
      requireNumber(raw, 'attributes');
      return typedClause(raw, 'attribute', key);
    }
    throw new InvalidParameterError(
      `Invalid attribute key '${raw.key}' specified. Valid keys are '${JSON.stringify([...EXPERIMENT_STRING_ATTRIBUTES, ...EXPERIMENT_NUMERIC_ATTRIBUTES])}'`,
    );
  });
}

function experimentValue(experiment: Experiment, clause: { type: EntityType; key: string }) {
  if (clause.type === 'tag') return experiment.tags[clause.key];
  if (clause.key === 'name') return experiment.name;
  if (clause.key === 'experiment_id') return Number(experiment.experimentId);
  if (clause.key === 'creation_time') return experiment.creationTime;
  if (clause.key === 'last_update_time') return experiment.lastUpdateTime;
  return undefined;
}

export interface ExperimentSearch {
  readonly filter?: string;
  readonly orderBy: readonly string[];
  readonly viewType: ViewType;
  readonly maxResults: number;
  readonly pageToken?: string;
}

/** Filters, orders and pages experiments. */
export function searchExperiments(
  experiments: readonly Experiment[],
  search: ExperimentSearch,
): Page<Experiment> {
  const clauses = parseExperimentFilter(search.filter);
  const seen = new Set<string>();
  const order: OrderClause<Experiment>[] = search.orderBy.map((text) => {
    const { identifier, ascending } = splitOrderBy(text);
    const key = identifier.replace(/^(attributes|attribute|attr)\./i, '').toLowerCase();
    if (!['name', 'experiment_id', 'creation_time', 'last_update_time'].includes(key)) {
      throw new InvalidParameterError(
        `Invalid attribute key '${identifier}' specified. Valid keys are '['name', 'experiment_id', 'creation_time', 'last_update_time']'`,
      );
    }
    if (seen.has(key)) throw new InvalidParameterError(`\`order_by\` contains duplicate fields: ['${key}']`);
    seen.add(key);
    return { ascending, value: (e) => experimentValue(e, { type: 'attribute', key }) };
  });
  const matching = experiments.filter(
    (experiment) =>
      viewTypeMatches(experiment.lifecycleStage, search.viewType) &&
      clauses.every((clause) => matchValue(experimentValue(experiment, clause), clause)),
  );
  matching.sort(
    compareBy([
      ...order,
      { value: (e) => e.creationTime, ascending: false },
      { value: (e) => Number(e.experimentId), ascending: true },
    ]),
  );
  return paginate(matching, search.maxResults, search.pageToken);
}

/** One logged-models/search order_by entry, as MLflow's `OrderBy` message carries it. */
export interface LoggedModelOrder {
  readonly fieldName: string;
  readonly ascending: boolean;
  readonly datasetName?: string;
  readonly datasetDigest?: string;
}

const LOGGED_MODEL_ORDER_ATTRIBUTES: Record<string, (model: LoggedModel) => string | number | undefined> = {
  name: (m) => m.name,
  model_id: (m) => m.modelId,
  model_type: (m) => m.modelType,
  status: (m) => LOGGED_MODEL_STATUSES.indexOf(m.status),
  source_run_id: (m) => m.sourceRunId,
  creation_timestamp: (m) => m.creationTimestampMs,
  creation_time: (m) => m.creationTimestampMs,
  last_updated_timestamp: (m) => m.lastUpdatedTimestampMs,
  last_updated_time: (m) => m.lastUpdatedTimestampMs,
};

/**
 * Validates logged-models order_by entries as MLflow does and turns them into sort clauses, with
 * MLflow's tie-breakers appended (creation time, newest first, then model id). Models carry no
 * metrics in this store, so a `metrics.<key>` order leaves them tied.
 */
export function parseLoggedModelOrderBy(orderBy: readonly LoggedModelOrder[]): OrderClause<LoggedModel>[] {
  const clauses: (OrderClause<LoggedModel> & { field: string })[] = orderBy.map((order) => {
    let field = order.fieldName;
    if (field.includes('.')) {
      const entity = field.slice(0, field.indexOf('.'));
      if (entity !== 'metrics') {
        throw new InvalidParameterError(
          `Invalid order by field name: ${entity}, only \`metrics.<name>\` is allowed.`,
        );
      }
    } else {
      field = field.trim();
      if (!Object.hasOwn(LOGGED_MODEL_ORDER_ATTRIBUTES, field)) {
        throw new InvalidParameterError(`Invalid order by field name: ${field}.`);
      }
    }
    if (order.datasetDigest && !order.datasetName) {
      throw new InvalidParameterError(
        '`dataset_digest` can only be specified if `dataset_name` is also specified.',
      );
    }
    if (field === 'creation_time') field = 'creation_timestamp';
    const value = LOGGED_MODEL_ORDER_ATTRIBUTES[field] ?? (() => undefined);
    return { field, ascending: order.ascending, value };
  });
  if (!clauses.some((clause) => clause.field === 'creation_timestamp')) {
    clauses.push({ field: 'creation_timestamp', ascending: false, value: (m) => m.creationTimestampMs });
  }
  if (!clauses.some((clause) => clause.field === 'model_id')) {
    clauses.push({ field: 'model_id', ascending: true, value: (m) => m.modelId });
  }
  return clauses;
}

/** logged-models/search: `name`, `model_id`, `status`, `source_run_id`, `model_type`, tags. and params. */
export function searchLoggedModels(
  models: readonly LoggedModel[],
  search: { filter?: string; orderBy?: readonly LoggedModelOrder[]; maxResults: number; pageToken?: string },
): Page<LoggedModel> {
  const attributes: Record<string, (model: LoggedModel) => string | number | undefined> = {
    name: (m) => m.name,
    model_id: (m) => m.modelId,
    status: (m) => m.status,
    source_run_id: (m) => m.sourceRunId,
    model_type: (m) => m.modelType,
    creation_timestamp: (m) => m.creationTimestampMs,
    creation_time: (m) => m.creationTimestampMs,
    last_updated_timestamp: (m) => m.lastUpdatedTimestampMs,
  };
  const clauses = parseFilter(search.filter).map((raw) => {
    const entity = raw.entity?.toLowerCase();
    const lookup =
      entity === 'tags' || entity === 'tag'
        ? (m: LoggedModel) => m.tags[raw.key]
        : entity === 'params' || entity === 'param'
          ? (m: LoggedModel) => m.params[raw.key]
          : attributes[raw.key.toLowerCase()];
    if (
      !lookup ||
      (entity !== undefined &&
        !['tags', 'tag', 'params', 'param', 'attributes', 'attribute'].includes(entity))
    ) {
      throw new InvalidParameterError(
        `Invalid filter clause on '${raw.entity ? `${raw.entity}.` : ''}${raw.key}'`,
      );
    }
    return { clause: typedClause(raw, 'attribute', raw.key), lookup };
  });
  const order = parseLoggedModelOrderBy(search.orderBy ?? []);
  decodePageToken(search.pageToken);
  const matching = models
    .filter((model) => clauses.every(({ clause, lookup }) => matchValue(lookup(model), clause)))
    .sort(compareBy(order));
  return paginate(matching, search.maxResults, search.pageToken);
}
