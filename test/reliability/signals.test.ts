/**
 * SIGINT and SIGTERM during `train`, `sweep`, `check` and `baseline`: the runs in flight finish
 * their step, write everything and are marked interrupted, the process exits 130, every file left
 * is whole and no temporary file is left to be taken for a result. A second signal quits at once,
 * leaving files that are consistent and resume whole. The signal is sent on a sign of progress
 * (rows in a steps.csv.partial, a line of output), never after a sleep.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expectConsistentRun,
  expectIntactRun,
  expectNoStackTrace,
  folderWith,
  manifestOf,
  onlyFolder,
  partialRows,
  spawnAdamLab,
  strictCsv,
  temporariesUnder,
  trialFolders,
  type SpawnResult,
} from './harness.js';

const LONG = `data: {dataset: synthetic, task: moons, n_train: 2000, n_test: 200, batch_size: 32}
model: {layers: [{linear: 16}, tanh, {linear: 2}]}
optimizer: {name: sgd, lr: 0.05}
`;
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const figures = { runs: 0, signals: 0 };
afterAll(() => console.info(`signals: ${figures.signals} signals sent to ${figures.runs} processes (train, sweep, check, baseline × SIGINT, SIGTERM; a second signal during a sweep)`));

/** The files of an interrupted run are as whole as a finished one's, and no steps.csv.partial is left. */
function expectInterruptedRun(dir: string): void {
  expect(manifestOf(dir)?.status, dir).toBe('interrupted');
  expect(expectIntactRun(dir).steps).toBeGreaterThan(0);
  expect(existsSync(join(dir, 'steps.csv.partial'))).toBe(false);
}

interface Case {
  /** The config, after `name: <command>`. */
  readonly config: string;
  readonly args: (config: string, folder: string, out: string) => string[];
  /** When the work is under way (`out` is the runs root). */
  readonly ready: (stdout: string, out: string) => boolean;
  /** What stderr says after the signal's name (null: nothing). */
  readonly acknowledged: RegExp | null;
  /** The checks on what is left, given the folder with the config and the runs root. */
  readonly left: (folder: string, out: string, result: SpawnResult) => void;
}

/** Both seeds of a check or baseline run in parallel; the signal interrupts both, whole. */
function bothSeedsInterrupted(out: string, name: string): void {
  const trials = trialFolders(onlyFolder(join(out, name)));
  expect(trials).toHaveLength(2);
  for (const trial of trials) expectInterruptedRun(trial);
}

const SEEDS = `seeds: [0, 1]\n${LONG}train: {epochs: 1000}\nexpect: {no_divergence: true}\n`;
const underWay = (_stdout: string, out: string): boolean => partialRows(out) > 0;

const CASES: Record<string, Case> = {
  train: {
    config: `${LONG}train: {epochs: 1000}\n`,
    args: (config, _folder, out) => ['train', config, '--out', out],
    ready: underWay,
    acknowledged: /: finishing the current step and writing results[\s\S]*interrupted after step \d+/,
    left: (_folder, out) => expectInterruptedRun(onlyFolder(join(out, 'train'))),
  },
  sweep: {
    // two quick trials, then two long ones: the signal comes when the quick ones are done and a long one is under way
    config: `seeds: [0, 1]\n${LONG}sweep: {grid: {train.epochs: [1, 1000]}}\n`,
    args: (config, _folder, out) => ['sweep', config, '--out', out, '--jobs', '2'],
    ready: (stdout, out) => /^\[2\/4\]/m.test(stdout) && partialRows(out) > 0,
    acknowledged: /: finishing the running trials' current steps[\s\S]*interrupted: 4 trial\(s\) ran; run the same command again to finish/,
    left: (_folder, out) => {
      const dir = onlyFolder(join(out, 'sweep'));
      const rows = strictCsv(join(dir, 'summary.csv'));
      expect(rows.map((row) => row.status)).toEqual(['completed', 'completed', 'interrupted', 'interrupted']);
      for (const row of rows) {
        const trial = join(dir, 'trials', row.trial);
        if (row.status === 'interrupted') expectInterruptedRun(trial);
        else expectIntactRun(trial);
      }
      expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/<html/);
    },
  },
  check: {
    config: SEEDS,
    args: (config, _folder, out) => ['check', config, '--out', out],
    ready: underWay,
    acknowledged: /: finishing the current steps and writing results/,
    left: (_folder, out) => bothSeedsInterrupted(out, 'check'),
  },
  baseline: {
    config: SEEDS,
    args: (config, folder, out) => ['baseline', config, '--save', join(folder, 'baseline.json'), '--out', out],
    ready: underWay,
    acknowledged: null, // baseline says nothing on a signal (src/cli/commands/baseline.ts)
    left: (folder, out) => {
      bothSeedsInterrupted(out, 'baseline');
      expect(existsSync(join(folder, 'baseline.json')), 'an interrupted baseline is not saved').toBe(false);
    },
  },
};

