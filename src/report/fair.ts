/**
 * The tuned comparison's results over the rerun seeds of each variant's chosen setting
 * (tuning-choice.ts): the mean, standard deviation and confidence interval of the final and best
 * test metric and of the time to each target, the share of tuning trials that diverged (how hard
 * the variant is to tune), and Welch's t-test of each variant against the best.
 */
import { stringify } from 'csv-stringify/sync';
import { formatNumber } from '../runs/numbers.js';
import type { ReportData } from './report-data.js';
import { firstReaching, trialResults, type EvaluationPoint, type ResultMetric } from '../runs/run-reader.js';
import { summarize, welchTTest, type Summary } from './statistics.js';
import type { TuningChoice } from './tuning-choice.js';

export interface FairRow {
  readonly variant: string;
  readonly rank: number | null;
  readonly tuning: TuningChoice;
  readonly seeds: number;
  readonly completed: number;
  /** The final metric of each completed rerun. */
  readonly values: readonly number[];
  readonly final: Summary | null;
  readonly best: Summary | null;
  /** Per target: steps and seconds to reach it, over the seeds that did, and how many did. */
  readonly targets: readonly { metric: string; target: number; reached: number; steps: Summary | null; seconds: Summary | null }[];
  /** Welch's test of the final metric against the best variant's (null for the best itself). */
  readonly pVsBest: number | null;
  readonly significant: boolean | null;
}

/** A variant's tuning metric at its config's own settings (the defaults phase) and at its tuned ones (fairness.ts). */
export interface TuningGain {
  /** Null when the defaults trial has no score (diverged, failed, not run). */
  readonly defaults: number | null;
  readonly defaultsStatus: string;
  readonly tuned: number | null;
}

export interface FairComparison {
  readonly metric: string;
  readonly higherIsBetter: boolean;
  readonly confidence: number;
  readonly significance: number;
  readonly rows: readonly FairRow[];
}

export function fairComparison(
  rerun: ReportData,
  choices: readonly TuningChoice[],
  targets: Readonly<Record<string, number>>,
  confidence: number,
  significance: number,
): FairComparison {
  const { metric: rankMetric, higherIsBetter } = rerun.rankBy;
  const finalKey = rankMetric as Exclude<ResultMetric, 'best_test_accuracy'>;
  const bestKey = finalKey === 'final_test_accuracy' ? 'best_test_accuracy' : null;
  const finals = new Map<string, number[]>();
  const rows = choices.map((choice): FairRow => {
    const trials = rerun.trials.filter((t) => t.group === choice.variant);
    const completed = trials.filter((t) => t.status === 'completed');
    const values = completed.map((t) => trialResults(t)[finalKey]).filter((v): v is number => v !== null);
    finals.set(choice.variant, values);
    const bests = bestKey === null ? [] : completed.map((t) => trialResults(t)[bestKey]).filter((v): v is number => v !== null);
    return {
      variant: choice.variant,
      rank: null,
      tuning: choice,
      seeds: trials.length,
      completed: completed.length,
      values,
      final: values.length === 0 ? null : summarize(values, confidence),
      best: bests.length === 0 ? null : summarize(bests, confidence),
      targets: Object.entries(targets).map(([metric, target]) => {
        const reached = completed.map((t) => firstReaching(t, metric, target)).filter((e): e is EvaluationPoint => e !== null);
        const seconds = reached.map((e) => e.seconds).filter((s): s is number => typeof s === 'number');
        return {
          metric,
          target,
          reached: reached.length,
          steps: reached.length === 0 ? null : summarize(reached.map((e) => e.step), confidence),
          seconds: seconds.length === 0 ? null : summarize(seconds, confidence),
        };
      }),
      pVsBest: null,
      significant: null,
    };
  });
  const ranked = rows.filter((r) => r.final !== null).sort((a, b) => (higherIsBetter ? b.final!.mean - a.final!.mean : a.final!.mean - b.final!.mean));
  const best = ranked[0];
  const withStats = rows.map((row): FairRow => {
    const rank = ranked.indexOf(row);
    if (rank < 0) return row;
    const a = finals.get(row.variant)!;
    const b = finals.get(best.variant)!;
    const p = row === best || a.length < 2 || b.length < 2 ? null : welchTTest(a, b).p;
    return { ...row, rank: rank + 1, pVsBest: p, significant: p === null ? null : p < significance };
  });
  return { metric: rankMetric, higherIsBetter, confidence, significance, rows: withStats.sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity)) };
}

/** One plain sentence per variant against the best. */
export function verdicts(fair: FairComparison): string[] {
  const best = fair.rows.find((r) => r.rank === 1);
  if (best === undefined) return ['no variant finished any rerun'];
  const edges = fair.rows
    .filter((r) => r.tuning.atEdge.length > 0)
    .map((r) => `${r.variant}: the best ${r.tuning.atEdge.join(', ')} is at the edge of the search range; widen it to be sure`);
  return [...edges, ...fair.rows.flatMap((row) => {
    if (row === best) return [];
    if (row.final === null) return [`${row.variant}: no finished rerun (${row.tuning.diverged} of ${row.tuning.trials} tuning trials diverged)`];
    if (row.pVsBest === null) return [`${best.variant} vs ${row.variant}: too few seeds to test`];
    const p = row.pVsBest < 0.001 ? 'p<0.001' : `p=${row.pVsBest.toFixed(row.pVsBest < 0.01 ? 3 : 2)}`;
    return [`${best.variant} vs ${row.variant}: ${row.significant ? `${best.variant} is significantly better` : 'no significant difference'}, ${p}`];
  })];
}

