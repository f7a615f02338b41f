/**
 * plots/accuracy.svg: the evaluations (epochs.csv) of every trial in the loss figure's layout —
 * test accuracy, and validation accuracy dashed beside it where data.validation was set — or the
 * losses when no trial measured accuracy (train loss when there is no test or validation split
 * either); the title says which. When no trial evaluated more than once, a curve would be one
 * point, so the figure shows the final values instead: every seed as a dot, the mean as a bar.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EvaluationPoint, TrialData } from '../../runs/run-reader.js';
import { DEFAULT_PLOT_OPTIONS, type PlotOptions, type XAxis } from '../options.js';
import { pointLabel } from '../axis-names.js';
import type { ReportData } from '../report-data.js';
import { colorEncoding, curvesSpec } from './curve-chart.js';
import { curve, curvesByGroup, evaluationX, groupNames, xTitle, type CurvePoint } from './curves.js';
import { groupStyle } from './group-style.js';
import { AXIS_FONTS, figureTitle, LABEL_FONT, type Layer } from './theme.js';

type Field = 'testAccuracy' | 'valAccuracy' | 'testLoss' | 'valLoss' | 'trainLoss';

/** What the figure can show, in order of preference: each a quantity measured on one or more splits. */
/** `target`: the targets: key drawn as a line across the figure (targets are on test data). */
const FAMILIES: readonly { title: string; logarithmic: boolean; percent: boolean; splits: readonly { split: string; field: Field }[]; target?: string }[] = [
  { title: 'accuracy', logarithmic: false, percent: true, splits: [{ split: 'test', field: 'testAccuracy' }, { split: 'validation', field: 'valAccuracy' }], target: 'test_accuracy' },
  { title: 'loss', logarithmic: true, percent: false, splits: [{ split: 'test', field: 'testLoss' }, { split: 'validation', field: 'valLoss' }], target: 'test_loss' },
  { title: 'loss', logarithmic: true, percent: false, splits: [{ split: 'train (evaluation)', field: 'trainLoss' }] },
];

const measured = (e: EvaluationPoint, field: Field): boolean => {
  const v = e[field];
  return v !== null && v !== undefined && Number.isFinite(v);
};

/** The first family some trial measured, with the splits that were measured. */
function chooseFamily(data: ReportData) {
  const evaluations = data.trials.flatMap((t) => t.evaluations);
  for (const family of FAMILIES) {
    const splits = family.splits.filter(({ field }) => evaluations.some((e) => measured(e, field)));
    if (splits.length > 0) return { ...family, splits };
  }
  return { ...FAMILIES[0], splits: FAMILIES[0].splits.slice(0, 1) };
}

/** "test accuracy", "test and validation accuracy", "train (evaluation) loss". */
function familyTitle(family: ReturnType<typeof chooseFamily>): string {
  return `${family.splits.map((s) => s.split).join(' and ')} ${family.title}`;
}

/** Epochs are the natural x, unless a trial evaluates more than once per epoch (eval_every). */
function naturalAxis(data: ReportData): XAxis {
  return data.trials.some((t) => new Set(t.evaluations.map((e) => e.epoch)).size < t.evaluations.length) ? 'step' : 'epoch';
}

function evaluationCurve(trial: TrialData, field: Field, axis: XAxis, logarithmic: boolean) {
  return curve(
    trial.evaluations.map((e) => [evaluationX(trial, e, axis), e[field] ?? null] as const).filter((p): p is readonly [number, number | null] => p[0] !== null),
    logarithmic,
  );
}

