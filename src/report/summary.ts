/**
 * The tables of a sweep, rebuilt from the trials' own files every time (never appended to):
 *   summary.csv     one row per trial: its group, seed, varied values, status and results
 *   comparison.csv  one row per group (variant or grid point) over its seeds: mean and std of
 *   comparison.md   each result, finished/diverged/failed counts, how many seeds reached each
 *                   target, rank
 *
 * A time to a target (steps_to_<target>, seconds_to_<target>) is a mean over the completed
 * trials that reached it, so it is never shown without how many did: "80 ± 5 (2/3)".
 */
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from '../runs/atomic.js';
import { formatNumber } from '../runs/numbers.js';
import { firstReaching, readTrialData, RESULT_METRICS, trialResults, type ResultMetric, type TrialData } from '../runs/run-reader.js';
import { readSweepManifest, type SweepManifest } from '../runs/sweep-dir.js';
import type { GroupSummary, ReportData } from './report-data.js';

export function collectReport(dir: string): ReportData {
  const sweep = readSweepManifest(dir);
  const trials = sweep.trials.map((t) => readTrialData(dir, t.id, t.group, t.seed, t.values as TrialData['values']));
  const rankBy = rankingMetric(trials);
  const groups = rank(groupSummaries(sweep, trials), rankBy);
  const objective = sweep.trials[0]?.config.objective;
  return { kind: sweep.kind, name: sweep.name, id: sweep.id, axes: sweep.axes, trials, groups, rankBy, targets: sweep.targets, ...(objective === undefined ? {} : { objective }) };
}

function rankingMetric(trials: readonly TrialData[]): ReportData['rankBy'] {
  const measured = (m: ResultMetric): boolean => trials.some((t) => trialResults(t)[m] !== null);
  if (measured('final_test_accuracy')) return { metric: 'final_test_accuracy', higherIsBetter: true };
  if (measured('final_test_loss')) return { metric: 'final_test_loss', higherIsBetter: false };
  return { metric: 'final_train_loss', higherIsBetter: false };
}

function groupSummaries(sweep: SweepManifest, trials: readonly TrialData[]): GroupSummary[] {
  const order = [...new Set(trials.map((t) => t.group))];
  return order.map((group) => {
    const members = trials.filter((t) => t.group === group);
    const completed = members.filter((t) => t.status === 'completed');
    const metrics: Record<string, GroupSummary['metrics'][string]> = {};
    for (const metric of RESULT_METRICS) metrics[metric] = meanAndStd(completed.map((t) => trialResults(t)[metric]));
    for (const [metric, target] of Object.entries(sweep.targets)) {
      const reached = completed.map((t) => firstReaching(t, metric, target));
      metrics[`steps_to_${metric}`] = meanAndStd(reached.map((e) => e?.step ?? null));
      metrics[`seconds_to_${metric}`] = meanAndStd(reached.map((e) => e?.seconds ?? null));
    }
    return {
      group,
      values: members[0].values,
      rank: null,
      trials: members.length,
      completed: completed.length,
      diverged: members.filter((t) => t.status === 'diverged').length,
      failed: members.filter((t) => t.status === 'failed').length,
      metrics,
    };
  });
}

/**
 * Mean and sample standard deviation (n − 1) of the values measured; null when none were. The std
 * of a single value is null, not 0: one seed says nothing about the spread.
 */
function meanAndStd(values: readonly (number | null)[]): { mean: number; std: number | null; n: number } | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.length === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length < 2 ? null : Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  return { mean, std, n: xs.length };
}

/** The target metric a time-to-target metric (steps_to_<target>, seconds_to_<target>) times; null for other metrics. */
export function targetOf(metric: string): string | null {
  return /^(?:steps|seconds)_to_(.+)$/.exec(metric)?.[1] ?? null;
}

/** How many of the group's completed trials reached the target: the trials its time-to-target means are over. */
export function reachedCount(group: GroupSummary, target: string): number {
  return group.metrics[`steps_to_${target}`]?.n ?? 0;
}

/** Rank 1 is the best mean of the ranking metric; groups without a result are unranked. */
function rank(groups: GroupSummary[], by: ReportData['rankBy']): GroupSummary[] {
  const score = (g: GroupSummary): number | null => g.metrics[by.metric]?.mean ?? null;
  const ranked = groups.filter((g) => score(g) !== null).sort((a, b) => (by.higherIsBetter ? score(b)! - score(a)! : score(a)! - score(b)!));
  return groups.map((g) => ({ ...g, rank: ranked.includes(g) ? ranked.indexOf(g) + 1 : null }));
}

