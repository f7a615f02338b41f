/**
 * Which tuning trial wins for each variant of a tuned comparison, judged on validation data only,
 * and whether the winner sits at the edge of the searched range.
 */
import type { Distribution, Protocol } from '../config/lab-schema.js';
import { EVALUATION_FIELDS, type EvaluationPoint, type TrialData } from '../runs/run-reader.js';
import type { ReportData } from './report-data.js';

export interface TuningChoice {
  readonly variant: string;
  /** Index of the winning tuning trial, or null when every tuning trial diverged or failed. */
  readonly index: number | null;
  readonly score: number | null;
  readonly values: Readonly<Record<string, unknown>>;
  readonly trials: number;
  readonly diverged: number;
  /** Tuned axes whose chosen value lies at an end of the configured search range: the range may be too narrow. */
  readonly atEdge: readonly string[];
}

/** The tuning metric of a trial: its last evaluation's value, or its best. */
export function tuningScore(trial: TrialData, metric: Protocol['tune']['metric'], at: Protocol['tune']['at']): number | null {
  if (trial.status !== 'completed') return null;
  const values = trial.evaluations.map((e: EvaluationPoint) => e[EVALUATION_FIELDS[metric]] ?? null).filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return null;
  if (at === 'final') return values.at(-1)!;
  return metric === 'val_accuracy' ? Math.max(...values) : Math.min(...values);
}

export function chooseTuned(tuning: ReportData, metric: Protocol['tune']['metric'], at: Protocol['tune']['at'], space: Readonly<Record<string, Distribution>>): TuningChoice[] {
  const higher = metric === 'val_accuracy';
  const variants = [...new Set(tuning.trials.map((t) => String(t.values.variant)))];
  return variants.map((variant) => {
    let index: number | null = null;
    let score: number | null = null;
    const members = tuning.trials.map((t, i) => ({ t, i })).filter(({ t }) => String(t.values.variant) === variant);
    for (const { t, i } of members) {
      const s = tuningScore(t, metric, at);
      if (s !== null && (score === null || (higher ? s > score : s < score))) [index, score] = [i, s];
    }
    const { variant: _variant, ...values } = index === null ? { variant } : tuning.trials[index].values;
    const atEdge = Object.entries(values).filter(([axis, value]) => {
      const tried = new Set(members.map(({ t }) => t.values[axis]).filter((v) => typeof v === 'number')).size;
      return typeof value === 'number' && space[axis] !== undefined && tried > 2 && nearRangeEnd(space[axis], value, tried);
    });
    return { variant, index, score, values, trials: members.length, diverged: members.filter(({ t }) => t.status === 'diverged').length, atEdge: atEdge.map(([axis]) => axis) };
  });
}

/**
 * Whether a best value lies at the edge of its configured search range: within the outer 1/k of
 * the range (in log space for log_uniform), k being the number of values tried. For a grid of k
 * points that is exactly its two end points; for k random points it is the share of the range
 * one trial covers. Not "the smallest or largest value drawn": with random search some draw is
 * always the smallest, however far inside the range it lies.
 */
function nearRangeEnd(distribution: Distribution, value: number, tried: number): boolean {
  const u = positionInRange(distribution, value);
  return u !== null && (u <= 1 / tried || u >= 1 - 1 / tried);
}

/** Where a value lies in its range, 0 at the low end and 1 at the high end; null for a choice. */
function positionInRange(distribution: Distribution, value: number): number | null {
  if ('log_uniform' in distribution) {
    const [low, high] = distribution.log_uniform;
    return Math.log(value / low) / Math.log(high / low);
  }
  const range = 'uniform' in distribution ? distribution.uniform : 'int_uniform' in distribution ? distribution.int_uniform : null;
  return range === null ? null : (value - range[0]) / (range[1] - range[0]);
}
