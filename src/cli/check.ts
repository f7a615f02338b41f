/**
 * `adam-lab check <config...>`: run each config's seeds (in parallel, as a sweep does) into a
 * fresh check folder, judge the `expect:` block (and a baseline, if given), print one table and
 * exit 0 when everything holds, 1 when anything failed. `adam-lab baseline <config> --save f`
 * records the measured results for later checks.
 */
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Command } from 'commander';
import { compareMetrics, compareTrajectories, makeBaseline, readBaseline, TRAJECTORY_COLUMNS, type Baseline, type Tolerance } from '../check/baseline.js';
import { junitXml, type SuiteResult } from '../check/junit.js';
import { sparkline } from '../check/sparkline.js';
import { judge, type Verdict } from '../check/verdict.js';
import { readConfigSource } from '../config/load.js';
import { parseOverride } from '../config/overrides.js';
import { expandSeeds, type Expansion } from '../config/trials.js';
import { ConfigError, UsageError } from '../core/errors.js';
import { readTextBounded } from '../core/read-file.js';
import { lossSpec } from '../report/plots/loss.js';
import { renderSvg } from '../report/plots/render-svg.js';
import type { ReportData } from '../report/report-data.js';
import type { TrialData } from '../runs/run-reader.js';
import { collectReport } from '../report/summary.js';
import { writeFiles } from '../report/write.js';
import { writeFileAtomic } from '../runs/atomic.js';
import { createRunDirectory } from '../runs/layout.js';
import { asOutputFault, openSweepDirectory, sweepManifest, trialDirectory } from '../runs/sweep-dir.js';
import { runSweep } from '../lab/trial-pool.js';
import { EXIT } from './exit-codes.js';
import { parseJobs } from './lab.js';
import { progressMode, type Terminal } from './progress.js';
import { abortOnSignals, announceStop } from './signals.js';
import { createSweepProgress } from './sweep-progress.js';
import { debugOption, outOption, setOption } from './options.js';
import { alignedTable } from './table.js';

interface CheckFlags {
  readonly set: string[];
  readonly out: string;
  readonly jobs?: string;
  readonly junit?: string;
  readonly json: boolean;
  readonly baseline?: string;
  readonly rtol?: string;
  readonly atol?: string;
  readonly exact: boolean;
  readonly quiet: boolean;
}

interface CheckedRun {
  readonly expansion: Expansion;
  readonly dir: string;
  readonly trials: readonly TrialData[];
  /** Each seed's steps.csv rows (TRAJECTORY_COLUMNS), for baselines. */
  readonly steps: readonly { seed: number; steps: string[][] }[];
  readonly seconds: number;
  readonly interrupted: boolean;
}

/**
 * Reads, validates and expands each config into its seeds before anything runs, so that bad
 * input in any of them is exit 2 with nothing trained (rather than after the first ones ran).
 */
function expandAll(files: readonly string[], sets: readonly string[]): Expansion[] {
  const overrides = sets.map((s) => parseOverride(s));
  return files.map((file) => expandSeeds(readConfigSource(file), overrides));
}

/** --jobs, or undefined when not given: then every seed runs at once (runSeeds), not one per core. */
function jobsFlag(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseJobs(text);
}

/** Runs a config's seeds into a fresh folder (never reusing old trials: a check measures the code as it is now). */
async function runSeeds(
  file: string,
  expansion: Expansion,
  jobs: number | undefined,
  flags: Pick<CheckFlags, 'out' | 'quiet' | 'json'>,
  terminal: Terminal,
  signal: AbortSignal,
): Promise<CheckedRun> {
  const dir = createRunDirectory(flags.out, expansion.base.name, new Date(), 'check-');
  openSweepDirectory(dir, sweepManifest(expansion, file));
  const progress = createSweepProgress(progressMode(flags.quiet || flags.json, terminal, process.env), terminal);
  const began = performance.now();
  try {
    const options = { jobs: jobs ?? expansion.trials.length, shard: null, configFile: file, signal, onEvent: progress.onEvent };
    const outcome = await runSweep(expansion, dir, options);
    const report = collectReport(dir);
    const steps = report.trials.map((t) => ({ seed: t.seed, steps: trajectoryRows(join(trialDirectory(dir, t.id), 'steps.csv')) }));
    return { expansion, dir, trials: report.trials, steps, seconds: (performance.now() - began) / 1000, interrupted: outcome.interrupted };
  } catch (error) {
    throw asOutputFault(dir, error);
  } finally {
    progress.stop();
  }
}