export function summaryCsv(data: ReportData, targets: Readonly<Record<string, number>>): string {
  const rows = data.trials.map((t) => {
    const results = trialResults(t);
    const row: Record<string, string> = { trial: t.id, [data.kind === 'compare' ? 'variant' : 'group']: t.group, seed: String(t.seed) };
    for (const axis of data.axes) row[axis] = t.values[axis] === undefined ? '' : String(t.values[axis]);
    row.status = t.status;
    row.steps = t.losses.length === 0 ? '' : String(t.losses.at(-1)![0]);
    row.diverged_at_step = t.divergedAtStep === null ? '' : String(t.divergedAtStep);
    for (const m of RESULT_METRICS) row[m] = formatNumber(results[m]);
    for (const [metric, target] of Object.entries(targets)) {
      const reached = firstReaching(t, metric, target);
      row[`steps_to_${metric}`] = reached === null ? '' : String(reached.step);
      row[`seconds_to_${metric}`] = formatNumber(reached?.seconds ?? null);
    }
    row.seconds = t.seconds === null ? '' : t.seconds.toFixed(3);
    return row;
  });
  return stringify(rows, { header: true, columns: rows.length > 0 ? Object.keys(rows[0]) : ['trial'] });
}

export function comparisonCsv(data: ReportData): string {
  const metricNames = Object.keys(data.groups[0]?.metrics ?? {});
  const rows = [...data.groups]
    .sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity))
    .map((g) => {
      const row: Record<string, string> = { rank: g.rank === null ? '' : String(g.rank), [data.kind === 'compare' ? 'variant' : 'group']: g.group };
      for (const axis of data.axes) row[axis] = g.values[axis] === undefined ? '' : String(g.values[axis]);
      Object.assign(row, { trials: String(g.trials), completed: String(g.completed), diverged: String(g.diverged), failed: String(g.failed) });
      for (const m of metricNames) {
        const stat = g.metrics[m];
        if (m.startsWith('steps_to_')) row[`reached_${targetOf(m)}`] = String(reachedCount(g, targetOf(m)!));
        row[`${m}_mean`] = formatNumber(stat?.mean ?? null);
        row[`${m}_std`] = formatNumber(stat?.std ?? null);
      }
      return row;
    });
  return stringify(rows, { header: true, columns: rows.length > 0 ? Object.keys(rows[0]) : ['rank'] });
}

/**
 * The comparison as an aligned table: markdown (comparison.md) and the terminal both use it.
 * "seeds" is finished (completed or diverged) of planned: a shard's table shows how far it got.
 */
export function comparisonTable(data: ReportData, limit = Infinity): string[][] {
  const metricNames = Object.keys(data.groups[0]?.metrics ?? {}).filter((m) => isShown(data, m));
  const header = ['rank', data.kind === 'compare' ? 'variant' : 'group', 'seeds', 'diverged', 'failed', ...metricNames];
  const body = [...data.groups]
    .sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity))
    .slice(0, limit)
    .map((g) => [
      g.rank === null ? '–' : String(g.rank),
      g.group,
      `${g.completed + g.diverged}/${g.trials}`,
      String(g.diverged),
      String(g.failed),
      ...metricNames.map((m) => metricCell(g, m)),
    ]);
  return [header, ...body];
}

/**
 * Whether a metric gets a column: when some group measured it, and always for a time to a target,
 * since a target nobody reached is itself the answer ("not reached (0/3)"), not a column to drop.
 */
export function isShown(data: ReportData, metric: string): boolean {
  return targetOf(metric) !== null || data.groups.some((g) => g.metrics[metric] !== null);
}

/** mean ± std ("–" for the std of one value); a time to a target with how many completed seeds reached it. */
function metricCell(g: GroupSummary, metric: string): string {
  const s = g.metrics[metric];
  const target = targetOf(metric);
  const reached = target === null ? '' : ` (${reachedCount(g, target)}/${g.completed})`;
  if (s === null) return target === null || g.completed === 0 ? '–' : `not reached${reached}`;
  return `${significant(s.mean)} ± ${s.std === null ? '–' : significant(s.std)}${reached}`;
}

function significant(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

export function markdownTable(rows: string[][]): string {
  const [header, ...body] = rows;
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Rewrites summary.csv (after every trial; cheap and atomic). */
export function writeSummary(dir: string): ReportData {
  const data = collectReport(dir);
  writeFileAtomic(join(dir, 'summary.csv'), summaryCsv(data, readSweepManifest(dir).targets));
  return data;
}

/** Writes comparison.csv and comparison.md next to summary.csv. */
export function writeComparison(dir: string, data: ReportData): void {
  writeFileAtomic(join(dir, 'comparison.csv'), comparisonCsv(data));
  const title = `# ${data.kind === 'compare' ? 'Comparison' : 'Sweep'} ${data.name} (${data.kind}-${data.id})\n\nRanked by ${data.rankBy.metric} (${data.rankBy.higherIsBetter ? 'higher' : 'lower'} is better); mean ± std over seeds of the completed trials (– where only one has a value); seeds = finished/planned; a time to a target is over the completed trials that reached it (reached/completed).\n\n`;
  writeFileAtomic(join(dir, 'comparison.md'), `${title}${markdownTable(comparisonTable(data))}\n`);
}
