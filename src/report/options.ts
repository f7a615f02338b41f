/**
 * How a report draws its plots. `adam-lab report` takes them as flags; sweeps and comparisons
 * write their report with the defaults, which are TensorBoard's and W&B's: a smoothed loss over
 * steps, the raw loss faint behind it.
 */

export const X_AXES = ['step', 'epoch', 'seconds'] as const;
export type XAxis = (typeof X_AXES)[number];

export interface PlotOptions {
  /** Weight of the loss curves' exponential moving average, 0 (raw) to below 1 (TensorBoard's slider; its default 0.6). */
  readonly smoothing: number;
  /**
   * What the curves run along: optimizer steps, epochs (fractional), or seconds of wall clock since
   * the run started; null: each figure's own (the loss by step, evaluations by epoch, or by step
   * where trials evaluate inside epochs).
   */
  readonly xAxis: XAxis | null;
  /** The comparison.csv metric the heatmap colours by; null: the metric the groups are ranked by. */
  readonly heatmapMetric: string | null;
  /** Also write a PNG beside every SVG (png.ts). */
  readonly png: boolean;
}

export const DEFAULT_PLOT_OPTIONS: PlotOptions = { smoothing: 0.6, xAxis: null, heatmapMetric: null, png: false };
