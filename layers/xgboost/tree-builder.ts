/**
 * Grows one regression tree with the hist method, depth-wise, from per-row gradient statistics.
 *
 * Each node's histogram sums gradient and hessian per bin (missing values in the feature's own
 * slot); only the smaller child of a split is built from its rows, the larger is the parent's
 * histogram minus it. A split is searched over every bin boundary of every sampled feature, with
 * missing values tried on both sides, so the default direction is learned. Gains and weights are
 * XGBoost's: with `T(G) = sign(G)·max(|G| − alpha, 0)`, weight `−T(G)/(H + lambda)` (clipped to
 * `max_delta_step` when set), gain `T(G)²/(H + lambda)`; splits need `min_child_weight` hessian on
 * each side, and splits whose loss change is below `gamma` are pruned bottom-up as xgboost does.
 */
import type { BinnedMatrix } from './quantile-bins.ts';

export interface TreeParams {
  readonly eta: number;
  readonly maxDepth: number;
  readonly minChildWeight: number;
  readonly lambda: number;
  readonly alpha: number;
  readonly gamma: number;
  readonly maxDeltaStep: number;
}

/** A grown tree: XGBoost's node arrays plus the split bin of each node (for walking binned rows). */
export interface GrownTree {
  readonly left: number[];
  readonly right: number[];
  readonly parent: number[];
  readonly feature: number[];
  /** Global slot of the last bin that goes left (splits only). */
  readonly splitSlot: number[];
  readonly threshold: number[];
  readonly defaultLeft: number[];
  /** Unscaled weight of every node. */
  readonly weight: number[];
  /** Leaf value (weight × eta, float32) at leaves; threshold at splits. */
  readonly value: number[];
  readonly lossChange: number[];
  readonly sumHessian: number[];
}

interface Node {
  readonly id: number;
  readonly begin: number;
  readonly end: number;
  readonly g: number;
  readonly h: number;
  readonly hist: Float64Array;
}

interface Split {
  gain: number;
  feature: number;
  slot: number;
  localBin: number;
  defaultLeft: boolean;
  gl: number;
  hl: number;
}

/**
 * Grows a tree over the rows `rowIndex[0..count)` (a subsample), considering only `features`.
 * `grad`/`hess` are indexed `row * stride + group`. `rowIndex` is reordered in place.
 */
