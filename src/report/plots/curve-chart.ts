/**
 * The layout the loss and evaluation figures share: per group a line (the mean over seeds) over a
 * band (min–max over seeds), coloured by group in report order, with one legend beside the plot.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CurvePoint } from './curves.js';
import type { GroupStyle } from './group-style.js';
import { AXIS_FONTS, figureTitle, LABEL_FONT, relabel, type Layer } from './theme.js';

/** Total width a curve plot aims at (it fits report.html's page); the plot takes what its legend leaves. */
const FIGURE_WIDTH = 1080;
/** tableau10 has ten colours; beyond ten groups the line dash changes every ten groups, so up to ~40 stay distinguishable. */
const PALETTE_SIZE = 10;
const DASHES: readonly (readonly number[])[] = [[1, 0], [7, 3], [2, 2], [9, 3, 2, 3]];

/** Taller plots for many groups, so that the legend (one row per group) fits beside the plot. */
function curveHeight(groups: number): number {
  return Math.min(520, Math.max(300, 17 * groups));
}

/** Wider plots when the group names are short: vega sizes the legend by 0.8 em per character, plus the axis and symbol. */
function curveWidth(groups: readonly string[]): number {
  const legendWidth = 0.8 * LABEL_FONT * Math.max(5, ...groups.map((g) => g.length)) + 40;
  return Math.round(Math.min(860, Math.max(600, FIGURE_WIDTH - 90 - legendWidth)));
}

/** `labels` renames groups in the legend only (the data keeps the group's name). */
function legend(style: GroupStyle, labels: ReadonlyMap<string, string> = new Map()) {
  return {
    ...(labels.size === 0 ? {} : { labelExpr: relabel('label', labels) }),
    title: style.title,
    symbolType: 'stroke',
    symbolStrokeWidth: 2.5,
    symbolOpacity: 1, // else the legend takes the band's faint opacity
    // vega estimates text widths (0.8 em per character) without a canvas, so the limit is
    // generous: a grid point's name such as "lr=0.001 betas.0=0.9" must not be cut.
    labelLimit: 520,
    labelFontSize: LABEL_FONT,
    symbolLimit: Math.max(30, style.domain.length),
  };
}

/**
 * Colour by group (or by a panelled grid's colour key), the domain fixed to the report's order so
 * that a group has the same colour in every plot. Every layer carries the same legend: vega-lite
 * merges them into one, and a layer without a legend would switch the merged one off.
 */
export function colorEncoding(style: GroupStyle, labels?: ReadonlyMap<string, string>) {
  return { field: style.field, type: 'nominal', scale: { domain: [...style.domain], scheme: 'tableau10' }, legend: legend(style, labels) } as const;
}

/** Line dashes that change every PALETTE_SIZE groups, when colours alone would repeat; merged into the colour legend. */
function dashEncoding(style: GroupStyle, labels?: ReadonlyMap<string, string>) {
  if (style.domain.length <= PALETTE_SIZE) return {};
  const range = style.domain.map((_, i) => [...DASHES[Math.floor(i / PALETTE_SIZE) % DASHES.length]]);
  return { strokeDash: { field: style.field, type: 'nominal', scale: { domain: [...style.domain], range }, legend: legend(style, labels) } } as const;
}

/**
 * A log-scale y axis labelled at the powers of ten when the data spans two decades or more
 * (vega's own log ticks then crowd the axis with 2s and 3s); below that vega's ticks read well.
 * None above `ceiling`, where the axis is cut off.
 */
function logAxis(title: string, values: readonly number[], ceiling = Infinity) {
  if (values.length === 0) return { title, format: '~g' };
  // a loop, not Math.min(...values): 25 groups × a few thousand points would overflow the call's arguments
  const lo = Math.floor(Math.log10(values.reduce((a, b) => Math.min(a, b))));
  const hi = Math.ceil(Math.log10(Math.min(ceiling, values.reduce((a, b) => Math.max(a, b)))));
  if (hi - lo < 2) return { title, format: '~g' };
  // written as text so the ticks are exact powers of ten (10 ** -5 is 0.000009999999999999999)
  const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => Number(`1e${lo + i}`));
  return { title, format: '~g', values: ticks.filter((t) => t <= ceiling) };
}

export interface CurveAxis {
  readonly title: string;
  readonly logarithmic: boolean;
  readonly format?: string;
  /** The y axis ends here and the curves are cut off at it. */
  readonly ceiling?: number;
}

/** The y scale and axis for the points' min–max range; with a ceiling, the domain ends there. */
function yScaleAndAxis(points: readonly CurvePoint[], y: CurveAxis) {
  const ceiling = y.ceiling;
  const yValues = points.flatMap((p) => [p.min, p.max]).filter((v) => ceiling === undefined || v <= ceiling);
  // not nice at the top, where rounding out to the next power of ten would move the cut-off inside the plot
  const floor = (x: number): number => (y.logarithmic ? Number(`1e${Math.floor(Math.log10(x))}`) : x);
  const domain = ceiling === undefined ? {} : { domain: [floor(yValues.reduce((a, b) => Math.min(a, b), ceiling)), ceiling], nice: false };
  const scale = y.logarithmic ? ({ type: 'log', ...domain } as const) : { zero: false, ...domain };
  const axis = y.logarithmic ? logAxis(y.title, yValues, ceiling) : { title: y.title, ...(y.format ? { format: y.format } : {}) };
  return { scale, axis };
}

/** Line dashes per split (test solid, validation dashed), with their own legend; merged into the colour legend would hide them. */
function splitEncoding(splits: readonly string[]) {
  if (splits.length < 2) return {};
  const range = splits.map((_, i) => [...DASHES[i % DASHES.length]]);
  return { strokeDash: { field: 'split', type: 'nominal', title: 'data', scale: { domain: [...splits], range }, legend: { symbolType: 'stroke', symbolStrokeWidth: 2, labelFontSize: LABEL_FONT, encode: { symbols: { update: { stroke: { value: '#444' } } } } } } } as const;
}

