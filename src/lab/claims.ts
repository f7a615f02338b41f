/**
 * Claims between the variants of a tuned comparison (expect.better): each variant's rerun seeds
 * give one final value apiece, and the claim holds when the claimed variant's values are better
 * than the other's by a one-sided Welch's t-test below the claim's p. Here, not in check/, because
 * the test is the report's (report/statistics.ts), which check/ does not read.
 */
import type { BetterClaim } from '../config/expect-schema.js';
import { short, type Verdict } from '../check/verdict.js';
import { welchTTest } from '../report/statistics.js';
import { finalMetric, type TrialData } from '../runs/run-reader.js';

export function judgeClaims(claims: readonly BetterClaim[], trials: readonly TrialData[]): Verdict[] {
  return claims.map((claim) => judgeClaim(claim, trials));
}

function judgeClaim(claim: BetterClaim, trials: readonly TrialData[]): Verdict {
  const lowerIsBetter = !claim.metric.endsWith('accuracy');
  const expectation = `${claim.variant} ${lowerIsBetter ? '<' : '>'} ${claim.than} on ${claim.metric}`;
  const bound = `one-sided Welch p < ${claim.p}`;
  const valuesOf = (variant: string): (number | null)[] => trials.filter((t) => t.group === variant && t.status === 'completed').map((t) => finalMetric(t, claim.metric));
  const [mine, theirs] = [valuesOf(claim.variant), valuesOf(claim.than)];
  const values = [...mine, ...theirs];
  const measured = (a: readonly number[], b: readonly number[]): string => `${claim.variant} ${describe(a)}, ${claim.than} ${describe(b)}`;
  if (values.some((v) => v === null) || mine.length < 2 || theirs.length < 2) {
    return { expectation, bound, measured: `needs ≥ 2 completed reruns of each with ${claim.metric}: ${claim.variant} has ${mine.filter((v) => v !== null).length}, ${claim.than} ${theirs.filter((v) => v !== null).length}`, pass: false, values };
  }
  const [a, b] = [mine as number[], theirs as number[]];
  const { t, p: twoSided } = welchTTest(a, b);
  // One-sided: half the two-sided p when the difference points the claimed way, else 1 − half.
  const rightWay = lowerIsBetter ? t < 0 : t > 0;
  const p = rightWay ? twoSided / 2 : 1 - twoSided / 2;
  return { expectation, bound, measured: `${measured(a, b)}, p=${p < 1e-4 ? p.toExponential(1) : short(p)}`, pass: p < claim.p, values };
}

function describe(xs: readonly number[]): string {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return `${short(mean)} (${xs.length} seeds)`;
}
