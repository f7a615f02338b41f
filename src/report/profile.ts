/**
 * Performance profiles (Dolan & Moré 2002, as AlgoPerf uses them) across several workloads: for
 * each variant s and workload w, r(w, s) = time(w, s) / min over variants of time(w, ·), where
 * time is the median over the variant's seeds of the steps to the workload's target, a seed that
 * never reached it counting as ∞ (so the workload is solved only when more than half the seeds
 * reached the target); the profile ρ_s(τ) = share of workloads with r(w, s) ≤ τ. A curve that
 * rises early and high is an optimizer that is near the fastest on most workloads.
 */
import { stringify } from 'csv-stringify/sync';
import type { TopLevelSpec } from 'vega-lite';
import type { ReportData } from './report-data.js';
import { firstReaching } from '../runs/run-reader.js';

export interface WorkloadTimes {
  readonly workload: string;
  /** Variant → its time to the target (medianSteps), or null when it did not solve the workload. */
  readonly times: ReadonlyMap<string, number | null>;
}

/** How a profile times a workload, for its caption. */
export const PROFILE_TIME = 'time = median steps to the target over the seeds (a seed that never reached it counts as ∞: solved only when more than half did)';

/**
 * The median of the steps to the target over all seeds, null (∞, a seed that never got there) for
 * a seed that did not reach it; null when that median is ∞, i.e. unless more than half the seeds
 * reached the target. A mean over the seeds that reached it would count one lucky seed in ten as
 * solving the workload.
 */
export function medianSteps(steps: readonly (number | null)[]): number | null {
  const sorted = steps.map((s) => s ?? Infinity).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = sorted.length / 2;
  const median = Number.isInteger(middle) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[Math.floor(middle)];
  return Number.isFinite(median) ? median : null;
}

/** Each variant's time on one workload from its rerun trials; a diverged or failed seed never reached the target. */
export function workloadTimes(rerun: ReportData, variants: readonly string[], metric: string, target: number): Map<string, number | null> {
  const stepsOf = (variant: string): (number | null)[] =>
    rerun.trials.filter((t) => t.group === variant).map((t) => (t.status === 'completed' ? (firstReaching(t, metric, target)?.step ?? null) : null));
  return new Map(variants.map((v) => [v, medianSteps(stepsOf(v))]));
}

export interface Profile {
  readonly variants: readonly string[];
  readonly taus: readonly number[];
  /** Variant → ρ at each τ. */
  readonly curves: ReadonlyMap<string, readonly number[]>;
}

export function performanceProfile(workloads: readonly WorkloadTimes[], maxTau = 4, points = 61): Profile {
  const variants = [...new Set(workloads.flatMap((w) => [...w.times.keys()]))];
  const ratios = new Map(variants.map((v) => [v, [] as number[]]));
  for (const w of workloads) {
    const finite = [...w.times.values()].filter((t): t is number => t !== null && t > 0);
    const best = finite.length === 0 ? null : Math.min(...finite);
    for (const v of variants) {
      const t = w.times.get(v) ?? null;
      ratios.get(v)!.push(best === null || t === null ? Infinity : t / best);
    }
  }
  // τ from 1 to maxTau on a log scale, the way profiles are usually drawn.
  const taus = Array.from({ length: points }, (_, i) => Number((maxTau ** (i / (points - 1))).toPrecision(6)));
  const curves = new Map(variants.map((v) => [v, taus.map((tau) => ratios.get(v)!.filter((r) => r <= tau).length / workloads.length)]));
  return { variants, taus, curves };
}

export function profileCsv(profile: Profile): string {
  const rows = profile.taus.map((tau, i) => ({ tau: String(tau), ...Object.fromEntries(profile.variants.map((v) => [v, String(profile.curves.get(v)![i])])) }));
  return stringify(rows, { header: true, columns: ['tau', ...profile.variants] });
}

export function profileSpec(profile: Profile, workloads: readonly string[]): TopLevelSpec {
  const values = profile.variants.flatMap((variant) => profile.taus.map((tau, i) => ({ variant, tau, rho: profile.curves.get(variant)![i] })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'performance profile: steps to target',
      subtitle: [`share of the ${workloads.length} workloads (${workloads.join(', ')}) within τ× of the fastest;`, PROFILE_TIME],
      anchor: 'start',
    },
    width: 480,
    height: 280,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'tau', type: 'quantitative', title: 'τ (times the fastest)', scale: { type: 'log', domain: [1, profile.taus.at(-1)!] } },
      y: { field: 'rho', type: 'quantitative', title: 'ρ(τ): share of workloads', scale: { domain: [0, 1] }, axis: { format: '%' } },
      color: { field: 'variant', type: 'nominal' },
    },
  } as TopLevelSpec;
}
