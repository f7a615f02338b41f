/**
 * `adam-lab compare <config> --protocol tuned`: the fair comparison. Tune every variant on
 * held-out data (tuning/), rerun each variant's best setting over seeds (rerun/), then write
 * comparison.csv/.md with confidence intervals and Welch's tests, and the learning-rate
 * sensitivity plot, in runs/<name>/tuned-<id>/. Both phases are sweeps: resumable and shardable;
 * the rerun starts once every tuning trial (of every shard) has finished.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readConfigSource } from '../config/load.js';
import { parseOverride } from '../config/overrides.js';
import { expandRerun, expandTuning } from '../config/tuning.js';
import { chooseTuned, fairComparison, fairCsv, fairTable, verdicts } from '../report/fair.js';
import { performanceProfile, profileCsv, profileSpec } from '../report/profile.js';
import { renderSvg } from '../report/plots.js';
import { sensitivitySpec } from '../report/sensitivity.js';
import { markdownTable } from '../report/summary.js';
import { writeFiles } from '../report/write.js';
import { isFinished, readTrialManifest } from '../runs/sweep-dir.js';
import { EXIT } from './exit-codes.js';
import { parseJobs, phaseExitCode, runPhase, type LabFlags } from './lab.js';
import type { Terminal } from './progress.js';
import { resolveShard } from './shard.js';
import { abortOnSignals } from './signals.js';
import { alignedTable } from './table.js';

/** What one workload's tuned comparison produced, for performance profiles across workloads. */
export interface TunedOutcome {
  readonly code: number;
  readonly workload: string;
  /** Variant → mean steps to the first target, null if no seed reached it; null before the reruns finished. */
  readonly times: Map<string, number | null> | null;
}

/** Several workloads: each one's tuned comparison, then a performance profile over them. */
export async function runTunedWorkloads(files: readonly string[], flags: LabFlags, cliVariants: Record<string, Record<string, unknown>> | null, terminal: Terminal): Promise<number> {
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
  terminal.stdout.write(`\nperformance profile over ${files.length} workloads (share within τ× of the fastest to each target):\n`);
  terminal.stdout.write(`${alignedTable([['variant', 'τ=1', 'τ=1.5', 'τ=2', 'τ=4'], ...profile.variants.map((v) => [v, ...[1, 1.5, 2, 4].map((tau) => `${Math.round(100 * profile.curves.get(v)![at(tau)])}%`)])])}\n`);
  terminal.stdout.write(`profile in ${dir}\n`);
  return EXIT.ok;
}

export async function runTuned(file: string, flags: LabFlags, cliVariants: Record<string, Record<string, unknown>> | null, terminal: Terminal): Promise<TunedOutcome> {
  const out = (line: string): void => {
    terminal.stdout.write(`${line}\n`);
  };
  const source = readConfigSource(file);
  const sets = flags.set.map((s) => parseOverride(s));
  const plan = expandTuning(source, sets, cliVariants);
  const { tune, rerun, confidence, significance } = plan.protocol;
  const id = createHash('sha256').update(`${plan.tuning.trials.map((t) => t.id).join(',')}:${rerun.seeds}`).digest('hex').slice(0, 8);
  const root = join(flags.out, plan.base.name, `tuned-${id}`);
  const options = { jobs: parseJobs(flags.jobs), shard: resolveShard(flags.shard, flags.shards, process.env), quiet: flags.quiet };
  const perVariant = plan.tuning.trials.length / plan.variants.length;
  out(`tuned comparison ${root}: ${plan.variants.length} variants × ${Number.isInteger(perVariant) ? perVariant : '~'} tuning trials (${tune.search}, ${tune.metric} ${tune.at}), then ${rerun.seeds} seeds each`);
  const result = (code: number, times: Map<string, number | null> | null = null): TunedOutcome => ({ code, workload: plan.base.name, times });
  if (flags.dryRun) return result(EXIT.ok);
  const signals = abortOnSignals((signal) => terminal.stderr.write(`\n${signal}: finishing the running trials' current steps and writing results (again to quit at once)\n`));
  try {
    const tuningDir = join(root, 'tuning');
    const tuning = await runPhase(plan.tuning, tuningDir, file, { ...options, signal: signals.signal }, terminal);
    if (tuning.outcome.interrupted || (tuning.outcome.statuses.failed ?? 0) > 0) return result(phaseExitCode(tuning.outcome, terminal));
    const unfinished = plan.tuning.trials.filter((t) => !isFinished(readTrialManifest(tuningDir, t.id))).length;
    if (unfinished > 0) {
      out(`tuning: ${unfinished} of ${plan.tuning.trials.length} trials are not finished (other shards?); run this again once they are, and the reruns start`);
      return result(EXIT.ok);
    }
    const choices = chooseTuned(tuning.data, tune.metric, tune.at);
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
    const fair = fairComparison(reruns.data, choices, (plan.base.targets ?? {}) as Record<string, number>, confidence, significance);
    const table = fairTable(fair);
    const spec = sensitivitySpec(tuning.data, tune.metric, tune.at);
    writeFiles(root, {
      'comparison.csv': fairCsv(fair),
      'comparison.md': `# Tuned comparison ${plan.base.name} (tuned-${id})\n\n${protocolText(plan.protocol, fair)}\n\n${markdownTable(table)}\n\n${verdicts(fair).map((v) => `- ${v}`).join('\n')}\n`,
      ...(spec === null ? {} : { 'plots/lr-sensitivity.svg': await renderSvg(spec, 'sensitivity') }),
    });
    out('');
    out(alignedTable(table));
    out('');
    for (const line of verdicts(fair)) out(line);
    out(`\nresults in ${root} (comparison.csv, comparison.md, plots/lr-sensitivity.svg; tuning/ and rerun/ hold the trials and their reports)`);
    const first = fair.rows[0]?.targets[0];
    const stepsTo = (variant: string): number | null => fair.rows.find((r) => r.variant === variant)?.targets[0]?.steps?.mean ?? null;
    const times = new Map(plan.variants.map((v) => [v.group, stepsTo(v.group)] as const));
    return result(EXIT.ok, first === undefined ? null : times);
  } finally {
    signals.dispose();
  }
}

function protocolText(protocol: ReturnType<typeof expandTuning>['protocol'], fair: ReturnType<typeof fairComparison>): string {
  const { tune, rerun } = protocol;
  const space = Object.entries(tune.space).map(([k, d]) => `${k} ~ ${JSON.stringify(d)}`).join(', ');
  return (
    `Each variant was tuned on held-out data (${tune.metric}, ${tune.at} evaluation) with a ${tune.search} of ${tune.budget} trials over ${space}; ` +
    `its best setting was rerun with ${rerun.seeds} seeds. Ranked by ${fair.metric} (${fair.higherIsBetter ? 'higher' : 'lower'} is better); ` +
    `± is the ${Math.round(fair.confidence * 100)} % confidence interval of the mean; p is Welch's t-test against the best (significant below ${fair.significance}).`
  );
}
