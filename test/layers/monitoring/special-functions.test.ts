import { describe, expect, it } from 'vitest';
import {
  chiSquareSurvival,
  erfc,
  kolmogorovSurvival,
  logGamma,
  normalSurvival,
} from '../../../layers/monitoring/special-functions.ts';
import { python, scipyAvailable } from './python-reference.ts';

describe.runIf(scipyAvailable)('special functions against SciPy', () => {
  const xs = [-3, -1.5, -0.2, 0, 0.1, 0.7, 1.3, 2.2, 3.9, 6];
  const chi = [
    [0.5, 1],
    [3.84, 1],
    [10, 3],
    [2, 7],
    [25, 9],
    [120, 100],
    [60, 100],
    [0.01, 2],
  ] as const;
  const lambdas = [0.2, 0.5, 0.8, 1.0, 1.17, 1.19, 1.36, 1.63, 2, 3];
  const reference = python<{
    erfc: number[];
    sf: number[];
    lgamma: number[];
    chi: number[];
    kolmogorov: number[];
  }>(
    `out = {
  'erfc': [float(scipy.special.erfc(x)) for x in data['xs']],
  'sf': [float(scipy.stats.norm.sf(x)) for x in data['xs']],
  'lgamma': [float(scipy.special.gammaln(abs(x) + 0.5)) for x in data['xs']],
  'chi': [float(scipy.stats.chi2.sf(x, k)) for x, k in data['chi']],
  'kolmogorov': [float(scipy.special.kolmogorov(l)) for l in data['lambdas']],
}`,
    { xs, chi, lambdas },
  );

  it('matches scipy.special.erfc and scipy.stats.norm.sf', () => {
    xs.forEach((x, i) => {
      expect(erfc(x)).toBeCloseTo(reference.erfc[i] as number, 6);
      expect(normalSurvival(x)).toBeCloseTo(reference.sf[i] as number, 6);
    });
  });

  it('matches scipy.special.gammaln', () => {
    xs.forEach((x, i) => {
      expect(logGamma(Math.abs(x) + 0.5)).toBeCloseTo(reference.lgamma[i] as number, 10);
    });
  });

  it('matches scipy.stats.chi2.sf', () => {
    chi.forEach(([x, k], i) => {
      expect(chiSquareSurvival(x, k)).toBeCloseTo(reference.chi[i] as number, 9);
    });
  });

  it('matches scipy.special.kolmogorov on both sides of the series switch', () => {
    lambdas.forEach((l, i) => {
      expect(kolmogorovSurvival(l)).toBeCloseTo(reference.kolmogorov[i] as number, 9);
    });
  });
});
