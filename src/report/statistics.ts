/**
 * The statistics a fair comparison reports: confidence intervals of a mean and Welch's t-test,
 * both from Student's t distribution, computed here from first principles:
 *
 *   CDF of t with ν degrees of freedom:  P(T ≤ t) = 1 − ½·I_{ν/(ν+t²)}(ν/2, ½)   for t ≥ 0
 *   I_x(a, b), the regularized incomplete beta function, by its continued fraction (evaluated
 *   with the modified Lentz method), and ln Γ by the Lanczos approximation (g = 7, n = 9).
 */

/** Lanczos coefficients for g = 7, n = 9 (accurate to ~1e-15 for real arguments > 0). */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x); // reflection
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The continued fraction of I_x(a, b), valid where x < (a + 1)/(a + b + 2). */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let result = d;
  for (let m = 1; m <= 300; m++) {
    for (const numerator of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + numerator * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + numerator / c;
      if (Math.abs(c) < tiny) c = tiny;
      result *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return result;
}

/** I_x(a, b) = B(x; a, b)/B(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast on one side of the mean of the beta distribution; use symmetry on the other.
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(x, a, b)) / a : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** P(T ≤ t) for Student's t with ν degrees of freedom. */
export function studentTCdf(t: number, nu: number): number {
  const tail = 0.5 * regularizedBeta(nu / (nu + t * t), nu / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The t with P(T ≤ t) = p, by bisection (the CDF is monotone). */
export function studentTQuantile(p: number, nu: number): number {
  let low = -1e3;
  let high = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, nu) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

export interface Summary {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1). */
  readonly std: number;
  /** Half-width of the two-sided confidence interval of the mean (t-based; 0 for n < 2). */
  readonly halfWidth: number;
}

export function summarize(values: readonly number[], confidence = 0.95): Summary {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? 0 : Math.sqrt(values.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const halfWidth = n < 2 ? 0 : studentTQuantile(1 - (1 - confidence) / 2, n - 1) * (std / Math.sqrt(n));
  return { n, mean, std, halfWidth };
}

export interface WelchResult {
  readonly t: number;
  readonly degreesOfFreedom: number;
  /** Two-sided p-value of the difference of the means. */
  readonly p: number;
}

/** Welch's t-test of two samples with possibly unequal variances (Welch 1947, Satterthwaite's ν). */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchResult {
  const [sa, sb] = [summarize(a), summarize(b)];
  const va = (sa.std * sa.std) / sa.n;
  const vb = (sb.std * sb.std) / sb.n;
  const standardError = Math.sqrt(va + vb);
  if (standardError === 0) return { t: sa.mean === sb.mean ? 0 : Infinity, degreesOfFreedom: sa.n + sb.n - 2, p: sa.mean === sb.mean ? 1 : 0 };
  const t = (sa.mean - sb.mean) / standardError;
  const nu = (va + vb) ** 2 / (va ** 2 / (sa.n - 1) + vb ** 2 / (sb.n - 1));
  return { t, degreesOfFreedom: nu, p: 2 * (1 - studentTCdf(Math.abs(t), nu)) };
}
