import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../../layers/xgboost/errors.ts';
import {
  float32Text,
  parseJsonWithNaN,
  parseXgbModel,
  writeXgbModel,
} from '../../../layers/xgboost/model-json.ts';

const TREE = {
  id: 0,
  tree_param: { num_nodes: '3', num_feature: '2', size_leaf_vector: '0', num_deleted: '0' },
  left_children: [1, -1, -1],
  right_children: [2, -1, -1],
  parents: [2147483647, 0, 0],
  split_indices: [1, 0, 0],
  split_conditions: [0.5, -1.0, 2.0],
  default_left: [1, 0, 0],
  split_type: [0, 0, 0],
  categories: [],
  categories_nodes: [],
  categories_segments: [],
  categories_sizes: [],
  base_weights: [0, 0, 0],
  loss_changes: [0, 0, 0],
  sum_hessian: [0, 0, 0],
};

function modelJson(overrides: { tree?: object; baseScore?: string; objective?: string } = {}) {
  return JSON.stringify({
    learner: {
      attributes: {},
      feature_names: [],
      feature_types: [],
      learner_model_param: { base_score: overrides.baseScore ?? '5E-1', num_class: '0', num_feature: '2' },
      objective: {
        name: overrides.objective ?? 'reg:squarederror',
        reg_loss_param: { scale_pos_weight: '1' },
      },
      gradient_booster: {
        name: 'gbtree',
        model: {
          gbtree_model_param: { num_trees: '1', num_parallel_tree: '1' },
          tree_info: [0],
          trees: [{ ...TREE, ...overrides.tree }],
        },
      },
    },
    version: [1, 7, 4],
  });
}

describe('parseXgbModel', () => {
  it('reads base_score in both the scalar and the xgboost 3.1 vector form', () => {
    expect(parseXgbModel(modelJson({ baseScore: '3E-1' })).baseScore).toBe(0.3);
    expect(parseXgbModel(modelJson({ baseScore: '[3E-1]' })).baseScore).toBe(0.3);
  });

  it('throws ModelFormatError for text that is not JSON', () => {
    expect(() => parseXgbModel('{"learner": ')).toThrow(ModelFormatError);
  });

  it('names the inconsistent array when a tree is malformed', () => {
    expect(() => parseXgbModel(modelJson({ tree: { left_children: [1, -1] } }))).toThrow(
      new ModelFormatError('trees[0].left_children has 2 entries, num_nodes is 3'),
    );
  });

  it('rejects a split on a feature the model does not have', () => {
    expect(() => parseXgbModel(modelJson({ tree: { split_indices: [5, 0, 0] } }))).toThrow(
      new ModelFormatError('trees[0] node 0 splits on feature 5; num_feature is 2'),
    );
  });

  it('rejects tree ids that differ from their index (which abort xgboost itself)', () => {
    expect(() => parseXgbModel(modelJson({ tree: { id: 3 } }))).toThrow(
      new ModelFormatError('trees[0] has id 3; tree ids must equal their index'),
    );
  });

  it('rejects objectives it cannot evaluate', () => {
    expect(() => parseXgbModel(modelJson({ objective: 'rank:pairwise' }))).toThrow(
      /unsupported objective rank:pairwise/,
    );
  });
});

describe('parseJsonWithNaN', () => {
  it('reads bare NaN and infinities outside strings and leaves strings alone', () => {
    expect(parseJsonWithNaN('{"a":[NaN,1.5,-Infinity],"s":"NaN"}')).toEqual({
      a: [null, 1.5, Number.NEGATIVE_INFINITY],
      s: 'NaN',
    });
  });
});

describe('writeXgbModel', () => {
  it('writes floats with a point or exponent, in shortest float32 form', () => {
    expect(float32Text(309)).toBe('309.0');
    expect(float32Text(154.06472778320312)).toBe('154.06473');
    expect(float32Text(5e-7)).toBe('5E-7');
  });

  it('writes parameter values as strings and round-trips the model', () => {
    const model = parseXgbModel(modelJson({ baseScore: '0.25' }));
    const text = writeXgbModel(model);
    expect(text.startsWith('{"')).toBe(true);
    expect(text).toContain('"num_feature":"2"');
    expect(text).toContain('"base_score":"0.25"');
    expect(text).toContain('"sum_hessian":[0.0,0.0,0.0]');
    expect(parseXgbModel(text)).toEqual(model);
  });
});
