/**
 * A sweep's or comparison's report.html (a page of html-page.ts with the plots' SVGs inlined). Top to
 * bottom: what ran, the plots (what a reader looks at first), the comparison table (the answer in
 * numbers) and the table of every trial (the detail). A sweep's varied values are columns of their
 * own, named by their last config keys (the full path on hover), so no cell has to wrap a value.
 * Nothing in it depends on when it was generated, so the same data gives the same bytes.
 */
import { shortAxisNames, valueLabel } from './axis-names.js';
import { displayNumber } from './display-number.js';
import { cell, escapeHtml, figure, page, scrolling, wrappableName } from './html-page.js';
import type { EvaluationPoint, TrialData } from '../runs/run-reader.js';
import type { GroupSummary, ReportData } from './report-data.js';
import { isShown, reachedCount, targetOf } from './summary.js';

/** One rendered plot: its file relative to the sweep folder (plots/loss.svg) and its SVG. */
export interface RenderedPlot {
  readonly file: string;
  readonly svg: string;
}

/** The rendered plots to inline, in the order the page shows them. */
export type ReportPlots = readonly RenderedPlot[];

const DASH = '—';

/**
 * Accuracies are fractions in the data and percentages on the page (the std then in percentage
 * points); steps_to_test_accuracy and seconds_to_test_accuracy count steps and seconds, however they end.
 */
function isAccuracy(metric: string): boolean {
  return metric.endsWith('accuracy') && targetOf(metric) === null;
}

function formatMetric(metric: string, value: number): string {
  return isAccuracy(metric) && Number.isFinite(value) ? `${(value * 100).toFixed(2)}%` : displayNumber(value);
}

/** A std to two significant digits: its own uncertainty over a handful of seeds makes more digits noise. */
function formatSpread(metric: string, value: number): string {
  return displayNumber(isAccuracy(metric) && Number.isFinite(value) ? value * 100 : value, 2);
}