export function growTree(
  data: BinnedMatrix,
  grad: Float64Array,
  hess: Float64Array,
  stride: number,
  group: number,
  rowIndex: Uint32Array,
  count: number,
  features: Int32Array,
  params: TreeParams,
): GrownTree {
  const tree: GrownTree = {
    left: [],
    right: [],
    parent: [],
    feature: [],
    splitSlot: [],
    threshold: [],
    defaultLeft: [],
    weight: [],
    value: [],
    lossChange: [],
    sumHessian: [],
  };
  const addNode = (parent: number, g: number, h: number): number => {
    const id = tree.left.length;
    tree.left.push(-1);
    tree.right.push(-1);
    tree.parent.push(parent);
    tree.feature.push(0);
    tree.splitSlot.push(0);
    tree.threshold.push(0);
    tree.defaultLeft.push(0);
    const w = weightOf(g, h, params);
    tree.weight.push(w);
    tree.value.push(Math.fround(Math.fround(w) * Math.fround(params.eta)));
    tree.lossChange.push(0);
    tree.sumHessian.push(h);
    return id;
  };

  const rootHist = buildHistogram(data, grad, hess, stride, group, rowIndex, 0, count, features);
  let g0 = 0;
  let h0 = 0;
  for (let i = 0; i < count; i++) {
    const r = rowIndex[i] as number;
    g0 += grad[r * stride + group] as number;
    h0 += hess[r * stride + group] as number;
  }
  let level: Node[] = [
    { id: addNode(2147483647, g0, h0), begin: 0, end: count, g: g0, h: h0, hist: rootHist },
  ];
  for (let depth = 0; depth < params.maxDepth && level.length > 0; depth++) {
    const next: Node[] = [];
    for (const node of level) {
      const split = findSplit(data, node, features, params);
      if (!split) continue;
      const mid = partition(data, rowIndex, node.begin, node.end, split);
      const gr = node.g - split.gl;
      const hr = node.h - split.hl;
      const l = addNode(node.id, split.gl, split.hl);
      const r = addNode(node.id, gr, hr);
      tree.left[node.id] = l;
      tree.right[node.id] = r;
      tree.feature[node.id] = split.feature;
      tree.splitSlot[node.id] = split.slot;
      const cuts = data.cuts[split.feature] as Float32Array;
      tree.threshold[node.id] = cuts[split.localBin] as number;
      tree.value[node.id] = cuts[split.localBin] as number;
      tree.defaultLeft[node.id] = split.defaultLeft ? 1 : 0;
      tree.lossChange[node.id] = split.gain;
      if (depth + 1 >= params.maxDepth) continue;
      const leftSmaller = mid - node.begin <= node.end - mid;
      const small = leftSmaller
        ? buildHistogram(data, grad, hess, stride, group, rowIndex, node.begin, mid, features)
        : buildHistogram(data, grad, hess, stride, group, rowIndex, mid, node.end, features);
      const large = node.hist;
      for (let i = 0; i < large.length; i++) large[i] = (large[i] as number) - (small[i] as number);
      next.push(
        { id: l, begin: node.begin, end: mid, g: split.gl, h: split.hl, hist: leftSmaller ? small : large },
        { id: r, begin: mid, end: node.end, g: gr, h: hr, hist: leftSmaller ? large : small },
      );
    }
    level = next;
  }
  pruneByGamma(tree, params);
  return tree;
}

function thresholdL1(g: number, alpha: number): number {
  if (g > alpha) return g - alpha;
  if (g < -alpha) return g + alpha;
  return 0;
}

function weightOf(g: number, h: number, p: TreeParams): number {
  if (h <= 0) return 0;
  let w = -thresholdL1(g, p.alpha) / (h + p.lambda);
  if (p.maxDeltaStep > 0) w = Math.max(-p.maxDeltaStep, Math.min(p.maxDeltaStep, w));
  return w;
}

function gainOf(g: number, h: number, p: TreeParams): number {
  if (h <= 0) return 0;
  if (p.maxDeltaStep > 0) {
    const w = weightOf(g, h, p);
    return -(2 * g * w + (h + p.lambda) * w * w) - (p.alpha > 0 ? 2 * p.alpha * Math.abs(w) : 0);
  }
  const t = thresholdL1(g, p.alpha);
  return (t * t) / (h + p.lambda);
}

function buildHistogram(
  data: BinnedMatrix,
  grad: Float64Array,
  hess: Float64Array,
  stride: number,
  group: number,
  rowIndex: Uint32Array,
  begin: number,
  end: number,
  features: Int32Array,
): Float64Array {
  const hist = new Float64Array(data.slots * 2);
  const bins = data.bins;
  const width = data.features;
  const nf = features.length;
  if (nf === width) {
    for (let i = begin; i < end; i++) {
      const r = rowIndex[i] as number;
      const g = grad[r * stride + group] as number;
      const h = hess[r * stride + group] as number;
      const base = r * width;
      for (let f = 0; f < width; f++) {
        const s = (bins[base + f] as number) << 1;
        hist[s] = (hist[s] as number) + g;
        hist[s + 1] = (hist[s + 1] as number) + h;
      }
    }
    return hist;
  }
  for (let i = begin; i < end; i++) {
    const r = rowIndex[i] as number;
    const g = grad[r * stride + group] as number;
    const h = hess[r * stride + group] as number;
    const base = r * width;
    for (let k = 0; k < nf; k++) {
      const s = (bins[base + (features[k] as number)] as number) << 1;
      hist[s] = (hist[s] as number) + g;
      hist[s + 1] = (hist[s + 1] as number) + h;
    }
  }
  return hist;
}

