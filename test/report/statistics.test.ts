/**
 * adam-lab's statistics against SciPy's (test/fixtures/stats/generate.py made stats.json), and
 * one Welch test checked by hand.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { regularizedBeta, studentTCdf, studentTQuantile, summarize, welchTTest } from '../../src/report/statistics.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/stats/stats.json', import.meta.url), 'utf8'));

const close = (ours: number, reference: number, relative = 1e-9, absolute = 1e-12): void => {
  expect(Math.abs(ours - reference)).toBeLessThanOrEqual(absolute + relative * Math.abs(reference));
};

describe('statistics against SciPy', () => {
  it("Student's t CDF", () => {
    for (const { t, nu, cdf } of fixture.t_cdf) close(studentTCdf(t, nu), cdf);
  });

  it("Student's t quantiles", () => {
    for (const { p, nu, t } of fixture.t_quantile) close(studentTQuantile(p, nu), t, 1e-8);
  });

  it('the regularized incomplete beta function', () => {
    for (const { x, a, b, value } of fixture.incomplete_beta) close(regularizedBeta(x, a, b), value, 1e-9, 1e-14);
  });

  it('confidence intervals of a mean', () => {
    for (const { values, confidence, mean, std, half_width } of fixture.confidence_interval) {
      const s = summarize(values, confidence);
      close(s.mean, mean);
      close(s.std, std);
      close(s.halfWidth, half_width, 1e-8);
    }
  });

  it("Welch's t-test", () => {
    for (const { a, b, t, p } of fixture.welch) {
      const result = welchTTest(a, b);
      close(result.t, t);
      close(result.p, p, 1e-8);
    }
  });
});

describe("Welch's t-test by hand", () => {
  it('matches the formula on a small example', () => {
    // a = 1..5: mean 3, s² = 10/4 = 2.5, s²/n = 0.5
    // b = 2,4,6,8,10.5: mean 6.1, squared deviations 16.81 + 4.41 + 0.01 + 3.61 + 19.36 = 44.2, s² = 11.05, s²/n = 2.21
    // t = (3 − 6.1)/√(0.5 + 2.21) = −3.1/√2.71 = −1.88312; ν = 2.71² / (0.5²/4 + 2.21²/4) = 7.3441/1.283525 = 5.72182
    const { t, degreesOfFreedom } = welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10.5]);
    close(t, -3.1 / Math.sqrt(2.71));
    close(degreesOfFreedom, 2.71 ** 2 / (0.5 ** 2 / 4 + 2.21 ** 2 / 4));
  });

  it('gives p = 1 for identical samples and a tiny p for separated ones', () => {
    expect(welchTTest([1, 2, 3], [1, 2, 3]).p).toBeCloseTo(1, 12);
    expect(welchTTest([1, 1.1, 0.9, 1.05], [2, 2.1, 1.9, 2.05]).p).toBeLessThan(1e-4);
  });
});
