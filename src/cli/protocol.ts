/**
 * `adam-lab compare <config> --protocol tuned`: the fair comparison. Tune every variant on
 * held-out data (tuning/), rerun each variant's best setting over seeds (rerun/), then write
 * comparison.csv/.md with confidence intervals and Welch's tests, the learning-rate sensitivity
 * plot and report.html, in runs/<name>/tuned-<id>/ (tuned.json records how it was started, so
 * that `report` and `--resume` reopen the folder). Both phases are sweeps: resumable and
 * shardable; the rerun starts once every tuning trial (of every shard) has finished.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readConfigSource } from '../config/load.js';
import { parseOverride } from '../config/overrides.js';
import { expandRerun, expandTuning } from '../config/tuning.js';
import { DataError } from '../core/errors.js';
import { performanceProfile, PROFILE_TIME, profileCsv, profileSpec, workloadTimes } from '../report/profile.js';
import { renderSvg } from '../report/plots/render-svg.js';
import { tunedChoices, writeTunedReport, type TunedReport } from '../report/tuned.js';
import { writeFiles } from '../report/write.js';
import { isFinished, openTunedDirectory, readTrialManifest, readTunedManifest, TUNED_FILE, type TunedManifest } from '../runs/sweep-dir.js';
import { EXIT } from './exit-codes.js';
import { listTrials, parseJobs, phaseExitCode, runPhase, type LabFlags } from './lab.js';
import type { Terminal } from './progress.js';
import { resolveShard } from './shard.js';
import { abortOnSignals, announceStop } from './signals.js';
import { alignedTable } from './table.js';

/** What one workload's tuned comparison produced, for performance profiles across workloads. */
export interface TunedOutcome {
  readonly code: number;
  readonly workload: string;
  /** Variant → median steps to the first target (null: not reached by more than half the seeds); null before the reruns finished. */
  readonly times: Map<string, number | null> | null;
}

/** Several workloads: each one's tuned comparison, then a performance profile over them. */
export async function runTunedWorkloads(files: readonly string[], flags: LabFlags, cliVariants: Readonly<Record<string, Record<string, unknown>>> | null, terminal: Terminal): Promise<number> {
  const outcomes: TunedOutcome[] = [];
  for (const file of files) {
    const outcome = await runTuned(file, flags, cliVariants, terminal);
    if (outcome.code !== EXIT.ok) return outcome.code;
    outcomes.push(outcome);
  }
  if (files.length < 2 || outcomes.some((o) => o.times === null)) return EXIT.ok;
  const workloads = outcomes.map((o) => ({ workload: o.workload, times: o.times! }));
  const profile = performanceProfile(workloads);
  const id = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 8);
  const dir = join(flags.out, `performance-profile-${id}`);
  writeFiles(dir, {
    'performance-profile.csv': profileCsv(profile),
    'plots/performance-profile.svg': await renderSvg(profileSpec(profile, workloads.map((w) => w.workload)), 'profile'),
  });
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
  return (await runTuned(config, { ...flags, set: [...manifest.sets, ...flags.set] }, manifest.variants, terminal, { dir, id: manifest.id })).code;
}

/** A tuned comparison's folder being resumed, and the id its tuned.json records. */
interface ResumedTuned {
  readonly dir: string;
  readonly id: string;
}