/**
 * Line (mean) over band (min–max) per group, plus optional extra layers. The band is drawn only
 * where at least two seeds have a value: a band around a single seed would be zero-width noise.
 * `faint` points (the raw curves behind smoothed ones) are drawn as thin pale lines under the lines;
 * points carrying a `split` (test, validation) get a line dash per split.
 */
export function curvesSpec(options: {
  readonly title: { readonly text: string; readonly subtitle: string };
  readonly style: GroupStyle;
  readonly labels?: ReadonlyMap<string, string>;
  readonly points: readonly CurvePoint[];
  readonly faint?: readonly CurvePoint[];
  readonly splits?: readonly string[];
  /** `integer`: the x values are whole numbers (steps), so no tick between them. */
  readonly x: { readonly title: string; readonly integer: boolean };
  readonly y: CurveAxis;
  readonly withPoints: boolean;
  readonly extra?: readonly Layer[];
}): TopLevelSpec {
  const { style, labels, points, x } = options;
  const splits = options.splits ?? [];
  const { scale: yScale, axis: yAxis } = yScaleAndAxis([...points, ...(options.faint ?? [])], options.y);
  const clip = options.y.ceiling === undefined ? {} : { clip: true };
  const xEncoding = { field: 'x', type: 'quantitative', title: x.title, scale: { nice: false }, ...(x.integer ? { axis: { tickMinStep: 1 } } : {}) } as const;
  const bySplit = splits.length < 2 ? {} : { detail: { field: 'split', type: 'nominal' } as const };
  const faint: Layer[] =
    options.faint === undefined
      ? []
      : [
          {
            data: { values: options.faint.map((p) => ({ ...p })) },
            mark: { type: 'line', strokeWidth: 1, opacity: 0.28, ...clip },
            encoding: {
              x: xEncoding,
              y: { field: 'mean', type: 'quantitative', scale: yScale, axis: yAxis },
              color: colorEncoding(style, labels),
              ...dashEncoding(style, labels),
            },
          },
        ];
  const layers: Layer[] = [
      {
        transform: [{ filter: 'datum.seeds >= 2' }],
        // fainter with many groups, where the bands overlap and would turn the plot to mud
        mark: { type: 'area', opacity: style.domain.length <= PALETTE_SIZE ? 0.16 : 0.08, ...clip },
        encoding: {
          x: xEncoding,
          y: { field: 'min', type: 'quantitative', scale: yScale, axis: yAxis },
          y2: { field: 'max' },
          color: colorEncoding(style, labels),
          ...bySplit,
        },
      },
      ...faint,
      {
        mark: { type: 'line', strokeWidth: 1.6, ...(options.withPoints ? { point: { size: 24 } } : {}), ...clip },
        encoding: {
          x: xEncoding,
          y: { field: 'mean', type: 'quantitative', scale: yScale, axis: yAxis },
          color: colorEncoding(style, labels),
          ...(splits.length < 2 ? dashEncoding(style, labels) : splitEncoding(splits)),
        },
      },
      ...(options.extra ?? []),
  ];
  const title = figureTitle(options.title.text, options.title.subtitle);
  const config = { view: { stroke: '#ccc' }, axis: { ...AXIS_FONTS } };
  if (style.facet !== undefined) return panelled(title, config, style.facet, points, layers);
  return { title, width: curveWidth(style.domain.map((g) => labels?.get(g) ?? g)), height: curveHeight(style.domain.length), data: { values: points.map((p) => ({ ...p })) }, layer: layers, config };
}

/** Up to this many panels sit in one row; more wrap into rows of three or four, whichever leaves fewer empty slots (vega draws an empty slot's axis). */
const ONE_ROW = 5;

function panelColumns(panels: number): number {
  if (panels <= ONE_ROW) return panels;
  return (4 - (panels % 4)) % 4 < (3 - (panels % 3)) % 3 ? 4 : 3;
}

/** Panels share the width a single plot has (legend aside), down to a width where a step axis still reads. */
function panelWidth(columns: number): number {
  return Math.max(150, Math.min(280, Math.floor((FIGURE_WIDTH - 180) / columns) - 24));
}

/**
 * The layers drawn once per panel (small multiples, sharing their scales). A facet takes one data
 * set, so each layer's own data joins the points, tagged with the layer it belongs to.
 */
function panelled(title: ReturnType<typeof figureTitle>, config: object, facet: NonNullable<GroupStyle['facet']>, points: readonly CurvePoint[], layers: readonly Layer[]): TopLevelSpec {
  const values: Record<string, unknown>[] = points.map((p) => ({ ...p, layer: 'curves' }));
  const tagged = layers.map((layer, i) => {
    const { data, transform = [], ...rest } = layer as Layer & { data?: { values: Record<string, unknown>[] }; transform?: unknown[] };
    const name = data === undefined ? 'curves' : `layer${i}`;
    if (data !== undefined) values.push(...data.values.map((v) => ({ ...v, layer: name })));
    return { ...rest, transform: [{ filter: `datum.layer === '${name}'` }, ...transform] };
  });
  return {
    title,
    data: { values },
    facet: { field: 'panel', type: 'ordinal', sort: [...facet.panels], title: facet.title, header: { labelFontSize: LABEL_FONT + 1, titleFontSize: 12 } },
    columns: panelColumns(facet.panels.length),
    spec: { width: panelWidth(panelColumns(facet.panels.length)), height: 190, layer: tagged },
    config,
  } as TopLevelSpec;
}
