/**
 * `adam-lab compare <config> --protocol tuned`: the fair comparison of lab/tuned.ts, one workload
 * after another, then (for several workloads) a performance profile over them; this file says
 * what happens and what came of it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../core/errors.js';
import { writePerformanceProfile } from '../lab/profile.js';
import { planTuned, rerunDirectory, runTuned, tuningDirectory, type ResumedTuned, type TunedPlan, type Variants } from '../lab/tuned.js';
import { PROFILE_TIME } from '../report/profile.js';
import { searchSpaceYaml, type TunedReport } from '../report/tuned.js';
import { readTunedManifest, TUNED_FILE } from '../runs/sweep-dir.js';
import { EXIT } from './exit-codes.js';
import { heldWaitMs, listTrials, phaseExitCode, phaseView, trialsAtOnce, type LabFlags } from './lab.js';
import type { Terminal } from './progress.js';
import { resolveShard } from './shard.js';
import { abortOnSignals, announceStop } from './signals.js';
import { alignedTable } from './table.js';

/** What one workload's tuned comparison produced, for performance profiles across workloads. */
interface TunedOutcome {
  readonly code: number;
  readonly workload: string;
  /** Variant → median steps to the first target (null: not reached by more than half the seeds); null before the reruns finished. */
  readonly times: Map<string, number | null> | null;
}

/** Several workloads: each one's tuned comparison, then a performance profile over them. */
export async function runTunedWorkloads(files: readonly string[], flags: LabFlags, cliVariants: Variants | null, terminal: Terminal): Promise<number> {
  const outcomes: TunedOutcome[] = [];
  for (const file of files) {
    const outcome = await tunedComparison(file, flags, cliVariants, terminal);
    if (outcome.code !== EXIT.ok) return outcome.code;
    outcomes.push(outcome);
  }
  if (files.length < 2 || outcomes.some((o) => o.times === null)) return EXIT.ok;
  const { dir, profile } = await writePerformanceProfile(files, outcomes.map((o) => ({ workload: o.workload, times: o.times! })), flags.out);
  const at = (tau: number): number => profile.taus.findIndex((t) => t >= tau);
  terminal.stdout.write(`\nperformance profile over ${files.length} workloads (share within τ× of the fastest to each target; ${PROFILE_TIME}):\n`);
  terminal.stdout.write(`${alignedTable([['variant', 'τ=1', 'τ=1.5', 'τ=2', 'τ=4'], ...profile.variants.map((v) => [v, ...[1, 1.5, 2, 4].map((tau) => `${Math.round(100 * profile.curves.get(v)![at(tau)])}%`)])])}\n`);
  terminal.stdout.write(`profile in ${dir}\n`);
  return EXIT.ok;
}

/**
 * `compare --resume <tuned folder>`: the comparison again from the config its tuned.json records
 * (or the one given), which must still expand to this folder. Not from the recorded trials alone,
 * as a plain sweep resumes: the reruns are expanded from the config once tuning has chosen.
 */
export async function resumeTuned(dir: string, file: string | undefined, flags: LabFlags, terminal: Terminal): Promise<number> {
  const manifest = readTunedManifest(dir);
  const config = file ?? manifest.config_file;
  if (file === undefined && !existsSync(config)) {
    throw new DataError(join(dir, TUNED_FILE), `names the config ${config}, which is gone`, `a tuned comparison resumes from its config (its reruns are made from it); give it: compare <config> --resume ${dir}`);
  }
  return (await tunedComparison(config, { ...flags, set: [...manifest.sets, ...flags.set] }, manifest.variants, terminal, { dir, id: manifest.id })).code;
}

/** One workload's tuned comparison, told as it goes. */
async function tunedComparison(file: string, flags: LabFlags, cliVariants: Variants | null, terminal: Terminal, resumed?: ResumedTuned): Promise<TunedOutcome> {
  const out = (line: string): void => {
    terminal.stdout.write(`${line}\n`);
  };
  const tuned = planTuned(file, flags, cliVariants, resumed);
  const { plan, root } = tuned;
  const jobs = trialsAtOnce(flags.jobs);
  const shard = resolveShard(flags.shard, flags.shards, process.env);
  out(startLine(tuned));
  const result = (code: number, times: Map<string, number | null> | null = null): TunedOutcome => ({ code, workload: plan.base.name, times });
  if (flags.dryRun) {
    listTrials(plan.tuning, shard, tuningDirectory(tuned), terminal);
    out(`then each variant's best setting is rerun with ${plan.protocol.rerun.seeds} seeds (${plan.variants.length * plan.protocol.rerun.seeds} trials), into ${rerunDirectory(tuned)}; which setting is best depends on the tuning results, so the reruns are not listed`);
    return result(EXIT.ok);
  }
  const signals = abortOnSignals(announceStop(terminal.stderr, "the running trials' current steps"));
  const view = phaseView(shard, flags.quiet, signals.signal, terminal);
  try {
    const ended = await runTuned(tuned, {
      jobs,
      shard,
      signal: signals.signal,
      heldWaitMs: heldWaitMs(flags),
      onEvent: (event) => (event.type === 'not-rerun' ? out(`${event.variant}: every tuning trial diverged or failed; it is not rerun`) : view.onEvent(event)),
    });
    switch (ended.type) {
      case 'stopped':
        return result(phaseExitCode(ended.outcome, terminal));
      case 'waiting':
        out(`${ended.phase}: ${ended.unfinished} of ${ended.total} trials are not finished (other shards?); run this again once they are${ended.phase === 'tuning' ? ', and the reruns start' : ''}`);
        return result(EXIT.ok);
      case 'done':
        printTunedReport(ended.report, terminal);
        out(`\nresults in ${root} (report.html, comparison.csv, comparison.md, plots/lr-sensitivity.svg; tuning/ and rerun/ hold the trials and their reports)`);
        return result(EXIT.ok, ended.times);
    }
  } finally {
    view.dispose();
    signals.dispose();
  }
}

function startLine({ plan, root }: TunedPlan): string {
  const { tune, rerun } = plan.protocol;
  const perVariant = plan.tuning.trials.length / plan.variants.length;
  const space = searchSpaceYaml(tune.space).trimEnd().replace(/^/gm, '  ');
  return `tuned comparison ${root}: ${plan.variants.length} variants × ${Number.isInteger(perVariant) ? perVariant : '~'} tuning trials (${tune.search}, ${tune.metric} ${tune.at}), then ${rerun.seeds} seeds each; search space:\n${space}`;
}

/** The fair table and the verdicts, for the terminal. */
export function printTunedReport(report: TunedReport, terminal: Terminal): void {
  terminal.stdout.write(`\n${alignedTable(report.table)}\n\n${report.verdicts.map((line) => `${line}\n`).join('')}`);
  if (report.lint.length > 0) terminal.stdout.write(`\nsearch spaces:\n${report.lint.map((line) => `  ${line}\n`).join('')}`);
}
