/**
 * Reading and writing XGBoost's JSON model format (`doc/model.schema`; the layout xgboost 1.7 writes).
 *
 * Reading tolerates the bare `NaN` xgboost writes into `split_conditions` of categorical splits
 * (not valid JSON) and both `base_score` forms ("5E-1", and 3.1's "[5E-1]"), and checks that the
 * trees are consistent, so that a broken file fails here with a message rather than later with a
 * wrong prediction.
 *
 * Writing follows the rules under which real xgboost loads another program's JSON and predicts
 * identically: every parameter value is a string; every float is written as a float (with a
 * decimal point or exponent; `309` would be read as an integer and rejected) in its shortest
 * float32 form (a `base_score` with more than 9 significant digits is silently ignored by
 * xgboost's loader); tree ids equal their index and `parents` agree with the children; the text
 * starts with `{"` (xgboost detects JSON by its first byte).
 */
import { ModelFormatError } from './errors.ts';
import { isMulticlass, type ObjectiveName, objectiveParamDefaults, parseObjective } from './objectives.ts';

/** One regression tree, in the arrays of the JSON format (node 0 is the root). */
export interface XgbTree {
  readonly leftChildren: readonly number[];
  readonly rightChildren: readonly number[];
  readonly parents: readonly number[];
  readonly splitIndices: readonly number[];
  /** Threshold at splits (go left when `x < threshold`); the leaf value (already × eta) at leaves. */
  readonly splitConditions: readonly number[];
  readonly defaultLeft: readonly number[];
  /** 0 numeric, 1 categorical. */
  readonly splitType: readonly number[];
  readonly categories: readonly number[];
  readonly categoriesNodes: readonly number[];
  readonly categoriesSegments: readonly number[];
  readonly categoriesSizes: readonly number[];
  readonly baseWeights: readonly number[];
  readonly lossChanges: readonly number[];
  readonly sumHessian: readonly number[];
}

/** The parts of an XGBoost model that prediction, training and packaging use. */
export interface XgbModel {
  readonly version: readonly [number, number, number];
  readonly objective: ObjectiveName;
  /** The objective's parameter objects (`reg_loss_param`, ...), kept as written. */
  readonly objectiveParams: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** In output space (a probability for logistic objectives). */
  readonly baseScore: number;
  /** 0 for regression and binary objectives. */
  readonly numClass: number;
  readonly numFeature: number;
  readonly featureNames: readonly string[];
  readonly featureTypes: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
  readonly numParallelTree: number;
  /** Output group (class) of each tree. */
  readonly treeInfo: readonly number[];
  readonly trees: readonly XgbTree[];
  /** DART's per-tree weights; undefined for gbtree. */
  readonly weightDrop?: readonly number[];
}

