/**
 * How much of the spread of the ranked metric each varied path explains on its own: the correlation
 * ratio η² = SS_between / SS_total over the completed trials, the trials grouped by the path's value
 * (a random search's continuous values binned into quintiles of the values drawn, so a group holds
 * several trials). 1 means the path alone decides the metric, 0 that the metric is the same for every
 * value; a path that does not matter still gets (levels − 1) / (trials − 1) on average by chance.
 * Each path is judged alone: with interactions or correlated paths (random search draws them
 * independently, a grid is balanced) the shares need not add up to 1.
 */
import { trialResults, type ResultMetric } from '../runs/run-reader.js';
import type { ReportData } from './report-data.js';

type Value = string | number | boolean | null;

export interface AxisImportance {
  readonly axis: string;
  /** η², from 0 to 1. */
  readonly share: number;
  /** How many groups its values formed (distinct values, or bins). */
  readonly levels: number;
  /**
   * The η² a path that does not matter gets on average by chance, (levels − 1) / (trials − 1): a
   * share near it says nothing.
   */
  readonly chance: number;
}

/** More distinct numbers than this are binned: a random search draws a new value for every trial. */
const MAX_LEVELS = 6;
const BINS = 5;

/** The level of each trial's value: the value itself, or for many distinct numbers its quantile bin. */
function levels(values: readonly Value[]): string[] {
  const numbers = values.filter((v): v is number => typeof v === 'number');
  if (new Set(values).size <= MAX_LEVELS || numbers.length < values.length) return values.map(String);
  const sorted = [...numbers].sort((a, b) => a - b);
  const firstRank = new Map<number, number>();
  sorted.forEach((v, i) => firstRank.has(v) || firstRank.set(v, i)); // equal values share a bin
  return numbers.map((v) => `bin${Math.floor((BINS * firstRank.get(v)!) / sorted.length)}`);
}

export function axisImportance(data: ReportData): AxisImportance[] {
  const metric = data.rankBy.metric as ResultMetric;
  const scored = data.trials
    .filter((t) => t.status === 'completed')
    .map((t) => ({ values: t.values, score: trialResults(t)[metric] ?? null }))
    .filter((t): t is { values: typeof t.values; score: number } => t.score !== null && Number.isFinite(t.score));
  if (scored.length < 3) return [];
  const mean = scored.reduce((a, t) => a + t.score, 0) / scored.length;
  const total = scored.reduce((a, t) => a + (t.score - mean) ** 2, 0);
  if (total === 0) return [];
  return data.axes.map((axis) => {
    const level = levels(scored.map((t) => t.values[axis] ?? null));
    const sums = new Map<string, { sum: number; n: number }>();
    scored.forEach((t, i) => {
      const s = sums.get(level[i]) ?? { sum: 0, n: 0 };
      sums.set(level[i], { sum: s.sum + t.score, n: s.n + 1 });
    });
    const between = [...sums.values()].reduce((a, { sum, n }) => a + n * (sum / n - mean) ** 2, 0);
    return { axis, share: between / total, levels: sums.size, chance: (sums.size - 1) / (scored.length - 1) };
  });
}
