/**
 * plots/loss.svg: the batch loss along steps, epochs or seconds on a log axis; per group the mean
 * over its seeds of each seed's smoothed loss (TensorBoard's debiased EMA, smoothing.ts) as a line,
 * the min–max over seeds as a band (where at least two seeds have a value), and the raw mean faint
 * behind. A diverged trial's curve ends in a cross; the axis is cut off above the converging curves
 * so that a diverging one does not flatten them.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { TrialData } from '../../runs/run-reader.js';
import { displayNumber } from '../display-number.js';
import type { ReportData } from '../report-data.js';
import { DEFAULT_PLOT_OPTIONS, type PlotOptions, type XAxis } from '../options.js';
import { colorEncoding, curvesSpec } from './curve-chart.js';
import { curve, curvesByGroup, groupNames, lossPoints, smoothCurve, xTitle } from './curves.js';
import { groupStyle, type GroupStyle } from './group-style.js';
import type { Layer } from './theme.js';

/** A cross drawn as two strokes (a font-independent ✕): marks a diverged trial's last finite loss. */
const CROSS = 'M-1,-1L1,1M-1,1L1,-1';

const LOSS_Y = 'batch loss (log scale)';
const ALONG = { step: 'steps', epoch: 'epochs', seconds: 'wall-clock seconds' } as const;

/**
 * How far the loss axis reaches above the largest first loss of the trials that did not diverge.
 * A diverging trial climbs to 1e37 before its NaN; drawn in full, its climb squeezes every
 * converging curve into a flat line at the bottom of a log axis thirty decades tall.
 */
const LOSS_HEADROOM = 10;

function hasDiverged(trial: TrialData): boolean {
  return trial.status === 'diverged' || trial.divergedAtStep !== null;
}

/** The top of the loss axis: LOSS_HEADROOM × the largest first loss of the trials that did not diverge (none: no limit). */
function lossCeiling(data: ReportData): number | undefined {
  const firsts = data.trials.filter((t) => !hasDiverged(t)).flatMap((t) => curve(lossPoints(t, 'step'), true).slice(0, 1).map(([, y]) => y));
  return firsts.length === 0 ? undefined : LOSS_HEADROOM * Math.max(...firsts);
}

/** "sgd (1/3 diverged)" in the legend for every group with a diverged trial. */
function divergedLabels(data: ReportData, groups: readonly string[], names: ReadonlyMap<string, string>): Map<string, string> {
  const labels = new Map(names);
  for (const group of groups) {
    const members = data.trials.filter((t) => t.group === group);
    const diverged = members.filter(hasDiverged).length;
    if (diverged > 0) labels.set(group, `${names.get(group) ?? group} (${diverged}/${members.length} diverged)`);
  }
  return labels;
}

interface DivergedEnd {
  readonly group: string;
  readonly trial: string;
  readonly x: number;
  readonly y: number;
}

/**
 * Where each diverged trial's curve ends: its last finite loss, drawn at the top edge when that
 * loss is above the cut-off axis.
 */
function divergedEnds(data: ReportData, ceiling: number | undefined, xAxis: XAxis, style: GroupStyle): DivergedEnd[] {
  return data.trials.flatMap((trial) => {
    if (!hasDiverged(trial)) return [];
    const kept = curve(lossPoints(trial, xAxis), true);
    if (kept.length === 0) return [];
    const [x, y] = kept[kept.length - 1];
    return [{ group: trial.group, trial: trial.id, x, y: ceiling === undefined ? y : Math.min(y, ceiling), ...style.tag(trial.group) }];
  });
}

/** The crosses at the diverged ends, coloured like their group's line. */
function crossLayer(ends: readonly DivergedEnd[], style: GroupStyle, labels: ReadonlyMap<string, string>, xAxis: string): Layer {
  return {
    data: { values: ends.map((end) => ({ ...end })) },
    mark: { type: 'point', shape: CROSS, size: 70, strokeWidth: 2, filled: false, opacity: 1 },
    encoding: {
      // the same titles as the line layer: vega-lite joins different ones into one axis title
      x: { field: 'x', type: 'quantitative', title: xAxis },
      y: { field: 'y', type: 'quantitative', title: LOSS_Y },
      color: colorEncoding(style, labels),
    },
  };
}

export function lossSpec(data: ReportData, options: PlotOptions = DEFAULT_PLOT_OPTIONS): TopLevelSpec {
  const xAxis = options.xAxis ?? 'step';
  const groups = groupNames(data);
  const style = groupStyle(data, groups);
  // a panelled grid's legend names colour keys, not groups
  const labels = style.field === 'group' ? divergedLabels(data, groups, style.names) : new Map<string, string>();
  const raw = curvesByGroup(data, (trial) => curve(lossPoints(trial, xAxis), true), style.tag);
  const smoothing = options.smoothing > 0;
  const points = smoothing ? curvesByGroup(data, (trial) => smoothCurve(curve(lossPoints(trial, xAxis), true), options.smoothing), style.tag) : raw;
  const limit = lossCeiling(data);
  const ceiling = limit !== undefined && raw.some((p) => p.max > limit) ? limit : undefined;
  const ends = divergedEnds(data, ceiling, xAxis, style);
  const diverged = ends.length > 0 ? ', ✕ where a trial diverged' : '';
  const cut = ceiling === undefined ? '' : `; axis cut at ${displayNumber(ceiling)} (${LOSS_HEADROOM}× the largest first loss of the trials that did not diverge)`;
  const how = smoothing
    ? `line = mean over seeds of the loss smoothed by a debiased EMA (weight ${options.smoothing}), faint = raw mean, band = min–max over seeds`
    : 'line = mean over seeds, band = min–max over seeds';
  const x = xTitle(xAxis);
  return curvesSpec({
    title: {
      text: `${data.name}: training loss`,
      subtitle: `batch loss over ${ALONG[xAxis]}; ${how}${diverged}${cut}`,
    },
    style,
    labels,
    points,
    ...(smoothing ? { faint: raw } : {}),
    x: { title: x, integer: xAxis === 'step' },
    y: { title: LOSS_Y, logarithmic: true, ceiling },
    withPoints: false,
    extra: ends.length === 0 ? [] : [crossLayer(ends, style, labels, x)],
  });
}