/** Parses XGBoost JSON model text, or throws ModelFormatError saying what is wrong. */
export function parseXgbModel(text: string): XgbModel {
  let json: unknown;
  try {
    json = parseJsonWithNaN(text);
  } catch (error) {
    throw new ModelFormatError(`model is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const learner = field(json, 'learner', 'object', 'model') as Record<string, unknown>;
  const objectiveJson = field(learner, 'objective', 'object', 'learner') as Record<string, unknown>;
  const objective = parseObjective(field(objectiveJson, 'name', 'string', 'learner.objective') as string);
  const mp = field(learner, 'learner_model_param', 'object', 'learner') as Record<string, unknown>;
  const baseScore = parseBaseScore(String(field(mp, 'base_score', 'string', 'learner_model_param')));
  const numClass = intParam(mp, 'num_class', 'learner_model_param');
  const numFeature = intParam(mp, 'num_feature', 'learner_model_param');
  if (isMulticlass(objective) && numClass < 2) {
    throw new ModelFormatError(`${objective} needs num_class >= 2, got ${numClass}`);
  }
  const booster = field(learner, 'gradient_booster', 'object', 'learner') as Record<string, unknown>;
  const boosterName = field(booster, 'name', 'string', 'gradient_booster');
  let gbtree: Record<string, unknown>;
  let weightDrop: number[] | undefined;
  if (boosterName === 'gbtree') gbtree = booster;
  else if (boosterName === 'dart') {
    gbtree = field(booster, 'gbtree', 'object', 'gradient_booster') as Record<string, unknown>;
    weightDrop = numberArray(field(booster, 'weight_drop', 'array', 'gradient_booster'), 'weight_drop');
  } else {
    throw new ModelFormatError(`unsupported booster ${String(boosterName)} (supported: gbtree, dart)`);
  }
  const model = field(gbtree, 'model', 'object', 'gradient_booster') as Record<string, unknown>;
  const gbParam = field(model, 'gbtree_model_param', 'object', 'model') as Record<string, unknown>;
  const numTrees = intParam(gbParam, 'num_trees', 'gbtree_model_param');
  const numParallelTree =
    gbParam.num_parallel_tree === undefined
      ? 1
      : intParam(gbParam, 'num_parallel_tree', 'gbtree_model_param');
  const treesJson = field(model, 'trees', 'array', 'model') as unknown[];
  const treeInfo = numberArray(field(model, 'tree_info', 'array', 'model'), 'tree_info');
  if (treesJson.length !== numTrees || treeInfo.length !== numTrees) {
    throw new ModelFormatError(
      `num_trees is ${numTrees} but the model has ${treesJson.length} trees and ${treeInfo.length} tree_info entries`,
    );
  }
  const groups = Math.max(1, numClass);
  treeInfo.forEach((group, i) => {
    if (!Number.isInteger(group) || group < 0 || group >= groups) {
      throw new ModelFormatError(`tree_info[${i}] is ${group}, outside 0..${groups - 1}`);
    }
  });
  if (weightDrop && weightDrop.length !== numTrees) {
    throw new ModelFormatError(`weight_drop has ${weightDrop.length} entries for ${numTrees} trees`);
  }
  const trees = treesJson.map((tree, i) => parseTree(tree, i, numFeature));
  const objectiveParams: Record<string, Record<string, string>> = {};
  for (const [key, value] of Object.entries(objectiveJson)) {
    if (key !== 'name' && value && typeof value === 'object') {
      objectiveParams[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
    }
  }
  const version = Array.isArray((json as Record<string, unknown>).version)
    ? ((json as { version: number[] }).version.slice(0, 3) as [number, number, number])
    : ([1, 7, 4] as const);
  return {
    version: [version[0] ?? 1, version[1] ?? 0, version[2] ?? 0],
    objective,
    objectiveParams,
    baseScore,
    numClass,
    numFeature,
    featureNames: stringArray(learner.feature_names),
    featureTypes: stringArray(learner.feature_types),
    attributes: Object.fromEntries(
      Object.entries((learner.attributes as Record<string, unknown> | undefined) ?? {}).map(([k, v]) => [
        k,
        String(v),
      ]),
    ),
    numParallelTree,
    treeInfo,
    trees,
    ...(weightDrop ? { weightDrop } : {}),
  };
}

function parseTree(json: unknown, index: number, numFeature: number): XgbTree {
  const where = `trees[${index}]`;
  if (!json || typeof json !== 'object') throw new ModelFormatError(`${where} is not an object`);
  const t = json as Record<string, unknown>;
  if (t.id !== undefined && Number(t.id) !== index) {
    throw new ModelFormatError(`${where} has id ${String(t.id)}; tree ids must equal their index`);
  }
  const treeParam = field(t, 'tree_param', 'object', where) as Record<string, unknown>;
  const numNodes = intParam(treeParam, 'num_nodes', `${where}.tree_param`);
  const arr = (name: string, optional = false): number[] => {
    if (optional && t[name] === undefined) return [];
    const values = numberArray(field(t, name, 'array', where), `${where}.${name}`);
    return values;
  };
  const left = arr('left_children');
  const right = arr('right_children');
  const splitIndices = arr('split_indices');
  const splitConditions = arr('split_conditions');
  const defaultLeft = arr('default_left');
  for (const [name, values] of [
    ['left_children', left],
    ['right_children', right],
    ['split_indices', splitIndices],
    ['split_conditions', splitConditions],
    ['default_left', defaultLeft],
  ] as const) {
    if (values.length !== numNodes) {
      throw new ModelFormatError(`${where}.${name} has ${values.length} entries, num_nodes is ${numNodes}`);
    }
  }
  const splitType = t.split_type === undefined ? new Array<number>(numNodes).fill(0) : arr('split_type');
  for (let n = 0; n < numNodes; n++) {
    const l = left[n] as number;
    const r = right[n] as number;
    if (l === -1) continue;
    if (!(l > n && l < numNodes && r > n && r < numNodes)) {
      throw new ModelFormatError(
        `${where} node ${n} has children ${l}, ${r} outside ${n + 1}..${numNodes - 1}`,
      );
    }
    const feature = splitIndices[n] as number;
    if (!Number.isInteger(feature) || feature < 0 || (numFeature > 0 && feature >= numFeature)) {
      throw new ModelFormatError(
        `${where} node ${n} splits on feature ${feature}; num_feature is ${numFeature}`,
      );
    }
  }
  const categoriesNodes = arr('categories_nodes', true);
  const categoriesSegments = arr('categories_segments', true);
  const categoriesSizes = arr('categories_sizes', true);
  const categories = arr('categories', true);
  if (
    categoriesSegments.length !== categoriesNodes.length ||
    categoriesSizes.length !== categoriesNodes.length
  ) {
    throw new ModelFormatError(`${where} categories_nodes, _segments and _sizes differ in length`);
  }
  const parents = t.parents === undefined ? deriveParents(left, right) : arr('parents');
  return {
    leftChildren: left,
    rightChildren: right,
    parents,
    splitIndices,
    splitConditions,
    defaultLeft: defaultLeft.map((v) => (v ? 1 : 0)),
    splitType,
    categories,
    categoriesNodes,
    categoriesSegments,
    categoriesSizes,
    baseWeights: t.base_weights === undefined ? new Array<number>(numNodes).fill(0) : arr('base_weights'),
    lossChanges: t.loss_changes === undefined ? new Array<number>(numNodes).fill(0) : arr('loss_changes'),
    sumHessian: t.sum_hessian === undefined ? new Array<number>(numNodes).fill(0) : arr('sum_hessian'),
  };
}

function deriveParents(left: readonly number[], right: readonly number[]): number[] {
  const parents = new Array<number>(left.length).fill(ROOT_PARENT);
  left.forEach((l, n) => {
    if (l !== -1) {
      parents[l] = n;
      parents[right[n] as number] = n;
    }
  });
  return parents;
}

/** `parents[0]` in xgboost's JSON (INT32_MAX). */
export const ROOT_PARENT = 2147483647;

/** `"5E-1"`, `"0.5"` or xgboost 3.1's `"[5E-1]"`. */
function parseBaseScore(text: string): number {
  const inner =
    text
      .trim()
      .replace(/^\[(.*)\]$/, '$1')
      .split(',')[0]
      ?.trim() ?? '';
  const value = Number(inner);
  if (inner === '' || !Number.isFinite(value))
    throw new ModelFormatError(`base_score ${text} is not a number`);
  return value;
}

/**
 * JSON.parse that also accepts the bare `NaN`, `Infinity` and `-Infinity` tokens xgboost writes.
 * NaN becomes null (read back as NaN by `numberArray`); infinities become out-of-range literals.
 */
export function parseJsonWithNaN(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
  }
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 78 && text.startsWith('NaN', i)) {
      const sign = text[i - 1] === '-' || text[i - 1] === '+' ? 1 : 0;
      out += `${text.slice(last, i - sign)}null`;
      last = i + 3;
      i += 2;
    } else if (c === 73 && text.startsWith('Infinity', i)) {
      out += `${text.slice(last, i)}1e999`;
      last = i + 8;
      i += 7;
    }
  }
  return JSON.parse(out + text.slice(last));
}

type Kind = 'object' | 'array' | 'string';

function field(parent: unknown, name: string, kind: Kind, where: string): unknown {
  const value = parent && typeof parent === 'object' ? (parent as Record<string, unknown>)[name] : undefined;
  const ok =
    kind === 'array'
      ? Array.isArray(value)
      : kind === 'object'
        ? value !== null && typeof value === 'object' && !Array.isArray(value)
        : typeof value === 'string' || typeof value === 'number';
  if (!ok) {
    throw new ModelFormatError(
      value === undefined
        ? `${where} has no ${name}`
        : `${where}.${name} is not ${kind === 'array' ? 'an' : 'a'} ${kind}`,
    );
  }
  return value;
}

function intParam(parent: Record<string, unknown>, name: string, where: string): number {
  const raw = field(parent, name, 'string', where);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new ModelFormatError(`${where}.${name} is ${String(raw)}, not a count`);
  return value;
}

function numberArray(values: unknown, where: string): number[] {
  const list = values as unknown[];
  const out = new Array<number>(list.length);
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v === 'number') out[i] = v;
    else if (v === null) out[i] = Number.NaN;
    else if (typeof v === 'boolean') out[i] = v ? 1 : 0;
    else throw new ModelFormatError(`${where}[${i}] is not a number`);
  }
  return out;
}

function stringArray(values: unknown): string[] {
  return Array.isArray(values) ? values.map(String) : [];
}

/** The shortest decimal form that reads back as the same float32, always with a point or exponent. */
export function float32Text(value: number): string {
  const f = Math.fround(value);
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? 'Infinity' : '-Infinity';
  for (let digits = 1; digits <= 9; digits++) {
    const text = f.toPrecision(digits);
    if (Math.fround(Number(text)) === f) return asFloatLiteral(text);
  }
  return asFloatLiteral(f.toPrecision(9));
}

function asFloatLiteral(text: string): string {
  const normal = text.replace('e+', 'E').replace('e', 'E');
  return /[.E]/.test(normal) ? normal : `${normal}.0`;
}

/** Serialises a model as compact XGBoost JSON that xgboost 1.7 and later load. */
export function writeXgbModel(model: XgbModel): string {
  const floats = (values: readonly number[]) => `[${values.map(float32Text).join(',')}]`;
  const ints = (values: readonly number[]) => `[${values.map((v) => String(Math.trunc(v))).join(',')}]`;
  const str = (value: string) => JSON.stringify(value);
  const obj = (entries: readonly (readonly [string, string])[]) =>
    `{${entries.map(([k, v]) => `${str(k)}:${v}`).join(',')}}`;
  const strings = (record: Readonly<Record<string, string>>) =>
    obj(Object.entries(record).map(([k, v]) => [k, str(v)] as const));
  const trees = model.trees.map((tree, id) => {
    const numNodes = tree.leftChildren.length;
    return obj([
      ['base_weights', floats(tree.baseWeights)],
      ['categories', ints(tree.categories)],
      ['categories_nodes', ints(tree.categoriesNodes)],
      ['categories_segments', ints(tree.categoriesSegments)],
      ['categories_sizes', ints(tree.categoriesSizes)],
      ['default_left', ints(tree.defaultLeft)],
      ['id', String(id)],
      ['left_children', ints(tree.leftChildren)],
      ['loss_changes', floats(tree.lossChanges)],
      ['parents', ints(tree.parents)],
      ['right_children', ints(tree.rightChildren)],
      ['split_conditions', floats(tree.splitConditions)],
      ['split_indices', ints(tree.splitIndices)],
      ['split_type', ints(tree.splitType)],
      ['sum_hessian', floats(tree.sumHessian)],
      [
        'tree_param',
        strings({
          num_deleted: '0',
          num_feature: String(model.numFeature),
          num_nodes: String(numNodes),
          size_leaf_vector: '0',
        }),
      ],
    ]);
  });
  const gbtreeModel = obj([
    [
      'gbtree_model_param',
      strings({
        num_parallel_tree: String(model.numParallelTree),
        num_trees: String(model.trees.length),
        size_leaf_vector: '0',
      }),
    ],
    ['tree_info', ints(model.treeInfo)],
    ['trees', `[${trees.join(',')}]`],
  ]);
  const booster = model.weightDrop
    ? obj([
        [
          'gbtree',
          obj([
            ['model', gbtreeModel],
            ['name', str('gbtree')],
          ]),
        ],
        ['name', str('dart')],
        ['weight_drop', floats(model.weightDrop)],
      ])
    : obj([
        ['model', gbtreeModel],
        ['name', str('gbtree')],
      ]);
  const objectiveParams =
    Object.keys(model.objectiveParams).length > 0
      ? model.objectiveParams
      : objectiveParamDefaults(model.objective, model.numClass);
  const objective = obj([
    ['name', str(model.objective)],
    ...Object.entries(objectiveParams).map(([k, v]) => [k, strings(v)] as const),
  ]);
  const learner = obj([
    ['attributes', strings(model.attributes)],
    ['feature_names', `[${model.featureNames.map(str).join(',')}]`],
    ['feature_types', `[${model.featureTypes.map(str).join(',')}]`],
    ['gradient_booster', booster],
    [
      'learner_model_param',
      strings({
        base_score: float32Text(model.baseScore),
        boost_from_average: '1',
        num_class: String(model.numClass),
        num_feature: String(model.numFeature),
        num_target: '1',
      }),
    ],
    ['objective', objective],
  ]);
  return obj([
    ['learner', learner],
    ['version', ints(model.version)],
  ]);
}
