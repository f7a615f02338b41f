/**
 * plots/importance.svg, for a sweep over three paths or more, or a random search: one bar per
 * varied path, the share of the ranked metric's variance it explains on its own (importance.ts
 * says how), longest first.
 */
import type { TopLevelSpec } from 'vega-lite';
import { shortAxisNames } from '../axis-names.js';
import { axisImportance } from '../importance.js';
import type { ReportData } from '../report-data.js';
import { AXIS_FONTS, figureTitle } from './theme.js';

/** Whether the report gets the parallel-coordinates and importance figures: more paths, or more values, than a heatmap shows. */
export function hasManyAxes(data: ReportData): boolean {
  if (data.axes.length < 2) return false;
  const distinct = data.axes.map((axis) => new Set(data.trials.map((t) => String(t.values[axis]))).size);
  const fullGrid = distinct.reduce((a, b) => a * b, 1) === data.groups.length;
  return data.axes.length >= 3 || !fullGrid;
}

export function importanceSpec(data: ReportData): TopLevelSpec | null {
  if (!hasManyAxes(data)) return null;
  const shares = axisImportance(data);
  if (shares.length === 0) return null;
  const names = shortAxisNames(data.axes);
  const values = shares.map((s, i) => ({ path: s.axis, name: names[i], share: s.share, levels: s.levels, chance: s.chance })).sort((a, b) => b.share - a.share);
  return {
    title: figureTitle(
      `${data.name}: what ${data.rankBy.metric} depends on`,
      'share of its variance over the completed trials explained by each path alone; η² = between-value / total sum of squares, ' +
        'many-valued paths binned into quintiles; | = what a path that does not matter gets by chance; interacting paths need not add up to 100 %',
    ),
    width: 520,
    height: { step: 26 },
    data: { values },
    layer: [
      {
        mark: { type: 'bar', color: '#4c78a8' },
        encoding: {
          y: { field: 'name', type: 'nominal', sort: values.map((v) => v.name), title: null },
          x: { field: 'share', type: 'quantitative', title: 'share of variance explained (η²)', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
          tooltip: [{ field: 'path' }, { field: 'share', format: '.1%' }, { field: 'levels', title: 'values or bins' }],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, baseline: 'middle', fontSize: 11 },
        encoding: { y: { field: 'name', type: 'nominal', sort: values.map((v) => v.name) }, x: { field: 'share', type: 'quantitative' }, text: { field: 'share', format: '.1%' } },
      },
      {
        mark: { type: 'tick', color: '#222', thickness: 2, size: 20 },
        encoding: { y: { field: 'name', type: 'nominal', sort: values.map((v) => v.name) }, x: { field: 'chance', type: 'quantitative' }, tooltip: [{ field: 'chance', title: 'expected by chance', format: '.1%' }] },
      },
    ],
    config: { view: { stroke: null }, axis: { ...AXIS_FONTS } },
  } as TopLevelSpec;
}
