import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fairTable, type FairComparison, type FairRow } from '../../src/report/fair.js';
import { inclusionLint, optimizerKind, tuningGains } from '../../src/report/fairness.js';
import type { ReportData } from '../../src/report/report-data.js';
import { tunedReportHtml } from '../../src/report/tuned-html.js';
import type { TrialData } from '../../src/runs/run-reader.js';
import { runCli } from '../cli/run-cli.js';

/** A variant's row: its tuned values and its reruns' final test losses. */
function row(variant: string, tuned: Record<string, number>, values: number[], score = 0.2): FairRow {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    variant,
    rank: null,
    tuning: { variant, index: 0, score, values: tuned, trials: 4, diverged: 0, atEdge: [] },
    seeds: values.length,
    completed: values.length,
    values,
    final: { n: values.length, mean, std: 0.01, halfWidth: 0.01 },
    best: null,
    targets: [],
    pVsBest: null,
    significant: null,
  };
}

const fair = (rows: FairRow[]): FairComparison => ({ metric: 'final_test_loss', higherIsBetter: false, confidence: 0.95, significance: 0.05, rows });
const good = [0.30, 0.31, 0.29, 0.30, 0.32];
const bad = [0.52, 0.55, 0.50, 0.53, 0.51];
const kinds = new Map([['sgd', optimizerKind({ name: 'sgd', momentum: 0 })], ['momentum', optimizerKind({ name: 'sgd', momentum: 0.9 })], ['adam', optimizerKind({ name: 'adam' })]]);

describe('fairness of a tuned comparison', () => {
  it("classifies optimizers by Choi et al.'s inclusions", () => {
    expect([...kinds.values()]).toEqual(['sgd', 'momentum', 'adam']);
    expect(optimizerKind({ name: 'sgd', momentum: 0.9, nesterov: true })).toBe('nesterov');
    expect(optimizerKind({ name: 'adamw' })).toBe('adam');
    expect(optimizerKind({ name: 'adagrad' })).toBeNull();
  });

  it('flags a general optimizer that loses significantly to its special case, naming what was not tuned', () => {
    const [line, ...more] = inclusionLint(fair([row('momentum', { 'optimizer.lr': 0.1 }, good), row('adam', { 'optimizer.lr': 1e-3 }, bad)]), kinds);
    expect(more).toEqual([]);
    expect(line).toMatch(/^adam loses significantly to momentum \(final_test_loss, p<0\.001\), yet it includes it \(Adam with a large ε is momentum SGD/);
    expect(line).toMatch(/adam's search space is too narrow — not tuned: optimizer\.eps, optimizer\.betas\.0 \(β1, the momentum\)$/);
    // Momentum over SGD: its momentum must have been tuned.
    expect(inclusionLint(fair([row('sgd', { 'optimizer.lr': 0.1 }, good), row('momentum', { 'optimizer.lr': 0.1 }, bad)]), kinds)[0]).toMatch(/not tuned: optimizer\.momentum$/);
  });

  it('with every needed hyperparameter tuned, says to widen their ranges', () => {
    const tunedAll = { 'optimizer.lr': 1e-3, 'optimizer.eps': 1e-3, one_minus_beta1: 0.1 };
    expect(inclusionLint(fair([row('momentum', {}, good), row('adam', tunedAll, bad)]), kinds)[0]).toMatch(/every hyperparameter it needs was tuned, so widen their ranges$/);
  });

  it('says nothing when the general optimizer wins, ties, or the pair is not an inclusion', () => {
    expect(inclusionLint(fair([row('momentum', {}, bad), row('adam', {}, good)]), kinds)).toEqual([]);
    expect(inclusionLint(fair([row('momentum', {}, good), row('adam', {}, [0.31, 0.29, 0.30, 0.32, 0.30])]), kinds)).toEqual([]);
    // SGD losing to Adam says nothing about SGD's search space: SGD does not include Adam.
    expect(inclusionLint(fair([row('adam', {}, good), row('sgd', {}, bad)]), kinds)).toEqual([]);
  });

  it('shows defaults → tuned per variant in the table, and the lint in report.html', () => {
    const defaultsTrial = (group: string, loss: number | null, status = 'completed'): TrialData => ({
      id: group,
      group,
      seed: 0,
      status,
      values: { variant: group },
      losses: [],
      evaluations: loss === null ? [] : [{ epoch: 1, step: 5, trainLoss: loss, testLoss: null, testAccuracy: null, valLoss: loss }],
      divergedAtStep: null,
      seconds: 1,
    });
    const defaults = { trials: [defaultsTrial('adam', 0.5123), defaultsTrial('sgd', null, 'diverged')] } as unknown as ReportData;
    const rows = [row('adam', { 'optimizer.lr': 1e-3 }, good, 0.0931), row('sgd', { 'optimizer.lr': 0.1 }, bad, 0.2)];
    const gains = tuningGains(rows.map((r) => r.tuning), defaults, 'val_loss', 'final');
    const table = fairTable(fair(rows), gains, 'val_loss');
    expect(table[0]).toContain('val_loss: defaults → tuned');
    const column = table[0].indexOf('val_loss: defaults → tuned');
    expect(table.slice(1).map((r) => r[column])).toEqual(['0.512 → 0.0931', 'diverged → 0.2']);
    expect(fairTable(fair(rows))[0]).not.toContain('val_loss: defaults → tuned');
    const html = tunedReportHtml({ name: 'n', folder: 'tuned-x', description: '', space: '', table, verdicts: [], lint: ['adam loses significantly to momentum'], sensitivity: null, rerunPlots: [] });
    expect(html).toContain('<h3>Search spaces</h3>\n<ul class="lint">\n<li>adam loses significantly to momentum</li>');
    expect(html).toContain('<th>val_loss: defaults → tuned</th>');
  });

  it('compare --protocol tuned runs the defaults and prints the gain and the lint', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'fairness-'));
    const config = join(folder, 'narrow.yaml');
    // Adam's rate is fixed far too small and nothing of Adam is tuned (dampening is SGD's): it loses to momentum.
    writeFileSync(
      config,
      `name: narrow
data: {dataset: synthetic, task: spirals, classes: 3, n_train: 300, n_test: 300, batch_size: 20, validation: 0.2}
model: {layers: [{linear: 16}, tanh, {linear: 3}]}
loss: cross_entropy
train: {epochs: 3}
compare:
  momentum: {optimizer: {name: sgd, lr: 0.1, momentum: 0.9}}
  adam: {optimizer: {name: adam, lr: 1.0e-6}}
protocol:
  tune: {metric: val_loss, budget: 1, space: {optimizer.dampening: {choice: [0]}}, defaults: true}
  rerun: {seeds: 4}
`,
    );
    const result = await runCli('compare', config, '--out', join(folder, 'runs'), '--quiet');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/val_loss: defaults → tuned/);
    expect(result.stdout).toMatch(/search spaces:\n {2}adam loses significantly to momentum .* not tuned: optimizer\.eps, optimizer\.betas\.0 \(β1, the momentum\)\n/);
    const [dir] = result.stdout.match(/\/\S*tuned-[0-9a-f]{8}/)!;
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<ul class="lint">');
    expect(readFileSync(join(dir, 'comparison.csv'), 'utf8').split('\n')[0]).toContain('defaults_score,defaults_status');
  }, 120_000);
});
