/**
 * How the curve figures tell the groups apart. Up to MAX_COLOURED groups, each group its own
 * colour (tableau10, in report order, so a group has the same colour in every figure). A larger
 * sweep grid over two or more paths is drawn in small multiples instead: one panel per value of the first
 * path, the other paths' values as the colours, which are then few and the same in every panel.
 * Other large reports (a compare of many variants, a one-path sweep) keep one panel, and the line
 * dash changes every ten groups (curve-chart.ts).
 */
import { pointLabel, shortAxisNames, valueLabel } from '../axis-names.js';
import type { ReportData } from '../report-data.js';

/** Past this many lines in one panel, colours are hard to tell apart and the bands turn to mud. */
export const MAX_COLOURED = 8;

/** A path with more values than this is not a grid's: one panel each would be too many. */
const MAX_PANELS = 12;

export interface GroupStyle {
  /** The data field the colour encodes: the group itself, or the colour key of a panelled grid. */
  readonly field: 'group' | 'colour';
  /** Its values, in the order (and so the colours) of every figure. */
  readonly domain: readonly string[];
  readonly title: string;
  /** Legend labels of the groups where their names are long: a grid point's values under short names. */
  readonly names: ReadonlyMap<string, string>;
  /** The panels, by the first path's value; absent for a single panel. */
  readonly facet?: { readonly title: string; readonly panels: readonly string[] };
  /** The fields that place one group's marks: its panel and colour key. */
  tag(group: string): { readonly panel?: string; readonly colour?: string };
}

/** Numbers in numeric order, anything else after them in order of appearance. */
function sortedLabels(values: readonly (string | number | boolean | null)[]): string[] {
  const distinct = [...new Map(values.map((v) => [valueLabel(v), v])).entries()];
  const numbers = distinct.filter(([, v]) => typeof v === 'number').sort((a, b) => (a[1] as number) - (b[1] as number));
  return [...numbers, ...distinct.filter(([, v]) => typeof v !== 'number')].map(([label]) => label);
}

export function groupStyle(data: ReportData, groups: readonly string[]): GroupStyle {
  // a comparison's variants (a tuned comparison's reruns have values too) are named and coloured by name
  const sweep = data.kind === 'sweep';
  const distinct = (axis: string): number => new Set(data.trials.map((t) => valueLabel(t.values[axis]))).size;
  // panels for a grid, whose paths take a few values each; a random search draws new ones for every trial
  const grid = sweep && data.axes.length >= 2 && groups.length > MAX_COLOURED && data.axes.every((axis) => distinct(axis) <= MAX_PANELS);
  if (!grid) {
    const names = new Map(!sweep || data.axes.length === 0 ? [] : data.trials.map((t) => [t.group, pointLabel(data.axes, t.values)]));
    return { field: 'group', domain: groups, title: data.kind === 'compare' ? 'variant' : 'group', names, tag: () => ({}) };
  }
  const [panelAxis, ...colourAxes] = data.axes;
  const values = new Map(data.trials.map((t) => [t.group, t.values]));
  const panelOf = (group: string): string => valueLabel(values.get(group)?.[panelAxis]);
  const colourOf = (group: string): string => pointLabel(colourAxes, values.get(group) ?? {});
  const members = groups.filter((g) => values.has(g));
  // the colours in numeric order when one path sets them (lr=1e-4, 3e-4, …), else in report order
  const domain = colourAxes.length === 1 ? sortedLabels(members.map((g) => values.get(g)![colourAxes[0]] ?? null)).map((v) => `${shortAxisNames(colourAxes)[0]}=${v}`) : [...new Set(members.map(colourOf))];
  const panelName = shortAxisNames(data.axes)[0];
  return {
    field: 'colour',
    domain,
    names: new Map(),
    title: shortAxisNames(data.axes).slice(1).join(', '),
    facet: { title: panelAxis, panels: sortedLabels(members.map((g) => values.get(g)![panelAxis] ?? null)).map((v) => `${panelName}=${v}`) },
    tag: (group) => ({ panel: `${panelName}=${panelOf(group)}`, colour: colourOf(group) }),
  };
}