const RT_EPS = 1e-6;

function findSplit(data: BinnedMatrix, node: Node, features: Int32Array, p: TreeParams): Split | undefined {
  const parentGain = gainOf(node.g, node.h, p);
  const hist = node.hist;
  let best: Split | undefined;
  let bestGain = RT_EPS;
  for (let k = 0; k < features.length; k++) {
    const f = features[k] as number;
    const nCuts = (data.cuts[f] as Float32Array).length;
    if (nCuts === 0) continue;
    const offset = data.offsets[f] as number;
    const missing = offset + nCuts + 1;
    const gm = hist[missing * 2] as number;
    const hm = hist[missing * 2 + 1] as number;
    let gl = 0;
    let hl = 0;
    for (let j = 0; j < nCuts; j++) {
      gl += hist[(offset + j) * 2] as number;
      hl += hist[(offset + j) * 2 + 1] as number;
      // Missing values left (tried first, so it wins ties as in xgboost's backward pass), then right.
      for (let side = 0; side < 2; side++) {
        const gL = side === 0 ? gl + gm : gl;
        const hL = side === 0 ? hl + hm : hl;
        const gR = node.g - gL;
        const hR = node.h - hL;
        if (hL < p.minChildWeight || hR < p.minChildWeight) continue;
        const gain = gainOf(gL, hL, p) + gainOf(gR, hR, p) - parentGain;
        if (gain > bestGain) {
          bestGain = gain;
          best = { gain, feature: f, slot: offset + j, localBin: j, defaultLeft: side === 0, gl: gL, hl: hL };
        }
        if (hm === 0) break;
      }
    }
  }
  return best;
}

/** Moves the rows going left to the front of the segment; returns the first right position. */
function partition(
  data: BinnedMatrix,
  rowIndex: Uint32Array,
  begin: number,
  end: number,
  split: Split,
): number {
  const bins = data.bins;
  const width = data.features;
  const f = split.feature;
  const missing = (data.offsets[f] as number) + (data.cuts[f] as Float32Array).length + 1;
  let i = begin;
  let j = end - 1;
  const goesLeft = (r: number) => {
    const s = bins[r * width + f] as number;
    return s === missing ? split.defaultLeft : s <= split.slot;
  };
  while (i <= j) {
    if (goesLeft(rowIndex[i] as number)) i++;
    else {
      const t = rowIndex[i] as number;
      rowIndex[i] = rowIndex[j] as number;
      rowIndex[j] = t;
      j--;
    }
  }
  return i;
}

/** Turns splits whose loss change is below gamma back into leaves, from the bottom up. */
function pruneByGamma(tree: GrownTree, p: TreeParams): void {
  if (p.gamma <= 0) return;
  for (let n = tree.left.length - 1; n >= 0; n--) {
    const l = tree.left[n] as number;
    if (l === -1) continue;
    const r = tree.right[n] as number;
    if (tree.left[l] === -1 && tree.left[r] === -1 && (tree.lossChange[n] as number) < p.gamma) {
      tree.left[n] = -1;
      tree.right[n] = -1;
      tree.value[n] = Math.fround(Math.fround(tree.weight[n] as number) * Math.fround(p.eta));
      tree.lossChange[n] = 0;
    }
  }
}

/** The leaf a binned row reaches. */
export function leafOfBinnedRow(tree: GrownTree, data: BinnedMatrix, row: number): number {
  let n = 0;
  const base = row * data.features;
  while ((tree.left[n] as number) !== -1) {
    const f = tree.feature[n] as number;
    const s = data.bins[base + f] as number;
    const missing = (data.offsets[f] as number) + (data.cuts[f] as Float32Array).length + 1;
    const left = s === missing ? tree.defaultLeft[n] === 1 : s <= (tree.splitSlot[n] as number);
    n = left ? (tree.left[n] as number) : (tree.right[n] as number);
  }
  return n;
}