function trajectoryRows(file: string): string[][] {
  try {
    const rows = parse(readTextBounded(file), { columns: true }) as Record<string, string>[];
    return rows.map((r) => TRAJECTORY_COLUMNS.map((c) => r[c]));
  } catch {
    return [];
  }
}

function numberFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value >= 0)) throw new UsageError(`--${name} ${text}: expected a number ≥ 0`);
  return value;
}

/** The loss column averaged over seeds, step by step. */
function meanLossCurve(seeds: readonly { steps: string[][] }[]): number[] {
  const length = Math.max(0, ...seeds.map((s) => s.steps.length));
  return Array.from({ length }, (_, i) => {
    const values = seeds.map((s) => Number(s.steps[i]?.[2])).filter(Number.isFinite);
    return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
  });
}

/** The baseline's and this run's loss curves as a two-group report, for the loss plot. */
function baselineCurves(baseline: Baseline, run: CheckedRun): ReportData {
  const trial = (group: string, seed: number, steps: string[][], status: string): TrialData => ({
    id: `${group}-${seed}`,
    group,
    seed,
    status,
    values: {},
    losses: steps.map((row) => [Number(row[0]), Number(row[2])] as const),
    evaluations: [],
    divergedAtStep: null,
    seconds: null,
  });
  const trials = [
    ...baseline.seeds.map((s) => trial('baseline', s.seed, s.steps, s.status)),
    ...run.steps.map((s, i) => trial('now', s.seed, s.steps, run.trials[i].status)),
  ];
  const group = (name: string): ReportData['groups'][number] => ({ group: name, values: {}, rank: null, trials: 0, completed: 0, diverged: 0, failed: 0, metrics: {} });
  return { kind: 'check', name: `${baseline.name}: baseline and now`, id: '', axes: [], trials, groups: [group('baseline'), group('now')], rankBy: { metric: 'final_train_loss', higherIsBetter: false } };
}

function curves(baseline: Baseline, run: CheckedRun): string {
  const before = meanLossCurve(baseline.seeds);
  const now = meanLossCurve(run.steps);
  const finite = [...before, ...now].filter(Number.isFinite);
  const [low, high] = [Math.min(...finite), Math.max(...finite)];
  return `loss  baseline ${sparkline(before, 60, low, high)}\n      now      ${sparkline(now, 60, low, high)}\n`;
}

export async function check(files: string[], flags: CheckFlags, terminal: Terminal): Promise<number> {
  if (flags.baseline !== undefined && files.length > 1) throw new UsageError('--baseline compares one config: give a single config file');
  if (flags.exact && flags.baseline === undefined) throw new UsageError('--exact compares with a baseline: add --baseline <file>');
  const jobs = jobsFlag(flags.jobs);
  const baseline = flags.baseline === undefined ? null : readBaseline(flags.baseline);
  const tolerance: Tolerance = { rtol: numberFlag('rtol', flags.rtol) ?? 0.05, atol: numberFlag('atol', flags.atol) ?? 0 };
  const expansions = expandAll(files, flags.set);
  for (const [i, file] of files.entries()) {
    if (expansions[i].base.expect === undefined && baseline === null) {
      throw new ConfigError(file, [{ path: ['expect'], problem: 'is missing: add an expect: block (or compare with --baseline <file>)' }]);
    }
  }
  const signals = abortOnSignals(announceStop(terminal.stderr, 'the current steps'));
  const suites: SuiteResult[] = [];
  const print = (text: string): void => {
    if (!flags.json) terminal.stdout.write(text);
  };
  try {
    for (const [i, file] of files.entries()) {
      const run = await runSeeds(file, expansions[i], jobs, flags, terminal, signals.signal);
      if (run.interrupted) return EXIT.interrupted;
      const expect = run.expansion.base.expect;
      const verdicts: Verdict[] = [
        ...(expect === undefined ? [] : judge(expect, run.trials)),
        ...(baseline === null ? [] : compareMetrics(baseline, run.trials, tolerance)),
        ...(baseline !== null && flags.exact ? compareTrajectories(baseline, run.steps) : []),
      ];
      suites.push({ name: run.expansion.base.name, file, seconds: run.seconds, verdicts });
      print(`\n${file} (${run.trials.length} seed${run.trials.length > 1 ? 's' : ''}, ${run.seconds.toFixed(1)}s, ${run.dir})\n`);
      print(`${alignedTable([['expectation', 'bound', 'measured', 'verdict'], ...verdicts.map((v) => [v.expectation, v.bound, v.measured, v.pass ? 'PASS' : 'FAIL'])])}\n`);
      if (baseline !== null) {
        print(curves(baseline, run));
        writeFiles(run.dir, { 'baseline.svg': await renderSvg(lossSpec(baselineCurves(baseline, run)), 'baseline') });
      }
    }
  } finally {
    signals.dispose();
  }
  const failed = suites.flatMap((s) => s.verdicts).filter((v) => !v.pass).length;
  if (flags.junit !== undefined) writeFileAtomic(flags.junit, junitXml(suites));
  if (flags.json) terminal.stdout.write(`${JSON.stringify({ pass: failed === 0, suites }, null, 2)}\n`);
  print(failed === 0 ? '\nall expectations hold\n' : `\n${failed} expectation(s) failed\n`);
  return failed === 0 ? EXIT.ok : EXIT.failed;
}

