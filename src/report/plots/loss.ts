/**
 * plots/loss.svg: the batch loss per step on a log axis; per group the mean over its seeds as a
 * line and the min–max over seeds as a band (where at least two seeds have a value). A diverged
 * trial's curve ends in a cross; the axis is cut off above the converging curves so that a
 * diverging one does not flatten them.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { TrialData } from '../../runs/run-reader.js';
import { displayNumber } from '../display-number.js';
import type { ReportData } from '../report-data.js';
import { colorEncoding, curvesSpec } from './curve-chart.js';
import { curve, curvesByGroup, groupNames } from './curves.js';
import type { Layer } from './theme.js';

/** A cross drawn as two strokes (a font-independent ✕): marks a diverged trial's last finite loss. */
const CROSS = 'M-1,-1L1,1M-1,1L1,-1';

const LOSS_AXES = { x: 'step', y: 'batch loss (log scale)' } as const;

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
  const firsts = data.trials.filter((t) => !hasDiverged(t)).flatMap((t) => curve(t.losses, true).slice(0, 1).map(([, y]) => y));
  return firsts.length === 0 ? undefined : LOSS_HEADROOM * Math.max(...firsts);
}

/** "sgd (1/3 diverged)" in the legend for every group with a diverged trial. */
function divergedLabels(data: ReportData, groups: readonly string[]): Map<string, string> {
  const labels = new Map<string, string>();
  for (const group of groups) {
    const members = data.trials.filter((t) => t.group === group);
    const diverged = members.filter(hasDiverged).length;
    if (diverged > 0) labels.set(group, `${group} (${diverged}/${members.length} diverged)`);
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
function divergedEnds(data: ReportData, ceiling: number | undefined): DivergedEnd[] {
  return data.trials.flatMap((trial) => {
    if (!hasDiverged(trial)) return [];
    const kept = curve(trial.losses, true);
    if (kept.length === 0) return [];
    const [x, y] = kept[kept.length - 1];
    return [{ group: trial.group, trial: trial.id, x, y: ceiling === undefined ? y : Math.min(y, ceiling) }];
  });
}

/** The crosses at the diverged ends, coloured like their group's line. */
function crossLayer(ends: readonly DivergedEnd[], groups: readonly string[], labels: ReadonlyMap<string, string>): Layer {
  return {
    data: { values: ends.map((end) => ({ ...end })) },
    mark: { type: 'point', shape: CROSS, size: 70, strokeWidth: 2, filled: false, opacity: 1 },
    encoding: {
      // the same titles as the line layer: vega-lite joins different ones into one axis title
      x: { field: 'x', type: 'quantitative', title: LOSS_AXES.x },
      y: { field: 'y', type: 'quantitative', title: LOSS_AXES.y },
      color: colorEncoding(groups, labels),
    },
  };
}

export function lossSpec(data: ReportData): TopLevelSpec {
  const groups = groupNames(data);
  const labels = divergedLabels(data, groups);
  const points = curvesByGroup(data, (trial) => curve(trial.losses, true));
  const limit = lossCeiling(data);
  const ceiling = limit !== undefined && points.some((p) => p.max > limit) ? limit : undefined;
  const ends = divergedEnds(data, ceiling);
  const diverged = ends.length > 0 ? ', ✕ where a trial diverged' : '';
  const cut = ceiling === undefined ? '' : `; axis cut at ${displayNumber(ceiling)} (${LOSS_HEADROOM}× the largest first loss of the trials that did not diverge)`;
  return curvesSpec({
    title: {
      text: `${data.name}: training loss`,
      subtitle: `batch loss per step; line = mean over seeds, band = min–max over seeds${diverged}${cut}`,
    },
    groups,
    labels,
    points,
    x: { title: LOSS_AXES.x },
    y: { title: LOSS_AXES.y, logarithmic: true, ceiling },
    withPoints: false,
    extra: ends.length === 0 ? [] : [crossLayer(ends, groups, labels)],
  });
}
