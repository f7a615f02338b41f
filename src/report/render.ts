/**
 * Everything a sweep or comparison report consists of, as strings keyed by their path relative to
 * the sweep directory. Pure: it writes nothing, so the caller can write each file atomically, and
 * `adam-lab report <dir>` regenerates the same bytes from the same CSVs.
 *
 * Asynchronous because vega's headless renderer (View.toSVG) is.
 */
import { reportHtml, type ReportPlots } from './html.js';
import { evaluationSpec } from './plots/evaluation.js';
import { heatmapSpec } from './plots/heatmap.js';
import { internalsSpec } from './plots/internals.js';
import { lossSpec } from './plots/loss.js';
import { renderSvg } from './plots/render-svg.js';
import type { ReportData } from './report-data.js';

export interface RenderedReport {
  /** 'plots/loss.svg', 'plots/accuracy.svg', 'plots/heatmap.svg' (two-axis grids only), 'plots/internals.svg' (trials with train.internals only), 'report.html'. */
  readonly files: Record<string, string>;
  /** The plots among the files, for pages that show them too (a tuned comparison's shows its reruns'). */
  readonly plots: ReportPlots;
}

export async function renderReport(data: ReportData): Promise<RenderedReport> {
  const heatmap = heatmapSpec(data);
  const internals = internalsSpec(data);
  const plots: ReportPlots = {
    loss: await renderSvg(lossSpec(data), 'loss'),
    evaluation: await renderSvg(evaluationSpec(data), 'accuracy'),
    heatmap: heatmap === null ? null : await renderSvg(heatmap, 'heatmap'),
    internals: internals === null ? null : await renderSvg(internals, 'internals'),
  };
  const files: Record<string, string> = {
    'plots/loss.svg': plots.loss,
    'plots/accuracy.svg': plots.evaluation,
  };
  if (plots.heatmap !== null) files['plots/heatmap.svg'] = plots.heatmap;
  if (plots.internals != null) files['plots/internals.svg'] = plots.internals;
  files['report.html'] = reportHtml(data, plots);
  return { files, plots };
}
