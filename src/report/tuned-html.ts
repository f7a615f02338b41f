/**
 * A tuned comparison's report.html: the fair-comparison table and its verdicts, the learning-rate
 * sensitivity and the reruns' plots, with links to the tuning and rerun phases' own reports.
 */
import type { ReportPlots } from './html.js';
import { cell, escapeHtml, figure, page, scrolling } from './html-page.js';

/** What a tuned comparison's report.html shows; the SVGs are inlined, null where there is none. */
export interface TunedPage {
  readonly name: string;
  /** The folder's name, tuned-<id>. */
  readonly folder: string;
  /** How it was tuned and rerun, in words. */
  readonly description: string;
  /** The search space, as YAML. */
  readonly space: string;
  /** The fair-comparison table, header first (as comparison.md has it). */
  readonly table: readonly (readonly string[])[];
  readonly verdicts: readonly string[];
  /** Search spaces too narrow for an optimizer to reach what it includes (Choi et al. 2019). */
  readonly lint?: readonly string[];
  readonly sensitivity: string | null;
  /** The reruns' plots (their report wrote them to rerun/plots/). */
  readonly rerunPlots: ReportPlots;
}

/** The reruns' figures the page shows: their curves (a heatmap of the tuned values would have one cell per variant), and an objective's tuned paths. */
const RERUN_FIGURES = ['plots/loss.svg', 'plots/accuracy.svg', 'plots/contour.svg', 'plots/paths.svg'];

function plainTable(rows: readonly (readonly string[])[]): string {
  const [header, ...body] = rows;
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const lines = body.map((r) => `<tr${r[0] === '1' ? ' class="best"' : ''}>${r.map((c) => cell(escapeHtml(c))).join('')}</tr>`);
  return scrolling(`<table class="comparison"><thead><tr>${head}</tr></thead><tbody>\n${lines.join('\n')}\n</tbody></table>`);
}

function lintList(lint: readonly string[]): string {
  return lint.length === 0 ? '' : `<h3>Search spaces</h3>\n<ul class="lint">\n${lint.map((v) => `<li>${escapeHtml(v)}</li>`).join('\n')}\n</ul>`;
}

export function tunedReportHtml(tuned: TunedPage): string {
  const figures = [
    tuned.sensitivity === null ? '' : figure(tuned.sensitivity, 'plots/lr-sensitivity.svg'),
    ...tuned.rerunPlots.filter((p) => RERUN_FIGURES.includes(p.file)).map((p) => figure(p.svg, `rerun/${p.file}`)),
  ];
  return page(
    `${tuned.name} · ${tuned.folder}`,
    `<header>
<h1>${escapeHtml(tuned.name)}</h1>
<p class="meta">Tuned comparison <code>${escapeHtml(tuned.folder)}</code>. ${escapeHtml(tuned.description)}</p>
<pre><code>${escapeHtml(tuned.space)}</code></pre>
</header>
<section>
<h2>Comparison</h2>
${plainTable(tuned.table)}
<ul>
${tuned.verdicts.map((v) => `<li>${escapeHtml(v)}</li>`).join('\n')}
</ul>
${lintList(tuned.lint ?? [])}
</section>
<section>
<h2>Plots</h2>
${figures.filter((f) => f !== '').join('\n')}
</section>
<section>
<h2>Trials</h2>
<p>Every trial with its curves: <a href="tuning/report.html">tuning/report.html</a> (on validation data) and <a href="rerun/report.html">rerun/report.html</a> (the best settings over seeds).</p>
</section>`,
  );
}
