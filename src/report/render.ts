/**
 * Everything a sweep or comparison report consists of, as strings keyed by their path relative to
 * the sweep directory. Pure: it writes nothing, so the caller can write each file atomically, and
 * `adam-lab report <dir>` regenerates the same bytes from the same CSVs.
 *
 * Asynchronous because vega's headless renderer (View.toSVG) is.
 */
import { reportHtml, type RenderedPlot, type ReportPlots } from './html.js';
import { DEFAULT_PLOT_OPTIONS, type PlotOptions } from './options.js';
import { evaluationSpec } from './plots/evaluation.js';
import { heatmapSpec } from './plots/heatmap.js';
import { internalsSpec } from './plots/internals.js';
import { importanceSpec } from './plots/importance.js';
import { parallelSpec } from './plots/parallel.js';
import { lossSpec } from './plots/loss.js';
import { renderSvg } from './plots/render-svg.js';
import { contourSvg } from './plots/contour.js';
import { pathsAnimationSvg } from './plots/paths-animation.js';
import type { ReportData } from './report-data.js';
import type { TopLevelSpec } from 'vega-lite';

export interface RenderedReport {
  /** 'plots/loss.svg', 'plots/accuracy.svg', 'plots/heatmap.svg' (two-axis grids only), 'plots/internals.svg' (trials with train.internals only), …, 'plots/contour.svg' and 'plots/paths.svg' (two-dimensional objectives), 'report.html'. */
  readonly files: Record<string, string>;
  /** The plots among the files, for pages that show them too (a tuned comparison's shows its reruns'). */
  readonly plots: ReportPlots;
}

/** The report's figures in page order: file name (plots/<name>.svg) and spec; null where a figure does not apply. */
function figureSpecs(data: ReportData, options: PlotOptions): [string, TopLevelSpec | null][] {
  return [
    ['loss', lossSpec(data, options)],
    ['accuracy', evaluationSpec(data, options)],
    ['heatmap', heatmapSpec(data, options.heatmapMetric)],
    ['internals', internalsSpec(data)],
    ['parallel', parallelSpec(data)],
    ['importance', importanceSpec(data)],
  ];
}

export async function renderReport(data: ReportData, options: PlotOptions = DEFAULT_PLOT_OPTIONS): Promise<RenderedReport> {
  const plots: RenderedPlot[] = [];
  for (const [name, spec] of figureSpecs(data, options)) {
    if (spec !== null) plots.push({ file: `plots/${name}.svg`, svg: await renderSvg(spec, name) });
  }
  // An objective's paths on its contour plot, still and animated: drawn by hand, not by vega-lite.
  for (const [name, svg] of [['contour', contourSvg(data)], ['paths', pathsAnimationSvg(data)]] as const) {
    if (svg !== null) plots.push({ file: `plots/${name}.svg`, svg });
  }
  const files: Record<string, string> = Object.fromEntries(plots.map((p) => [p.file, p.svg]));
  files['report.html'] = reportHtml(data, plots);
  return { files, plots };
}
