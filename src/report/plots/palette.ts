/**
 * The variants' colours, for the figures drawn as SVG by hand (contour.ts, paths-animation.ts):
 * vega's tableau10 scheme, which the vega-lite figures name ('tableau10', curve-chart.ts), in the
 * same report order, so that a variant has one colour in every figure.
 */
export const TABLEAU10 = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'] as const;

export function groupColour(index: number): string {
  return TABLEAU10[index % TABLEAU10.length];
}
