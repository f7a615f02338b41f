/**
 * plots/internals.svg, for trials that recorded the optimizer internals (train.internals): per
 * report group (its first seed that has internals.csv), the update ratio ‖Δθ‖/‖θ‖ of each tensor
 * over the steps, and the median effective step size of each tensor with a band from its 10 % to
 * its 90 % quantile; both on log axes, one row per group, one colour per tensor. SGD has no step
 * sizes (every element steps by lr), so its row shows the ratios alone. Null when no trial
 * recorded internals.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { TrialData } from '../../runs/run-reader.js';
import type { ReportData } from '../report-data.js';
import { groupNames } from './curves.js';
import { AXIS_FONTS, figureTitle, LABEL_FONT } from './theme.js';

const RATIO = 'update ratio ‖Δθ‖/‖θ‖';
const STEP_SIZE = 'effective step size: median, band p10–p90';

interface Point {
  readonly group: string;
  readonly tensor: string;
  readonly measure: string;
  readonly step: number;
  readonly value: number;
  readonly low?: number;
  readonly high?: number;
}

/** Only what a log axis can draw. */
const drawable = (x: number): boolean => Number.isFinite(x) && x > 0;

function points(group: string, trial: TrialData): Point[] {
  return (trial.internals?.points ?? []).flatMap((p): Point[] => {
    const ratio: Point[] = drawable(p.updateRatio) ? [{ group, tensor: p.tensor, measure: RATIO, step: p.step, value: p.updateRatio }] : [];
    if (p.stepSizes === null || !p.stepSizes.every(drawable)) return ratio;
    const [low, value, high] = p.stepSizes;
    return [...ratio, { group, tensor: p.tensor, measure: STEP_SIZE, step: p.step, value, low, high }];
  });
}

export function internalsSpec(data: ReportData): TopLevelSpec | null {
  const shown = groupNames(data).flatMap((group) => {
    const trial = data.trials.find((t) => t.group === group && (t.internals?.points.length ?? 0) > 0);
    return trial === undefined ? [] : [{ group, trial }];
  });
  if (shown.length === 0) return null;
  const all = shown.flatMap(({ group, trial }) => points(group, trial));
  const color = { field: 'tensor', type: 'nominal', title: 'tensor', scale: { domain: [...new Set(all.map((p) => p.tensor))] }, legend: { labelFontSize: LABEL_FONT } } as const;
  const x = { field: 'step', type: 'quantitative', title: 'step' } as const;
  const log = (field: string) => ({ field, type: 'quantitative', scale: { type: 'log' }, title: 'log scale' }) as const;
  // One explicit cell per group and measure: each cell has its own data and y scale.
  const cell = (group: string, measure: string) => {
    const values = all.filter((p) => p.group === group && p.measure === measure).map((p) => ({ ...p }));
    const frame = { title: { text: `${group}: ${measure}`, fontSize: 12, anchor: 'start' }, width: 420, height: 220, data: { values } } as const;
    const line = { mark: { type: 'line', strokeWidth: 1.8 }, encoding: { x, y: log('value'), color } } as const;
    if (measure === RATIO) return { ...frame, ...line };
    const band = { mark: { type: 'area', opacity: 0.18 }, encoding: { x, y: log('low'), y2: { field: 'high' }, color } } as const;
    return { ...frame, layer: [band, line] };
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: figureTitle(
      `${data.name}: optimizer internals`,
      `per tensor, from internals.csv of each group's first seed (${shown.map((s) => `${s.group}: seed ${s.trial.seed}`).join('; ')})`,
    ),
    vconcat: shown.map(({ group }) => ({
      hconcat: [RATIO, STEP_SIZE].filter((measure) => all.some((p) => p.group === group && p.measure === measure)).map((measure) => cell(group, measure)),
    })),
    config: { axis: AXIS_FONTS },
  };
}
