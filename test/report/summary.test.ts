import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { collectReport, comparisonCsv, comparisonTable, summaryCsv } from '../../src/report/summary.js';

/**
 * A sweep folder written by hand: sweep.json and each trial's manifest.json and epochs.csv, the
 * files the tables are rebuilt from. Each trial is [group, seed, status, test accuracy per epoch
 * (epoch e at step 10e, 2e seconds)].
 */
type HandTrial = readonly [group: string, seed: number, status: string, accuracies: readonly number[]];

function sweepFolder(trials: readonly HandTrial[], targets: Record<string, number> = { test_accuracy: 0.8 }): string {
  const dir = mkdtempSync(join(tmpdir(), 'adam-lab-summary-'));
  const ids = trials.map((_, i) => (0xa00000000000 + i).toString(16));
  const sweep = {
    kind: 'compare',
    name: 'hand',
    id: '0123abcd',
    config_file: join(dir, 'exp.yaml'),
    axes: [],
    targets,
    trials: trials.map(([group, seed], i) => ({ id: ids[i], index: i, group, seed, values: {}, config: {} })),
  };
  writeFileSync(join(dir, 'sweep.json'), JSON.stringify(sweep));
  trials.forEach(([, seed, status, accuracies], i) => {
    const trial = join(dir, 'trials', ids[i]);
    mkdirSync(trial, { recursive: true });
    if (status === 'missing') return;
    const manifest = { status, seed, started_at: '2025-01-01T00:00:00.000Z', ended_at: '2025-01-01T00:01:00.000Z', diverged_at_step: status === 'diverged' ? 5 : null, error: null };
    writeFileSync(join(trial, 'manifest.json'), JSON.stringify(manifest));
    const rows = accuracies.map((a, e) => `${e + 1},${10 * (e + 1)},0.5,,0.6,${a},${2 * (e + 1)}`);
    writeFileSync(join(trial, 'epochs.csv'), ['epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,seconds', ...rows].join('\n'));
  });
  return dir;
}

function rows(text: string): Record<string, string>[] {
  return parse(text, { columns: true }) as Record<string, string>[];
}

describe('time to a target', () => {
  // adam: seed 0 reaches 0.8 at its 2nd evaluation (step 20, 4 s), seed 1 never does
  const folder = (): string =>
    sweepFolder([
      ['adam', 0, 'completed', [0.7, 0.85]],
      ['adam', 1, 'completed', [0.6, 0.7]],
      ['sgd', 0, 'completed', [0.9, 0.95]],
      ['sgd', 1, 'completed', [0.7, 0.9]],
    ]);

  it('says in the table how many seeds reached it, and gives no std for one value', () => {
    const table = comparisonTable(collectReport(folder()));
    const column = (name: string): string[] => table.slice(1).map((r) => r[table[0].indexOf(name)]);
    expect(column('variant')).toEqual(['sgd', 'adam']);
    expect(column('steps_to_test_accuracy')).toEqual(['15 ± 7.071 (2/2)', '20 ± – (1/2)']);
    expect(column('seconds_to_test_accuracy')).toEqual(['3 ± 1.414 (2/2)', '4 ± – (1/2)']);
  });

  it('keeps its columns when no seed reached it, saying so', () => {
    const table = comparisonTable(collectReport(folder()), Infinity);
    const unreached = comparisonTable(collectReport(sweepFolder([['adam', 0, 'completed', [0.5]], ['adam', 1, 'completed', [0.6]]])));
    expect(unreached[0]).toEqual(table[0]);
    expect(unreached[1][unreached[0].indexOf('steps_to_test_accuracy')]).toBe('not reached (0/2)');
    expect(unreached[1][unreached[0].indexOf('seconds_to_test_accuracy')]).toBe('not reached (0/2)');
  });

  it('puts the count of seeds that reached it in comparison.csv, and leaves the std of one value blank', () => {
    const [sgd, adam] = rows(comparisonCsv(collectReport(folder())));
    expect([adam.reached_test_accuracy, adam.steps_to_test_accuracy_mean, adam.steps_to_test_accuracy_std]).toEqual(['1', '20', '']);
    expect([sgd.reached_test_accuracy, sgd.steps_to_test_accuracy_mean]).toEqual(['2', '15']);
  });

  it('writes the seconds as well as the step of the first evaluation at the target into summary.csv', () => {
    const data = collectReport(folder());
    const summary = rows(summaryCsv(data, { test_accuracy: 0.8 }));
    expect(summary.map((r) => [r.steps_to_test_accuracy, r.seconds_to_test_accuracy])).toEqual([
      ['20', '4'],
      ['', ''],
      ['10', '2'],
      ['20', '4'],
    ]);
  });
});

describe('the comparison table', () => {
  it('shows the seeds finished of those planned, and the failed ones', () => {
    const data = collectReport(
      sweepFolder([
        ['adam', 0, 'completed', [0.9]],
        ['adam', 1, 'missing', []], // another shard's, not run yet
        ['sgd', 0, 'diverged', []],
        ['sgd', 1, 'completed', [0.8]],
        ['bad', 0, 'failed', []],
        ['bad', 1, 'failed', []],
      ]),
    );
    const table = comparisonTable(data);
    expect(table[0].slice(0, 5)).toEqual(['rank', 'variant', 'seeds', 'diverged', 'failed']);
    expect(table.slice(1).map((r) => r.slice(0, 5))).toEqual([
      ['1', 'adam', '1/2', '0', '0'],
      ['2', 'sgd', '2/2', '1', '0'],
      ['–', 'bad', '0/2', '0', '2'],
    ]);
    // one finished seed: its accuracy without a made-up spread of 0
    expect(table[1][table[0].indexOf('final_test_accuracy')]).toBe('0.9000 ± –');
    const csv = rows(comparisonCsv(data));
    expect(csv.map((r) => [r.variant, r.failed, r.final_test_accuracy_std])).toEqual([
      ['adam', '0', ''],
      ['sgd', '0', ''],
      ['bad', '2', ''],
    ]);
  });
});
