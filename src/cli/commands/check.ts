/**
 * `adam-lab check <config...>`: run each config's seeds (in parallel, as a sweep does) into a
 * fresh check folder, judge the `expect:` block (and a baseline, if given), print one table and
 * exit 0 when everything holds, 1 when anything failed. A config whose expect: states claims
 * between variants (better:) runs its whole tuned comparison instead, and is judged on the reruns.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_TOLERANCES, readBaseline, type Baseline, type Tolerance } from '../../check/baseline.js';
import { junitXml, type SuiteResult } from '../../check/junit.js';
import { sparkline } from '../../check/sparkline.js';
import { ConfigError, UsageError } from '../../core/errors.js';
import type { Verdict } from '../../check/verdict.js';
import { expandChecks, judgeRun, meanLossCurve, writeBaselinePlot, type CheckedRun } from '../../lab/check.js';
import { checkTuned, type TunedCheck } from '../../lab/tuned-check.js';
import type { TunedEvent } from '../../lab/tuned.js';
import { phaseExitCode, phaseView, trialsAtOnce } from '../lab.js';
import { writeFileAtomic } from '../../runs/atomic.js';
import { prepareOutputFile } from '../../runs/output-path.js';
import { EXIT } from '../exit-codes.js';
import { jobsFlag, parseFlags, quietFlag, setFlag, toleranceFlag } from '../flags.js';
import { debugOption, outOption, setOption } from '../options.js';
import type { Terminal } from '../progress.js';
import { runSeedsShown } from '../seeds.js';
import { abortOnSignals, announceStop } from '../signals.js';
import { paint, screenOf } from '../screen.js';
import { alignedTable } from '../table.js';

const checkFlags = z.object({
  set: setFlag,
  out: z.string(),
  /** Not given: every seed at once (runSeeds), not one per core. */
  jobs: jobsFlag.optional(),
  junit: z.string().optional(),
  json: z.boolean(),
  baseline: z.string().optional(),
  /** Not given (neither): each metric's default tolerance (DEFAULT_TOLERANCES). */
  rtol: toleranceFlag('rtol').optional(),
  atol: toleranceFlag('atol').optional(),
  exact: z.boolean(),
  quiet: quietFlag,
});
type CheckFlags = z.output<typeof checkFlags>;

export function registerCheck(program: Command, terminal: Terminal, done: (code: number) => void): void {
  const command = program.command('check');
  outOption(debugOption(setOption(command)), 'runs root; each check runs into <out>/<name>/check-<time>', 'runs')
    .description("run each config's seeds (or, for expect.better claims, its tuned comparison) and judge its expect: block (and a baseline); exit 1 if anything fails")
    .argument('<configs...>', 'experiment files with an expect: block')
    .option('-j, --jobs <n>', 'seeds at once (default: all of them)')
    .option('--junit <file>', 'also write the verdicts as JUnit XML (one test case per expectation)')
    .option('--json', 'print the verdicts as JSON instead of tables', false)
    .option('--baseline <file>', 'also fail where a result is worse than this baseline (adam-lab baseline --save)')
    .option('--rtol <x>', `relative tolerance against the baseline, for every metric (default: ${defaultsOf('rtol')})`)
    .option('--atol <x>', `absolute tolerance against the baseline, for every metric (default: ${defaultsOf('atol')})`)
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
    .action(async (files: string[], flags: unknown) => done(await check(files, parseFlags(checkFlags, flags), terminal)));
}