/** Mean, std and confidence interval; one value has no spread, so its std and interval are blank, not 0. */
function interval(s: Summary | null): Record<string, string> {
  if (s === null) return { mean: '', std: '', ci_low: '', ci_high: '' };
  if (s.n < 2) return { mean: formatNumber(s.mean), std: '', ci_low: '', ci_high: '' };
  return { mean: formatNumber(s.mean), std: formatNumber(s.std), ci_low: formatNumber(s.mean - s.halfWidth), ci_high: formatNumber(s.mean + s.halfWidth) };
}

export function fairCsv(fair: FairComparison, gains: ReadonlyMap<string, TuningGain> | null = null): string {
  const rows = fair.rows.map((r) => {
    const row: Record<string, string> = { rank: r.rank === null ? '' : String(r.rank), variant: r.variant };
    for (const [k, v] of Object.entries(r.tuning.values)) row[`tuned_${k}`] = String(v);
    Object.assign(row, {
      tuning_trials: String(r.tuning.trials),
      tuning_diverged_share: formatNumber(r.tuning.trials === 0 ? null : r.tuning.diverged / r.tuning.trials),
      tuning_score: formatNumber(r.tuning.score),
      ...(gains === null ? {} : { defaults_score: formatNumber(gains.get(r.variant)?.defaults ?? null), defaults_status: gains.get(r.variant)?.defaultsStatus ?? 'missing' }),
      seeds: String(r.seeds),
      completed: String(r.completed),
    });
    for (const [k, v] of Object.entries(interval(r.final))) row[`${fair.metric}_${k}`] = v;
    if (r.best !== null || fair.metric === 'final_test_accuracy') for (const [k, v] of Object.entries(interval(r.best))) row[`best_test_accuracy_${k}`] = v;
    for (const t of r.targets) {
      row[`reached_${t.metric}`] = String(t.reached);
      for (const [k, v] of Object.entries(interval(t.steps))) row[`steps_to_${t.metric}_${k}`] = v;
      for (const [k, v] of Object.entries(interval(t.seconds))) row[`seconds_to_${t.metric}_${k}`] = v;
    }
    row.p_value_vs_best = formatNumber(r.pVsBest);
    row.significantly_worse = r.significant === null ? '' : String(r.significant);
    return row;
  });
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return stringify(rows, { header: true, columns });
}

/**
 * The table for comparison.md, report.html and the terminal. With `gains` (the defaults phase
 * ran), a column shows each variant's tuning score at its config's own settings → tuned.
 */
export function fairTable(fair: FairComparison, gains: ReadonlyMap<string, TuningGain> | null = null, tuningMetric = 'tuning score'): string[][] {
  const pct = (x: number): string => (fair.metric.endsWith('accuracy') ? `${(100 * x).toFixed(2)}%` : x.toPrecision(4));
  const ci = (s: Summary | null, f: (x: number) => string): string => (s === null ? '–' : `${f(s.mean)} ± ${s.n < 2 ? '–' : f(s.halfWidth)}`);
  const targetHeaders = fair.rows[0]?.targets.map((t) => `steps to ${t.metric} ${t.target}`) ?? [];
  const gainHeader = gains === null ? [] : [`${tuningMetric}: defaults → tuned`];
  const header = ['rank', 'variant', 'tuned', 'tuning diverged', ...gainHeader, `${fair.metric} (${Math.round(fair.confidence * 100)}% CI)`, ...targetHeaders, 'p vs best'];
  return [
    header,
    ...fair.rows.map((r) => [
      r.rank === null ? '–' : String(r.rank),
      r.variant,
      Object.entries(r.tuning.values).map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(3)) : String(v)}${r.tuning.atEdge.includes(k) ? ' (edge)' : ''}`).join(' ') || '–',
      `${r.tuning.diverged}/${r.tuning.trials}`,
      ...(gains === null ? [] : [gainCell(gains.get(r.variant))]),
      ci(r.final, pct),
      ...r.targets.map((t) => (t.steps === null ? `not reached (0/${r.completed})` : `${ci(t.steps, (x) => x.toFixed(0))} (${t.reached}/${r.completed})`)),
      r.pVsBest === null ? (r.rank === 1 ? 'best' : '–') : r.pVsBest.toPrecision(2),
    ]),
  ];
}

/** "0.512 → 0.0931": the defaults' score, or why there is none, then the tuned one. */
function gainCell(gain: TuningGain | undefined): string {
  if (gain === undefined) return '–';
  const score = (x: number | null): string => (x === null ? '–' : String(Number(x.toPrecision(3))));
  return `${gain.defaults === null ? (gain.defaultsStatus === 'completed' ? '–' : gain.defaultsStatus) : score(gain.defaults)} → ${score(gain.tuned)}`;
}
