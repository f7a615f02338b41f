/** The look every figure of the report shares: fonts, titles, and labels vega cannot write itself. */
import type { TopLevelSpec } from 'vega-lite';

/** One layer of a layered vega-lite spec. */
export type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

export const LABEL_FONT = 11;

/** Font sizes of axis labels and titles, for a spec's config.axis. */
export const AXIS_FONTS = { labelFontSize: LABEL_FONT, titleFontSize: 12 } as const;

/** Past this many characters a subtitle is broken into lines at its semicolons. */
const SUBTITLE_LINE = 100;

/**
 * A figure's title: what it shows, and a grey subtitle that says how to read it. A long subtitle
 * goes on several lines: vega sizes the figure by the longest line's estimated width, so one long
 * line would leave a wide empty band beside the plot.
 */
export function figureTitle(text: string, subtitle: string) {
  return { text, subtitle: subtitle.length > SUBTITLE_LINE ? subtitle.split('; ') : subtitle, anchor: 'start', subtitleColor: '#555' } as const;
}

/**
 * A vega expression that shows `texts.get(datum.<field>)` for the entries it names and vega's own
 * label for the rest: for labels vega cannot format itself (a group's divergence, numbers rounded
 * like displayNumber rounds them).
 */
export function relabel(field: 'label' | 'value', texts: ReadonlyMap<string | number, string>): string {
  return [...texts].reduceRight((rest, [key, text]) => `datum.${field} === ${JSON.stringify(key)} ? ${JSON.stringify(text)} : ${rest}`, 'datum.label');
}