async function check(files: string[], flags: CheckFlags, terminal: Terminal): Promise<number> {
  if (flags.baseline !== undefined && files.length > 1) throw new UsageError('--baseline compares one config: give a single config file');
  if (flags.exact && flags.baseline === undefined) throw new UsageError('--exact compares with a baseline: add --baseline <file>');
  const baseline = flags.baseline === undefined ? null : readBaseline(flags.baseline);
  const expansions = expandChecks(files, flags.set);
  if (baseline !== null && expansions[0].base.expect?.better !== undefined) throw new UsageError("--baseline compares a config's seeds; this config's expect.better claims are judged on a tuned comparison, without a baseline");
  for (const [i, file] of files.entries()) {
    if (expansions[i].base.expect === undefined && baseline === null) {
      throw new ConfigError(file, [{ path: ['expect'], problem: 'is missing: add an expect: block (or compare with --baseline <file>)' }]);
    }
  }
  // Before anything trains: a --junit that cannot be written would otherwise fail the check at its end.
  if (flags.junit !== undefined) prepareOutputFile(flags.junit, { inputs: [...files, ...(flags.baseline === undefined ? [] : [flags.baseline])] });
  const signals = abortOnSignals(announceStop(terminal.stderr, 'the current steps'));
  const suites: SuiteResult[] = [];
  const screen = screenOf(terminal.stdout, process.env);
  const print = (text: string): void => {
    if (!flags.json) terminal.stdout.write(text);
  };
  try {
    for (const [i, file] of files.entries()) {
      let verdicts: Verdict[];
      if (expansions[i].base.expect?.better !== undefined) {
        const tuned = await checkTunedShown(file, flags, signals.signal, terminal);
        if (typeof tuned === 'number') return tuned;
        verdicts = tuned.verdicts;
        suites.push({ name: expansions[i].base.name, file, seconds: tuned.seconds, verdicts });
        print(`\n${file} (tuned comparison, ${tuned.trials.length} reruns, ${tuned.seconds.toFixed(1)}s, ${tuned.dir})\n`);
      } else {
        const run = await runSeedsShown(file, expansions[i], { jobs: flags.jobs, out: flags.out, signal: signals.signal }, flags.quiet || flags.json, terminal);
        if (run.interrupted) return EXIT.interrupted;
        verdicts = judgeRun(run, baseline, commandLineTolerance(flags), flags.exact);
        suites.push({ name: run.expansion.base.name, file, seconds: run.seconds, verdicts });
        // with expect.variants the run is the compare: block, every variant × seed
        const unit = run.expansion.kind === 'compare' ? 'trial' : 'seed';
        print(`\n${file} (${run.trials.length} ${unit}${run.trials.length > 1 ? 's' : ''}, ${run.seconds.toFixed(1)}s, ${run.dir})\n`);
        if (baseline !== null) {
          print(curves(baseline, run));
          await writeBaselinePlot(baseline, run);
        }
      }
      const table = alignedTable([['expectation', 'bound', 'measured', 'verdict'], ...verdicts.map((v) => [v.expectation, v.bound, v.measured, v.pass ? 'PASS' : 'FAIL'])]);
      // The verdict is the last column, so colouring it after alignment leaves the columns in place.
      print(`${table.replace(/(PASS|FAIL)$/gm, (verdict) => paint(screen, verdict === 'PASS' ? 'green' : 'red', verdict))}\n`);
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

/**
 * A config with expect.better: its tuned comparison, shown as compare --protocol tuned shows it;
 * the judged result, or the exit code of a comparison that stopped or could not finish here.
 */
async function checkTunedShown(file: string, flags: CheckFlags, signal: AbortSignal, terminal: Terminal): Promise<Extract<TunedCheck, { type: 'judged' }> | number> {
  const view = phaseView(null, flags.quiet || flags.json, signal, terminal);
  try {
    const onEvent = (event: TunedEvent): void => (event.type === 'not-rerun' ? undefined : view.onEvent(event));
    const result = await checkTuned(file, { set: flags.set, out: flags.out }, { jobs: trialsAtOnce(flags.jobs), signal, onEvent });
    switch (result.type) {
      case 'judged':
        return result;
      case 'stopped':
        return phaseExitCode(result.outcome, terminal);
      case 'waiting':
        terminal.stderr.write(`${result.phase}: ${result.unfinished} of ${result.total} trials are held by another process; check again once it has finished\n`);
        return EXIT.failed;
    }
  } finally {
    view.dispose();
  }
}

/** Either flag replaces every metric's default tolerance, the other one counting as 0 (as written, nothing hidden is added). */
function commandLineTolerance({ rtol, atol }: CheckFlags): Tolerance | null {
  return rtol === undefined && atol === undefined ? null : { rtol: rtol ?? 0, atol: atol ?? 0 };
}

/** "accuracies 0, losses 0.05, steps_to 0.1": the per-metric defaults of one field, for --help. */
function defaultsOf(field: keyof Tolerance): string {
  const { accuracy, loss, steps } = DEFAULT_TOLERANCES;
  return `accuracies ${accuracy[field]}, losses ${loss[field]}, steps_to ${steps[field]}`;
}

/** The baseline's and this run's mean loss curves as two sparklines on one scale. */
function curves(baseline: Baseline, run: CheckedRun): string {
  const before = meanLossCurve(baseline.seeds);
  const now = meanLossCurve(run.steps);
  const finite = [...before, ...now].filter(Number.isFinite);
  const [low, high] = [Math.min(...finite), Math.max(...finite)];
  return `loss  baseline ${sparkline(before, 60, low, high)}\n      now      ${sparkline(now, 60, low, high)}\n`;
}
