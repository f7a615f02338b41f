/**
 * What `check` and `baseline` run: each config's seeds, in parallel as a sweep, in a fresh check
 * folder (never reusing old trials: a check measures the code as it is now), then the verdicts
 * on them — the config's expect: block and, if given, a baseline.
 */
import { compareMetrics, compareTrajectories, makeBaseline, TRAJECTORY_COLUMNS, type Baseline, type Tolerance } from '../check/baseline.js';
import { judge, type Verdict } from '../check/verdict.js';
import { readConfigSource } from '../config/load.js';
import { parseOverride } from '../config/overrides.js';
import { expandCompare, expandSeeds, type Expansion } from '../config/trials.js';
import { lossSpec } from '../report/plots/loss.js';
import { renderSvg } from '../report/plots/render-svg.js';
import type { ReportData } from '../report/report-data.js';
import { collectReport } from '../report/summary.js';
import { writeFiles } from '../report/write.js';
import { writeFileAtomic } from '../runs/atomic.js';
import { createRunDirectory } from '../runs/layout.js';
import { readStepColumns, type TrialData } from '../runs/run-reader.js';
import { readTrajectory } from '../runs/trajectory-reader.js';
import { asOutputFault, openSweepDirectory, sweepManifest, trialDirectory } from '../runs/sweep-dir.js';
import { runSweep, type SweepEvent } from './trial-pool.js';

/** One seed's steps.csv rows, TRAJECTORY_COLUMNS in that order (as a baseline records them). */
export interface SeedSteps {
  readonly seed: number;
  readonly steps: string[][];
}

export interface CheckedRun {
  readonly expansion: Expansion;
  readonly dir: string;
  readonly trials: readonly TrialData[];
  readonly steps: readonly SeedSteps[];
  readonly seconds: number;
  readonly interrupted: boolean;
}

export interface SeedsOptions {
  /** Seeds at once; every seed at once when not given. */
  readonly jobs: number | undefined;
  /** The runs root: the check runs into <out>/<name>/check-<time>. */
  readonly out: string;
  readonly signal: AbortSignal;
  readonly onEvent: (event: SweepEvent) => void;
}

/**
 * Reads, validates and expands each config into its seeds before anything runs, so that bad
 * input in any of them is exit 2 with nothing trained (rather than after the first ones ran).
 * A config whose expect: names variants expands its compare: block (every variant × seed).
 */
export function expandChecks(files: readonly string[], sets: readonly string[]): Expansion[] {
  const overrides = sets.map((s) => parseOverride(s));
  return files.map((file) => {
    const source = readConfigSource(file);
    const seeds = expandSeeds(source, overrides);
    return seeds.base.expect?.variants === undefined ? seeds : expandCompare(source, overrides, null);
  });
}

export async function runSeeds(file: string, expansion: Expansion, options: SeedsOptions): Promise<CheckedRun> {
  const dir = createRunDirectory(options.out, expansion.base.name, new Date(), 'check-');
  openSweepDirectory(dir, sweepManifest(expansion, file));
  const began = performance.now();
  try {
    const jobs = options.jobs ?? expansion.trials.length;
    const outcome = await runSweep(expansion, dir, { jobs, shard: null, configFile: file, signal: options.signal, onEvent: options.onEvent });
    const { trials } = collectReport(dir);
    const steps = trials.map((t) => ({ seed: t.seed, steps: readStepColumns(trialDirectory(dir, t.id), TRAJECTORY_COLUMNS) }));
    return { expansion, dir, trials, steps, seconds: (performance.now() - began) / 1000, interrupted: outcome.interrupted };
  } catch (error) {
    throw asOutputFault(dir, error);
  }
}

/**
 * The run's verdicts: its expect: block, then (with a baseline) the results against it, then
 * (exact) every step. `tolerance` is the command line's, null for each metric's default.
 */
export function judgeRun(run: CheckedRun, baseline: Baseline | null, tolerance: Tolerance | null, exact: boolean): Verdict[] {
  const { variants = {}, ...overall } = run.expansion.base.expect ?? {};
  const trajectoryOf = (trial: TrialData) => readTrajectory(trialDirectory(run.dir, trial.id));
  return [
    ...(Object.keys(overall).length === 0 ? [] : judge(overall, run.trials, trajectoryOf)),
    ...Object.entries(variants).flatMap(([name, expect]) => judge(expect, run.trials.filter((t) => t.group === name), trajectoryOf, `${name}: `)),
    ...(baseline === null ? [] : compareMetrics(baseline, run.trials, tolerance)),
    ...(baseline !== null && exact ? compareTrajectories(baseline, run.steps) : []),
  ];
}

/** Saves the run's results and trajectories as a baseline for later checks. */
export function saveBaseline(path: string, file: string, run: CheckedRun): void {
  const targets = (run.expansion.base.targets ?? {}) as Record<string, number>;
  const trials = run.trials.map((trial, i) => ({ trial, steps: run.steps[i].steps }));
  writeFileAtomic(path, `${JSON.stringify(makeBaseline(run.expansion.base.name, file, targets, trials), null, 1)}\n`);
}

const STEP = TRAJECTORY_COLUMNS.indexOf('step');
const LOSS = TRAJECTORY_COLUMNS.indexOf('loss');

/** The loss column averaged over seeds, step by step. */
export function meanLossCurve(seeds: readonly { steps: readonly string[][] }[]): number[] {
  const length = Math.max(0, ...seeds.map((s) => s.steps.length));
  return Array.from({ length }, (_, i) => {
    const values = seeds.map((s) => Number(s.steps[i]?.[LOSS])).filter(Number.isFinite);
    return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
  });
}

/** baseline.svg in the check folder: the baseline's and this run's loss curves. */
export async function writeBaselinePlot(baseline: Baseline, run: CheckedRun): Promise<void> {
  writeFiles(run.dir, { 'baseline.svg': await renderSvg(lossSpec(baselineCurves(baseline, run)), 'baseline') });
}

/** The two sets of curves as a two-group report (stand-in trials built from the step rows), which is what the loss plot draws. */
function baselineCurves(baseline: Baseline, run: CheckedRun): ReportData {
  const trial = (group: string, seed: number, steps: readonly string[][], status: string): TrialData => ({
    id: `${group}-${seed}`,
    group,
    seed,
    status,
    values: {},
    losses: steps.map((row) => [Number(row[STEP]), Number(row[LOSS])] as const),
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
