/**
 * Performance profiles (Dolan & Moré 2002, as AlgoPerf uses them) across several workloads: for
 * each variant s and workload w, r(w, s) = time(w, s) / min over variants of time(w, ·), where
 * time is the mean steps to the workload's target (infinite if not reached); the profile
 * ρ_s(τ) = share of workloads with r(w, s) ≤ τ. A curve that rises early and high is an
 * optimizer that is near the fastest on most workloads.
 */
import { stringify } from 'csv-stringify/sync';
import type { TopLevelSpec } from 'vega-lite';

export interface WorkloadTimes {
  readonly workload: string;
  /** Variant → mean steps to the target over the seeds that reached it, or null if none did. */
  readonly times: ReadonlyMap<string, number | null>;
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
    title: { text: 'performance profile: steps to target', subtitle: `share of the ${workloads.length} workloads (${workloads.join(', ')}) within τ× of the fastest`, anchor: 'start' },
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