export function evaluationSpec(data: ReportData, options: PlotOptions = DEFAULT_PLOT_OPTIONS): TopLevelSpec {
  const family = chooseFamily(data);
  if (data.trials.every((t) => t.evaluations.length <= 1) && data.trials.some((t) => t.evaluations.length === 1)) return finalValuesSpec(data, family);
  const axis = options.xAxis ?? naturalAxis(data);
  const style = groupStyle(data, groupNames(data));
  const points: CurvePoint[] = family.splits.flatMap(({ split, field }) =>
    curvesByGroup(data, (trial) => evaluationCurve(trial, field, axis, family.logarithmic), style.tag).map((p) => (family.splits.length > 1 ? { ...p, split } : p)),
  );
  const title = familyTitle(family);
  const target = family.target === undefined ? undefined : data.targets?.[family.target];
  const noAccuracy = family.title === 'accuracy' ? '' : '; no trial recorded accuracy';
  return curvesSpec({
    title: {
      text: `${data.name}: ${title} per ${axis === 'seconds' ? 'second of wall clock' : axis}`,
      subtitle: points.length === 0 ? 'no evaluations recorded' : `line = mean over seeds, band = min–max over seeds${family.splits.length > 1 ? ', dashes = validation' : ''}${target === undefined ? '' : ', dotted = the target'}${noAccuracy}`,
    },
    style,
    labels: style.names,
    points,
    splits: family.splits.length > 1 ? family.splits.map((s) => s.split) : [],
    x: { title: xTitle(axis), integer: axis === 'step' },
    y: { title: family.logarithmic ? `${title} (log scale)` : title, logarithmic: family.logarithmic, ...(family.percent ? { format: '.1~%' } : {}) },
    withPoints: true,
    extra: target === undefined ? [] : [targetLayer(target, family.percent, family.logarithmic ? `${title} (log scale)` : title)],
  });
}

/** The target as a dotted line across the figure, labelled at its right end: which curves cross it, and where. */
function targetLayer(value: number, percent: boolean, yTitle: string): Layer {
  const text = `target ${percent ? `${Number((100 * value).toPrecision(4))}%` : value}`;
  // the curves' axis title: vega-lite joins differing titles of a shared axis
  const y = { field: 'target', type: 'quantitative', title: yTitle } as const;
  return {
    data: { values: [{ target: value, text }] },
    layer: [
      { mark: { type: 'rule', stroke: '#333', strokeDash: [2, 3], strokeWidth: 1.2 }, encoding: { y } },
      { mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -2, x: 'width', fontSize: LABEL_FONT, fill: '#333' }, encoding: { y, text: { field: 'text' } } },
    ],
  } as Layer;
}

/**
 * One evaluation per trial: a line would be a single point, so each trial's value is a dot on a
 * row per group (seeds side by side) with the mean as a tick, the groups in report order, coloured
 * as in every other figure.
 */
function finalValuesSpec(data: ReportData, family: ReturnType<typeof chooseFamily>): TopLevelSpec {
  const groups = groupNames(data);
  const style = groupStyle(data, groups);
  const { split, field } = family.splits[0];
  // a row per group, named by its values under short names where it is a grid point
  const rowOf = new Map(data.trials.map((t) => [t.group, data.kind === 'sweep' && data.axes.length > 0 ? pointLabel(data.axes, t.values) : t.group]));
  const values = data.trials.flatMap((t) => {
    const e = t.evaluations[0];
    return e === undefined || !measured(e, field) ? [] : [{ group: t.group, row: rowOf.get(t.group)!, seed: t.seed, value: e[field] as number, ...style.tag(t.group) }];
  });
  const title = `${split} ${family.title}`;
  const x = {
    field: 'value',
    type: 'quantitative',
    title,
    scale: family.logarithmic ? { type: 'log' } : { zero: false },
    axis: family.percent ? { format: '.1~%' } : { format: '~g' },
  } as const;
  const y = { field: 'row', type: 'nominal', sort: groups.map((g) => rowOf.get(g) ?? g), title: null, axis: { labelLimit: 360 } } as const;
  return {
    title: figureTitle(`${data.name}: final ${title}`, 'one evaluation per trial: dot = a seed, tick = mean over seeds'),
    width: 640,
    height: { step: 22 },
    data: { values },
    layer: [
      { mark: { type: 'point', filled: true, size: 46, opacity: 0.75 }, encoding: { x, y, color: { ...colorEncoding(style), legend: null } } },
      {
        mark: { type: 'tick', thickness: 2.5, size: 18 },
        encoding: { x: { ...x, aggregate: 'mean' }, y, color: { ...colorEncoding(style), legend: null } },
      },
    ],
    config: { view: { stroke: '#ccc' }, axis: { ...AXIS_FONTS, labelFontSize: LABEL_FONT } },
  } as TopLevelSpec;
}
