/**
 * plots/accuracy.svg: test accuracy per epoch in the loss figure's layout, or test loss when no
 * trial measured accuracy (train loss when there is no test split either); the title says which.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportData } from '../report-data.js';
import { curvesSpec } from './curve-chart.js';
import { curve, curvesByGroup, groupNames } from './curves.js';

/** The metrics the figure can show, in order of preference. */
const EVALUATION_METRICS = [
  { key: 'testAccuracy', title: 'test accuracy', logarithmic: false },
  { key: 'testLoss', title: 'test loss', logarithmic: true },
  { key: 'trainLoss', title: 'train loss (evaluation)', logarithmic: true },
] as const;

export function evaluationSpec(data: ReportData): TopLevelSpec {
  const evaluations = data.trials.flatMap((t) => t.evaluations);
  const metric =
    EVALUATION_METRICS.find(({ key }) => evaluations.some((e) => e[key] !== null && Number.isFinite(e[key]))) ??
    EVALUATION_METRICS[0];
  // Epochs are the natural x, unless a trial evaluates more than once per epoch.
  const byStep = data.trials.some((t) => new Set(t.evaluations.map((e) => e.epoch)).size < t.evaluations.length);
  const xKey = byStep ? 'step' : 'epoch';
  const points = curvesByGroup(data, (trial) =>
    curve(
      trial.evaluations.map((e) => [e[xKey], e[metric.key]] as const),
      metric.logarithmic,
    ),
  );
  const percent = metric.key === 'testAccuracy';
  return curvesSpec({
    title: {
      text: `${data.name}: ${metric.title} per ${xKey}`,
      subtitle:
        points.length === 0
          ? 'no evaluations recorded'
          : `line = mean over seeds, band = min–max over seeds${percent ? '' : '; no trial recorded test accuracy'}`,
    },
    groups: groupNames(data),
    points,
    x: { title: xKey },
    y: { title: metric.logarithmic ? `${metric.title} (log scale)` : metric.title, logarithmic: metric.logarithmic, ...(percent ? { format: '.1~%' } : {}) },
    withPoints: true,
  });
}
