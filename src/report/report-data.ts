/**
 * What a sweep or comparison report shows, gathered from the trials' own files (read through
 * runs/run-reader.ts). The summary and comparison tables, the plots and report.html are all
 * drawn from one ReportData.
 */
import type { ObjectiveConfig } from '../engine/objectives/config.js';
import type { TrialData } from '../runs/run-reader.js';

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
  /** The config's targets (epochs.csv metric → value), drawn as lines on the evaluation figure; none when absent. */
  readonly targets?: Readonly<Record<string, number>>;
  /** The objective the trials minimize, when they train on one (its contour plot is drawn); the first trial's. */
  readonly objective?: ObjectiveConfig;
}
