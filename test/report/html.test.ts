import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/report/render.js';
import type { GroupSummary, ReportData } from '../../src/report/report-data.js';
import type { TrialData } from '../../src/runs/run-reader.js';

// A hand-built comparison (three variants, one with a name that needs escaping, one with a
// diverged seed) and a 2×3 grid with one cell where every seed diverged.

function trial(group: string, seed: number, final: number, diverged: boolean, values: TrialData['values'] = {}): TrialData {
  const steps = diverged ? [0, 10, 20] : [0, 10, 20, 30, 40];
  return {
    id: `${group.replace(/\W+/g, '_')}-s${seed}`,
    group,
    seed,
    status: diverged ? 'diverged' : 'completed',
    values: { ...values, seed },
    losses: steps.map((s, i) => [s, diverged && i === steps.length - 1 ? Number.NaN : final * (5 - i)] as const),
    evaluations: diverged ? [] : [{ epoch: 1, step: 40, trainLoss: final, testLoss: 1.2 * final, testAccuracy: 0.9 - final }],
    divergedAtStep: diverged ? 20 : null,
    seconds: 75.25,
  };
}

function group(name: string, trials: readonly TrialData[], rank: number | null, values: GroupSummary['values'] = {}): GroupSummary {
  const finals = trials.filter((t) => t.status === 'completed').map((t) => t.evaluations[0].trainLoss!);
  const mean = finals.reduce((a, b) => a + b, 0) / finals.length;
  const completed = finals.length;
  return {
    group: name,
    values,
    rank,
    trials: trials.length,
    completed,
    diverged: trials.length - completed,
    failed: 0,
    metrics: {
      final_train_loss: completed === 0 ? null : { mean, std: 0.00123, n: completed },
      final_test_accuracy: completed === 0 ? null : { mean: 0.9 - mean, std: 0.0042, n: completed },
    },
  };
}

const ODD = 'adam <beta> & "friends"';

function compareReport(): ReportData {
  const adam = [0, 1, 2].map((s) => trial('adam', s, 0.02 + 0.001 * s, false));
  const sgd = [0, 1, 2].map((s) => trial('sgd', s, 0.05 + 0.001 * s, s === 2));
  const odd = [0, 1, 2].map((s) => trial(ODD, s, 0.03 + 0.001 * s, false));
  return {
    kind: 'compare',
    name: 'mnist-compare',
    id: '2025-01-01T00-00-00',
    axes: [],
    trials: [...adam, ...sgd, ...odd],
    // deliberately not in rank order: the table sorts by rank
    groups: [group('sgd', sgd, 3), group('adam', adam, 1), group(ODD, odd, 2)],
    rankBy: { metric: 'final_train_loss', higherIsBetter: false },
  };
}

function gridReport(): ReportData {
  const trials: TrialData[] = [];
  const groups: GroupSummary[] = [];
  for (const lr of [0.001, 0.01]) {
    for (const beta of [0.8, 0.9, 0.95]) {
      const name = `optimizer.lr=${lr}, optimizer.betas.0=${beta}`;
      const values = { 'optimizer.lr': lr, 'optimizer.betas.0': beta };
      const point = [0, 1].map((s) => trial(name, s, lr * beta + 0.001 * s, lr === 0.01 && beta === 0.95, values));
      trials.push(...point);
      groups.push(group(name, point, lr === 0.01 && beta === 0.95 ? null : groups.length + 1, values));
    }
  }
  return { kind: 'sweep', name: 'mnist-grid', id: 'g1', axes: ['optimizer.lr', 'optimizer.betas.0'], trials, groups, rankBy: { metric: 'final_train_loss', higherIsBetter: false } };
}

