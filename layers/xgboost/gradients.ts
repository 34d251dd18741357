/**
 * First and second derivatives of each objective's loss with respect to the margin, as XGBoost
 * 1.7 computes them (`src/objective/regression_loss.h`, `multiclass_obj.cu`, ...).
 */
import type { ObjectiveName } from './objectives.ts';
import { sigmoid } from './objectives.ts';

export interface GradientOptions {
  readonly scalePosWeight: number;
  readonly tweedieVariancePower: number;
  /** Poisson's hessian is computed at `margin + maxDeltaStep`. */
  readonly maxDeltaStep: number;
}

const EPS = 1e-16;

/**
 * Fills `grad`/`hess` (`rows × groups`, row-major) from the margins and labels. For multi-class
 * objectives the labels are class indices.
 */
export function computeGradients(
  objective: ObjectiveName,
  margins: Float32Array,
  labels: Float32Array,
  groups: number,
  options: GradientOptions,
  grad: Float64Array,
  hess: Float64Array,
): void {
  const rows = labels.length;
  switch (objective) {
    case 'reg:squarederror':
      for (let r = 0; r < rows; r++) {
        grad[r] = (margins[r] as number) - (labels[r] as number);
        hess[r] = 1;
      }
      return;
    case 'reg:logistic':
    case 'binary:logistic':
    case 'binary:logitraw':
      for (let r = 0; r < rows; r++) {
        const y = labels[r] as number;
        const p = sigmoid(margins[r] as number);
        const w = y === 1 ? options.scalePosWeight : 1;
        grad[r] = (p - y) * w;
        hess[r] = Math.max(p * (1 - p), EPS) * w;
      }
      return;
    case 'multi:softprob':
    case 'multi:softmax': {
      const p = new Float64Array(groups);
      for (let r = 0; r < rows; r++) {
        const o = r * groups;
        let max = margins[o] as number;
        for (let k = 1; k < groups; k++) max = Math.max(max, margins[o + k] as number);
        let sum = 0;
        for (let k = 0; k < groups; k++) {
          p[k] = Math.exp((margins[o + k] as number) - max);
          sum += p[k] as number;
        }
        const y = labels[r] as number;
        for (let k = 0; k < groups; k++) {
          const pk = (p[k] as number) / sum;
          grad[o + k] = k === y ? pk - 1 : pk;
          hess[o + k] = Math.max(2 * pk * (1 - pk), EPS);
        }
      }
      return;
    }
    case 'count:poisson':
      for (let r = 0; r < rows; r++) {
        const m = margins[r] as number;
        grad[r] = Math.exp(m) - (labels[r] as number);
        hess[r] = Math.exp(m + options.maxDeltaStep);
      }
      return;
    case 'reg:gamma':
      for (let r = 0; r < rows; r++) {
        const ratio = (labels[r] as number) / Math.exp(margins[r] as number);
        grad[r] = 1 - ratio;
        hess[r] = Math.max(ratio, EPS);
      }
      return;
    case 'reg:tweedie': {
      const rho = options.tweedieVariancePower;
      for (let r = 0; r < rows; r++) {
        const m = margins[r] as number;
        const y = labels[r] as number;
        const a = Math.exp((1 - rho) * m);
        const b = Math.exp((2 - rho) * m);
        grad[r] = -y * a + b;
        hess[r] = -y * (1 - rho) * a + (2 - rho) * b;
      }
      return;
    }
  }
}
