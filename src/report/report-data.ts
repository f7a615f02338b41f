/**
 * What a sweep or comparison report shows, gathered from the trials' own files. The summary
 * and comparison tables, the plots and report.html are all drawn from one ReportData.
 */

/** One evaluation row of a trial (epochs.csv). */
export interface EvaluationPoint {
  readonly epoch: number;
  readonly step: number;
  readonly trainLoss: number | null;
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
  readonly valLoss?: number | null;
  readonly valAccuracy?: number | null;
  /** Seconds since the run started (wall clock). */
  readonly seconds?: number | null;
}

/** One trial: a run directory under the sweep. */
export interface TrialData {
  /** The trial's id (its folder name under trials/). */
  readonly id: string;
  /** The group it belongs to: a compare variant's name, or the grid point's values without the seed. */
  readonly group: string;
  readonly seed: number;
  /** completed | diverged | interrupted | failed | running | missing (not run yet). */
  readonly status: string;
  /** The value of each varied config path (sweep) for this trial. */
  readonly values: Readonly<Record<string, string | number | boolean | null>>;
  /** The batch loss per step, thinned to at most ~500 points for plotting (step, loss). */
  readonly losses: readonly (readonly [number, number])[];
  readonly evaluations: readonly EvaluationPoint[];
  readonly divergedAtStep: number | null;
  readonly seconds: number | null;
}

/** A group aggregated over its seeds (one row of comparison.csv). */
export interface GroupSummary {
  readonly group: string;
  readonly values: Readonly<Record<string, string | number | boolean | null>>;
  readonly rank: number | null;
  readonly trials: number;
  readonly completed: number;
  readonly diverged: number;
  /** Failed trials have no result, so the tables count them here. */
  readonly failed: number;
  /**
   * Mean and std over the group's completed trials that measured it, per metric name
   * (final_train_loss, ..., steps_to_<target>, seconds_to_<target>); std is null for a single value.
   */
  readonly metrics: Readonly<Record<string, { readonly mean: number; readonly std: number | null; readonly n: number } | null>>;
}

export interface ReportData {
  readonly kind: 'sweep' | 'compare' | 'check';
  /** The experiment's name and the sweep folder's id, for titles. */
  readonly name: string;
  readonly id: string;
  /** The varied config paths (sweep) in order; empty for a compare. */
  readonly axes: readonly string[];
  readonly trials: readonly TrialData[];
  readonly groups: readonly GroupSummary[];
  /** The metric the ranking is by, and whether higher is better. */
  readonly rankBy: { readonly metric: string; readonly higherIsBetter: boolean };
}