/** The rows of the first table after a heading, as arrays of cell texts (tags stripped, entities kept). */
function tableRows(html: string, heading: string): string[][] {
  const section = html.slice(html.indexOf(`<h2>${heading}</h2>`));
  const body = section.slice(section.indexOf('<tbody>'), section.indexOf('</tbody>'));
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map(([, row]) =>
    [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map(([, cell]) => cell.replace(/<[^>]+>/g, '').trim()),
  );
}

describe('renderReport', () => {
  it('returns the two plots and report.html for a comparison, and the heatmap as well for a two-axis grid', async () => {
    expect(Object.keys((await renderReport(compareReport())).files).sort()).toEqual(['plots/accuracy.svg', 'plots/loss.svg', 'report.html']);
    expect(Object.keys((await renderReport(gridReport())).files).sort()).toEqual([
      'plots/accuracy.svg',
      'plots/heatmap.svg',
      'plots/loss.svg',
      'report.html',
    ]);
  });

  it('ranks the groups in the comparison table with mean ± std and the diverged count', async () => {
    const html = (await renderReport(compareReport())).files['report.html'];
    const rows = tableRows(html, 'Comparison');
    expect(rows.map((r) => r.slice(0, 2))).toEqual([
      ['1', 'adam'],
      ['2', 'adam &#60;beta&#62; &#38; &#34;friends&#34;'],
      ['3', 'sgd'],
    ]);
    // rank, group, final_train_loss, final_test_accuracy, completed, diverged
    expect(rows[0]).toEqual(['1', 'adam', '0.021 ± 0.0012', '87.90% ± 0.42', '3/3', '0']);
    expect(rows[2]).toEqual(['3', 'sgd', '0.0505 ± 0.0012 n=2', '84.95% ± 0.42 n=2', '2/3', '1']);
    expect(html).toContain('ranked by, lower is better');
  });

  it('shows accuracies as percentages and step counts as numbers, and leaves out metrics nobody has', async () => {
    const data = compareReport();
    const groups = data.groups.map((g) => ({
      ...g,
      metrics: { ...g.metrics, steps_to_test_accuracy: { mean: 1234, std: 56, n: 3 }, seconds_to_test_accuracy: { mean: 0.5, std: 0.25, n: 3 }, final_test_loss: null },
    }));
    const html = (await renderReport({ ...data, groups })).files['report.html'];
    // the header may break after an underscore, never inside a word
    expect(html).toContain('<th class="num">steps_<wbr>to_<wbr>test_<wbr>accuracy</th>');
    expect(html).not.toContain('final_test_loss');
    expect(tableRows(html, 'Comparison')[0]).toEqual(['1', 'adam', '0.021 ± 0.0012', '87.90% ± 0.42', '1234 ± 56 3/3 reached', '0.5 ± 0.25 3/3 reached', '3/3', '0']);
  });

  it('says how many seeds reached a target, and shows no spread for a single value', async () => {
    const data = compareReport();
    const groups = data.groups.map((g) => ({
      ...g,
      metrics: { ...g.metrics, final_train_loss: { mean: 0.02, std: null, n: 1 }, steps_to_test_accuracy: g.group === 'adam' ? { mean: 80, std: null, n: 1 } : null },
    }));
    const rows = tableRows((await renderReport({ ...data, groups })).files['report.html'], 'Comparison');
    expect(rows[0].slice(0, 5)).toEqual(['1', 'adam', '0.02 n=1', '87.90% ± 0.42', '80 1/3 reached']);
    expect(rows[2].slice(0, 5)).toEqual(['3', 'sgd', '0.02 n=1', '84.95% ± 0.42 n=2', 'not reached (0/2)']);
  });

  it('keeps the columns of a target no seed reached', async () => {
    const data = compareReport();
    const groups = data.groups.map((g) => ({ ...g, metrics: { ...g.metrics, steps_to_test_accuracy: null, seconds_to_test_accuracy: null } }));
    const html = (await renderReport({ ...data, groups })).files['report.html'];
    expect(html).toContain('steps_<wbr>to_<wbr>test_<wbr>accuracy</th>');
    expect(tableRows(html, 'Comparison')[0].slice(4, 6)).toEqual(['not reached (0/3)', 'not reached (0/3)']);
  });

  it('lists every trial with its status and last evaluation', async () => {
    const data = compareReport();
    const rows = tableRows((await renderReport(data)).files['report.html'], 'Trials');
    expect(rows).toHaveLength(data.trials.length);
    expect(rows[0]).toEqual(['adam-s0', 'adam', '0', 'completed', '1', '0.02', '0.024', '88.00%', '—', '1 min 15 s']);
    expect(rows.find((r) => r[0] === 'sgd-s2')).toEqual(['sgd-s2', 'sgd', '2', 'diverged', '—', '—', '—', '—', '20', '1 min 15 s']);
  });

  it('names every group of a grid, and marks the unranked, fully diverged one', async () => {
    const data = gridReport();
    const html = (await renderReport(data)).files['report.html'];
    for (const g of data.groups) expect(html).toContain(g.group);
    const rows = tableRows(html, 'Comparison');
    expect(rows.map((r) => r[0])).toEqual(['1', '2', '3', '4', '5', '—']);
    // the varied values are columns of their own
    expect(rows[5]).toEqual(['—', '0.01', '0.95', '—', '—', '0/2', '2']);
  });

  it('heads a value column with the path\'s last keys, the full path on hover, and puts the plots before the tables', async () => {
    const html = (await renderReport(gridReport())).files['report.html'];
    expect(html).toContain('<th title="optimizer.lr"><abbr title="optimizer.lr">lr</abbr></th>');
    expect(html).toContain('<abbr title="optimizer.betas.0">betas.0</abbr>');
    expect(tableRows(html, 'Trials')[0].slice(0, 4)).toEqual(['optimizer_lr_0_001_optimizer_betas_0_0_8-s0', '0.001', '0.8', '0']);
    const at = (text: string): number => html.indexOf(text);
    expect(at('<h2>Plots</h2>')).toBeLessThan(at('<h2>Comparison</h2>'));
    expect(at('<h2>Comparison</h2>')).toBeLessThan(at('<h2>Trials</h2>'));
    // every table sits in a box that scrolls, so the page never does
    expect(html.match(/<div class="scroll[^"]*"><table/g)).toHaveLength(2);
  });

  it('inlines the SVGs as written to plots/, with ids that do not collide between them', async () => {
    const { files } = await renderReport(gridReport());
    const html = files['report.html'];
    for (const name of ['plots/loss.svg', 'plots/accuracy.svg', 'plots/heatmap.svg']) {
      expect(files[name].startsWith('<svg ')).toBe(true);
      expect(html).toContain(files[name]);
      expect(html).toContain(`<a href="${name}">`);
    }
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map(([, id]) => id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [, ref] of html.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(ref);
  });

  it('is self-contained: no scripts, no stylesheets, images or fonts from elsewhere', async () => {
    const html = (await renderReport(gridReport())).files['report.html'];
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|\bsrc=/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"')]+/g)].map(([url]) => url);
    // only XML namespace names, which are never fetched
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });

  it('escapes names in the page and in the plots', async () => {
    const { files } = await renderReport(compareReport());
    expect(files['report.html']).not.toContain(ODD);
    expect(files['report.html']).toContain('adam &#60;beta&#62; &#38; &#34;friends&#34;');
    expect(files['plots/loss.svg']).toContain('adam &lt;beta&gt; &amp; "friends"');
  });

  it('gives the same bytes for the same data', async () => {
    const first = await renderReport(gridReport());
    await renderReport(compareReport());
    expect(await renderReport(gridReport())).toEqual(first);
  });
});