/** One workload's tuned comparison in runs/<name>/tuned-<id>/, or in the folder it resumes. */
export async function runTuned(file: string, flags: LabFlags, cliVariants: Readonly<Record<string, Record<string, unknown>>> | null, terminal: Terminal, resumed?: ResumedTuned): Promise<TunedOutcome> {
  const out = (line: string): void => {
    terminal.stdout.write(`${line}\n`);
  };
  const source = readConfigSource(file);
  const sets = flags.set.map((s) => parseOverride(s));
  const plan = expandTuning(source, sets, cliVariants);
  const { tune, rerun } = plan.protocol;
  const id = createHash('sha256').update(`${plan.tuning.trials.map((t) => t.id).join(',')}:${rerun.seeds}`).digest('hex').slice(0, 8);
  const root = resumed?.dir ?? join(flags.out, plan.base.name, `tuned-${id}`);
  // Checked here rather than when the folder is opened, so that --dry-run refuses a changed config too.
  if (resumed !== undefined && resumed.id !== id) {
    throw new DataError(join(root, TUNED_FILE), `records tuned-${resumed.id}, but ${file} now expands to tuned-${id}: the config or --set changed since`, 'resume with the config as it was, or run compare --protocol tuned to start a new comparison');
  }
  const options = { jobs: parseJobs(flags.jobs), shard: resolveShard(flags.shard, flags.shards, process.env), quiet: flags.quiet };
  const perVariant = plan.tuning.trials.length / plan.variants.length;
  out(`tuned comparison ${root}: ${plan.variants.length} variants × ${Number.isInteger(perVariant) ? perVariant : '~'} tuning trials (${tune.search}, ${tune.metric} ${tune.at}), then ${rerun.seeds} seeds each`);
  const result = (code: number, times: Map<string, number | null> | null = null): TunedOutcome => ({ code, workload: plan.base.name, times });
  const tuningDir = join(root, 'tuning');
  if (flags.dryRun) {
    listTrials(plan.tuning, options.shard, tuningDir, terminal);
    out(`then each variant's best setting is rerun with ${rerun.seeds} seeds (${plan.variants.length * rerun.seeds} trials), into ${join(root, 'rerun')}; which setting is best depends on the tuning results, so the reruns are not listed`);
    return result(EXIT.ok);
  }
  const manifest: TunedManifest = {
    kind: 'tuned',
    name: plan.base.name,
    id,
    config_file: resolve(file),
    sets: flags.set,
    variants: cliVariants,
    protocol: plan.protocol,
    targets: (plan.base.targets ?? {}) as Record<string, number>,
  };
  openTunedDirectory(root, manifest);
  const signals = abortOnSignals(announceStop(terminal.stderr, "the running trials' current steps"));
  try {
    const tuning = await runPhase(plan.tuning, tuningDir, file, { ...options, signal: signals.signal }, terminal);
    if (tuning.outcome.interrupted || (tuning.outcome.statuses.failed ?? 0) > 0) return result(phaseExitCode(tuning.outcome, terminal));
    const unfinished = plan.tuning.trials.filter((t) => !isFinished(readTrialManifest(tuningDir, t.id))).length;
    if (unfinished > 0) {
      out(`tuning: ${unfinished} of ${plan.tuning.trials.length} trials are not finished (other shards?); run this again once they are, and the reruns start`);
      return result(EXIT.ok);
    }
    const choices = tunedChoices(manifest, tuning.data);
    const chosen = new Map(choices.filter((c) => c.index !== null).map((c) => [c.variant, c.index!]));
    for (const c of choices.filter((c) => c.index === null)) out(`${c.variant}: every tuning trial diverged or failed; it is not rerun`);
    const rerunExpansion = expandRerun(source, sets, plan, chosen, plan.points);
    const rerunDir = join(root, 'rerun');
    const reruns = await runPhase(rerunExpansion, rerunDir, file, { ...options, signal: signals.signal }, terminal);
    if (reruns.outcome.interrupted || (reruns.outcome.statuses.failed ?? 0) > 0) return result(phaseExitCode(reruns.outcome, terminal));
    const missing = rerunExpansion.trials.filter((t) => !isFinished(readTrialManifest(rerunDir, t.id))).length;
    if (missing > 0) {
      out(`rerun: ${missing} of ${rerunExpansion.trials.length} trials are not finished (other shards?); run this again once they are`);
      return result(EXIT.ok);
    }
    const report = await writeTunedReport(root, manifest, tuning.data, choices, reruns);
    printTunedReport(report, terminal);
    out(`\nresults in ${root} (report.html, comparison.csv, comparison.md, plots/lr-sensitivity.svg; tuning/ and rerun/ hold the trials and their reports)`);
    const first = Object.entries(manifest.targets)[0];
    return result(EXIT.ok, first === undefined ? null : workloadTimes(reruns.data, plan.variants.map((v) => v.group), ...first));
  } finally {
    signals.dispose();
  }
}

/** The fair table and the verdicts, for the terminal. */
export function printTunedReport(report: TunedReport, terminal: Terminal): void {
  terminal.stdout.write(`\n${alignedTable(report.table)}\n\n${report.verdicts.map((line) => `${line}\n`).join('')}`);
}