async function saveBaseline(file: string, flags: Pick<CheckFlags, 'set' | 'out' | 'jobs' | 'quiet'> & { save: string }, terminal: Terminal): Promise<number> {
  const jobs = jobsFlag(flags.jobs);
  const [expansion] = expandAll([file], flags.set);
  const signals = abortOnSignals(announceStop(terminal.stderr, 'the current steps'));
  try {
    const run = await runSeeds(file, expansion, jobs, { ...flags, json: false }, terminal, signals.signal);
    if (run.interrupted) {
      terminal.stderr.write(`interrupted: no baseline saved (the runs so far are in ${run.dir})\n`);
      return EXIT.interrupted;
    }
    const targets = (run.expansion.base.targets ?? {}) as Record<string, number>;
    const trials = run.trials.map((trial, i) => ({ trial, steps: run.steps[i].steps }));
    writeFileAtomic(flags.save, `${JSON.stringify(makeBaseline(run.expansion.base.name, file, targets, trials), null, 1)}\n`);
    terminal.stdout.write(`baseline of ${file} (${trials.length} seeds, ${run.trials.map((t) => t.status).join(', ')}) saved to ${flags.save}\n`);
    return EXIT.ok;
  } finally {
    signals.dispose();
  }
}

export function registerCheck(program: Command, terminal: Terminal, done: (code: number) => void): void {
  const command = program.command('check');
  outOption(debugOption(setOption(command)), 'runs root; each check runs into <out>/<name>/check-<time>', 'runs')
    .description("run each config's seeds and judge its expect: block (and a baseline); exit 1 if anything fails")
    .argument('<configs...>', 'experiment files with an expect: block')
    .option('-j, --jobs <n>', 'seeds at once (default: all of them)')
    .option('--junit <file>', 'also write the verdicts as JUnit XML (one test case per expectation)')
    .option('--json', 'print the verdicts as JSON instead of tables', false)
    .option('--baseline <file>', 'also fail where a result is worse than this baseline (adam-lab baseline --save)')
    .option('--rtol <x>', 'relative tolerance against the baseline (default 0.05)')
    .option('--atol <x>', 'absolute tolerance against the baseline (default 0)')
    .option('--exact', "require every step's loss, lr and grad_norm to equal the baseline's exactly", false)
    .option('-q, --quiet', 'no progress, only the verdict tables', false)
    .addHelpText(
      'after',
      `
Examples:
  $ adam-lab check configs/ci/*.yaml --junit check-report.xml
  $ adam-lab baseline configs/ci/mnist-mlp-adam.yaml --save baselines/mnist-mlp.json
  $ adam-lab check configs/ci/mnist-mlp-adam.yaml --baseline baselines/mnist-mlp.json --rtol 0.02
  $ adam-lab check configs/ci/mnist-mlp-adam.yaml --baseline baselines/mnist-mlp.json --exact`,
    )
    .action(async (files: string[], flags: CheckFlags) => done(await check(files, flags, terminal)));

  const baseline = program.command('baseline');
  outOption(debugOption(setOption(baseline)), 'runs root', 'runs')
    .description("run a config's seeds and save the measured results (and trajectories) as a baseline for check --baseline")
    .argument('<config>', 'experiment file')
    .requiredOption('--save <file>', 'where to write the baseline (JSON)')
    .option('-j, --jobs <n>', 'seeds at once (default: all of them)')
    .option('-q, --quiet', 'no progress', false)
    .addHelpText('after', '\nExamples:\n  $ adam-lab baseline configs/ci/mnist-mlp-adam.yaml --save baselines/mnist-mlp.json')
    .action(async (file: string, flags: Pick<CheckFlags, 'set' | 'out' | 'jobs' | 'quiet'> & { save: string }) => done(await saveBaseline(file, flags, terminal)));
}