function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return DASH;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(Math.floor(seconds - 60 * minutes)).padStart(2, '0')} s`;
}

// ---------------------------------------------------------------------------------------------
// Comparison table

/**
 * Metric columns in order of first appearance, the ranking metric first; none that no group has a
 * value for (a column of dashes says nothing), except the times to targets (summary.ts isShown).
 */
function metricNames(data: ReportData): string[] {
  const names = new Set<string>([data.rankBy.metric]);
  for (const g of data.groups) for (const name of Object.keys(g.metrics)) if (isShown(data, name)) names.add(name);
  return [...names];
}

/** Ranked groups first, by rank; unranked ones (nothing finished) after them in report order. */
function byRank(groups: readonly GroupSummary[]): GroupSummary[] {
  return [...groups].sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity));
}

function metricCell(group: GroupSummary, metric: string): string {
  const m = group.metrics[metric];
  const target = targetOf(metric);
  // a time to a target is a mean over the seeds that reached it: always say how many did
  const reached = target === null ? '' : ` <span class="n">${reachedCount(group, target)}/${group.completed} reached</span>`;
  if (!m && target !== null && group.completed > 0) return cell(`not reached <span class="n">(0/${group.completed})</span>`, 'num');
  if (!m) return cell(`${DASH}${reached}`, 'num');
  // n says how many trials the mean is over when that is fewer than the group has (others diverged or did not finish)
  const n = target === null && m.n < group.trials ? ` <span class="n">n=${m.n}</span>` : '';
  const spread = m.std === null ? '' : ` <span class="std">± ${formatSpread(metric, m.std)}</span>`;
  return cell(`${formatMetric(metric, m.mean)}${spread}${n}${reached}`, 'num');
}

// ---------------------------------------------------------------------------------------------
// What identifies a group or trial: its varied values, one column each, or its variant's name

/** The column header of each varied config path: its short name (axis-names.ts), the full path as the tooltip. */
function axisHeaders(axes: readonly string[]): string[] {
  const names = shortAxisNames(axes);
  return axes.map((path, i) =>
    names[i] === path ? `<th>${escapeHtml(path)}</th>` : `<th title="${escapeHtml(path)}"><abbr title="${escapeHtml(path)}">${escapeHtml(names[i])}</abbr></th>`,
  );
}

/** A sweep's grid point is named by its values alone; a variant by its name, then any values it was given (a tuned comparison's reruns). */
function namedByValues(data: ReportData): boolean {
  return data.kind === 'sweep' && data.axes.length > 0;
}

/** The header cells that say which group a row is: its name (a variant's), and one per varied path. */
function identityHeaders(data: ReportData): string[] {
  const name = namedByValues(data) ? [] : [`<th>${data.kind === 'compare' ? 'variant' : 'group'}</th>`];
  return [...name, ...axisHeaders(data.axes)];
}

function identityCells(data: ReportData, group: string, values: Readonly<Record<string, string | number | boolean | null>>): string[] {
  const name = namedByValues(data) ? [] : [cell(escapeHtml(group), 'name')];
  return [...name, ...data.axes.map((axis) => cell(values[axis] === undefined || values[axis] === null ? DASH : escapeHtml(valueLabel(values[axis])), typeof values[axis] === 'number' ? 'num' : 'name'))];
}

function comparisonTable(data: ReportData): string {
  const metrics = metricNames(data);
  const direction = data.rankBy.higherIsBetter ? 'higher is better' : 'lower is better';
  const head = [
    '<th class="num">rank</th>',
    ...identityHeaders(data),
    ...metrics.map((m) =>
      m === data.rankBy.metric
        ? `<th class="num ranked">${wrappableName(m)}<br><span class="hint">ranked by, ${direction}</span></th>`
        : `<th class="num">${wrappableName(m)}</th>`,
    ),
    '<th class="num">completed</th>',
    '<th class="num">diverged</th>',
  ].join('');
  const rows = byRank(data.groups).map((g) => {
    const cells = [
      cell(g.rank === null ? DASH : String(g.rank), 'num'),
      ...identityCells(data, g.group, g.values),
      ...metrics.map((m) => metricCell(g, m)),
      cell(`${g.completed}/${g.trials}`, 'num'),
      cell(String(g.diverged), g.diverged > 0 ? 'num bad' : 'num'),
    ];
    return `<tr${g.rank === 1 ? ' class="best"' : ''}>${cells.join('')}</tr>`;
  });
  return scrolling(`<table class="comparison"><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`);
}

// ---------------------------------------------------------------------------------------------
// Per-trial summary

function lastEvaluation(trial: TrialData): EvaluationPoint | null {
  return trial.evaluations.length === 0 ? null : trial.evaluations[trial.evaluations.length - 1];
}

function optional(value: number | null | undefined, format: (x: number) => string): string {
  return value === null || value === undefined ? DASH : format(value);
}

function trialsTable(data: ReportData): string {
  const head = ['seed', 'status', 'epoch', 'train loss', 'test loss', 'test accuracy', 'diverged at step', 'time'];
  const numeric = new Set(['seed', 'epoch', 'train loss', 'test loss', 'test accuracy', 'diverged at step', 'time']);
  const rows = data.trials.map((t) => {
    const last = lastEvaluation(t);
    return `<tr>${[
      cell(`<code>${escapeHtml(t.id)}</code>`),
      ...identityCells(data, t.group, t.values),
      cell(String(t.seed), 'num'),
      cell(`<span class="status ${/^[a-z]+$/.test(t.status) ? t.status : 'other'}">${escapeHtml(t.status)}</span>`),
      cell(optional(last?.epoch, String), 'num'),
      cell(optional(last?.trainLoss, displayNumber), 'num'),
      cell(optional(last?.testLoss, displayNumber), 'num'),
      cell(optional(last?.testAccuracy, (x) => formatMetric('accuracy', x)), 'num'),
      cell(optional(t.divergedAtStep, String), t.divergedAtStep === null ? 'num' : 'num bad'),
      cell(formatSeconds(t.seconds), 'num'),
    ].join('')}</tr>`;
  });
  const ths = ['<th>trial</th>', ...identityHeaders(data), ...head.map((h) => `<th${numeric.has(h) ? ' class="num"' : ''}>${h}</th>`)].join('');
  return [
    '<p class="hint">Losses and accuracy are those of each trial\'s last evaluation (epochs.csv).</p>',
    scrolling(`<table class="trials"><thead><tr>${ths}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`, 'tall'),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Page

function statusCounts(trials: readonly TrialData[]): string {
  const counts = new Map<string, number>();
  for (const t of trials) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${escapeHtml(status)}`).join(', ');
}

export function reportHtml(data: ReportData, plots: ReportPlots): string {
  const what = data.kind === 'sweep' ? 'Sweep' : 'Comparison';
  const axes = data.axes.length === 0 ? '' : ` over ${data.axes.map((a) => `<code>${escapeHtml(a)}</code>`).join(' × ')}`;
  const seeds = new Set(data.trials.map((t) => t.seed)).size;
  return page(
    `${data.name} · ${what.toLowerCase()} ${data.id}`,
    `<header>
<h1>${escapeHtml(data.name)}</h1>
<p class="meta">${what} <code>${escapeHtml(data.id)}</code>${axes}: ${data.groups.length} groups × ${seeds} seed${seeds === 1 ? '' : 's'}, ${data.trials.length} trials (${statusCounts(data.trials)}).</p>
</header>
<section>
<h2>Plots</h2>
${plots.map((p) => figure(p.svg, p.file)).join('\n')}
</section>
<section>
<h2>Comparison</h2>
${comparisonTable(data)}
</section>
<section>
<h2>Trials</h2>
${trialsTable(data)}
</section>`,
  );
}