/** Runs `command` on its config in a fresh folder; `watch` decides when to signal. */
async function run(
  command: string,
  watch: (stdout: string, send: (signal: NodeJS.Signals) => void, stderr: string, out: string) => void,
  text = CASES[command].config,
): Promise<{ folder: string; out: string; result: SpawnResult }> {
  const { folder, config, out } = folderWith(`name: ${command}\n${text}`);
  const result = await spawnAdamLab(CASES[command].args(config, folder, out), {
    watch: (stdout, signal, stderr) =>
      watch(
        stdout,
        (name) => {
          figures.signals++;
          signal(name);
        },
        stderr,
        out,
      ),
  });
  figures.runs++;
  return { folder, out, result };
}

describe('SIGINT and SIGTERM', () => {
  const matrix = Object.keys(CASES).flatMap((command) => SIGNALS.map((signal) => ({ command, signal })));

  it.each(matrix)('$signal during $command: exit 130, status interrupted, files whole, no temporaries', async ({ command, signal }) => {
    let sent = false;
    const { folder, out, result } = await run(command, (stdout, send, _stderr, root) => {
      if (!sent && CASES[command].ready(stdout, root)) {
        sent = true;
        send(signal);
      }
    });
    expect(sent, result.stdout).toBe(true);
    expectNoStackTrace(result);
    expect(result.code, result.stderr).toBe(130);
    const acknowledged = CASES[command].acknowledged;
    if (acknowledged !== null) expect(result.stderr).toMatch(new RegExp(`${signal}${acknowledged.source}`));
    CASES[command].left(folder, out, result);
    expect(temporariesUnder(out)).toEqual([]);
  });

  it('a second signal during a sweep quits at once; what it leaves is consistent and resumes whole', async () => {
    let sent = 0;
    // long trials short enough to resume quickly (about a second each)
    const text = CASES.sweep.config.replace('[1, 1000]', '[1, 100]');
    const first = await run(
      'sweep',
      (stdout, send, stderr, out) => {
        if (sent === 0 && CASES.sweep.ready(stdout, out)) {
          sent = 1;
          send('SIGINT');
        } else if (sent === 1 && /SIGINT: finishing/.test(stderr)) {
          sent = 2;
          send('SIGINT'); // while the first one is honoured: the trials are still finishing their steps
        }
      },
      text,
    );
    expect(sent).toBe(2);
    expectNoStackTrace(first.result);
    expect(first.result.code, first.result.stderr).toBe(130);
    // the graceful path ends by saying how many trials ran, after the report: it never got there
    expect(first.result.stderr).not.toMatch(/interrupted: \d+ trial\(s\) ran/);
    const dir = onlyFolder(join(first.out, 'sweep'));
    const statuses = trialFolders(dir).map(expectConsistentRun);
    expect(statuses.filter((s) => s === 'completed')).toHaveLength(2);
    // a trial that had only just started may have its folder and no manifest yet ('none')
    for (const status of statuses) expect(['completed', 'running', 'interrupted', 'none']).toContain(status);
    // summary.csv was last rebuilt when the quick trials ended: it may be behind, but it claims no result that is not one
    const rows = strictCsv(join(dir, 'summary.csv'));
    expect(rows).toHaveLength(4);
    for (const row of rows.filter((r) => r.status === 'completed')) expect(manifestOf(join(dir, 'trials', row.trial))?.status).toBe('completed');
    // the same command finishes it; the trials that finished are kept, not run again
    const finishedBefore = new Map(trialFolders(dir).filter((t) => manifestOf(t)?.status === 'completed').map((t) => [t, manifestOf(t)!.started_at]));
    const again = await spawnAdamLab(CASES.sweep.args(join(first.folder, 'exp.yaml'), first.folder, first.out));
    figures.runs++;
    expect(again.code, again.stderr).toBe(0);
    expect(strictCsv(join(dir, 'summary.csv')).map((row) => row.status)).toEqual(Array(4).fill('completed'));
    for (const trial of trialFolders(dir)) expectIntactRun(trial);
    for (const [trial, startedAt] of finishedBefore) expect(manifestOf(trial)?.started_at).toBe(startedAt);
  }, 120_000);
});
