/**
 * The tuned comparison (`compare --protocol tuned`): tune every variant on held-out data
 * (tuning/), with tune.defaults run each variant once at its config's own settings on the same
 * data (defaults/, for the gain of tuning), rerun each variant's best setting over seeds
 * (rerun/), then write the fair comparison, in runs/<name>/tuned-<id>/ (tuned.json records how it was started, so that
 * `report` and `--resume` reopen the folder). Both phases are sweeps: resumable and shardable;
 * the rerun starts once every tuning trial (of every shard) has finished.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readConfigSource, type ConfigSource } from '../config/load.js';
import { parseOverride, type Override } from '../config/overrides.js';
import { compareVariants } from '../config/trials.js';
import { expandDefaults, expandRerun, expandTuning, usesLrFind, type LrFindCentres, type TuningPlan } from '../config/tuning.js';
import { LR_FIND_DEFAULTS, rangeTests } from './lr-find.js';
import { DataError } from '../core/errors.js';
import { shortId } from '../core/short-id.js';
import { workloadTimes } from '../report/profile.js';
import { tunedChoices, writeTunedReport, type TunedReport } from '../report/tuned.js';
import { writeReport } from '../report/write.js';
import { DEFAULT_PLOT_OPTIONS, type PlotOptions } from '../report/options.js';
import { isFinished, openTunedDirectory, readTrialManifest, readTunedManifest, SWEEP_FILE, TUNED_FILE, type TunedManifest } from '../runs/sweep-dir.js';
import { phaseStopped, runPhase, type PhaseEvent, type PhaseOptions } from './phase.js';
import type { SweepOutcome } from './trial-pool.js';
import type { ReportData } from '../report/report-data.js';

export type Variants = Readonly<Record<string, Record<string, unknown>>>;

/** A tuned comparison's folder being resumed, and the id its tuned.json records. */
export interface ResumedTuned {
  readonly dir: string;
  readonly id: string;
}

export interface TunedPlan {
  readonly file: string;
  readonly source: ConfigSource;
  readonly sets: readonly Override[];
  readonly plan: TuningPlan;
  readonly root: string;
  readonly manifest: TunedManifest;
}

/** One workload's tuned comparison: runs/<name>/tuned-<id>/, or the folder it resumes (which the config must still expand to). */
export function planTuned(file: string, request: { readonly set: readonly string[]; readonly out: string }, cliVariants: Variants | null, resumed?: ResumedTuned): TunedPlan {
  const source = readConfigSource(file);
  const sets = request.set.map((s) => parseOverride(s));
  const plan = expandTuning(source, sets, cliVariants, lrFindCentres(source, sets, cliVariants));
  const id = shortId(`${plan.tuning.trials.map((t) => t.id).join(',')}:${plan.protocol.rerun.seeds}`, 8);
  const root = resumed?.dir ?? join(request.out, plan.base.name, `tuned-${id}`);
  // Checked here rather than when the folder is opened, so that --dry-run refuses a changed config too.
  if (resumed !== undefined && resumed.id !== id) {
    throw new DataError(join(root, TUNED_FILE), `records tuned-${resumed.id}, but ${file} now expands to tuned-${id}: the config or --set changed since`, 'resume with the config as it was, or run compare --protocol tuned to start a new comparison');
  }
  const manifest: TunedManifest = {
    kind: 'tuned',
    name: plan.base.name,
    id,
    config_file: resolve(file),
    sets: [...request.set],
    variants: cliVariants,
    protocol: plan.protocol,
    targets: (plan.base.targets ?? {}) as Record<string, number>,
  };
  return { file, source, sets, plan, root, manifest };
}

/**
 * For a search space with an lr_find axis, each variant's range test (fastai's defaults, seeds 0,
 * 1, 2): the suggestions its range is centred on. Deterministic, so a resumed comparison expands
 * to the same trials.
 */
function lrFindCentres(source: ConfigSource, sets: readonly Override[], cliVariants: Variants | null): LrFindCentres {
  const { base, variants } = compareVariants(source, sets, cliVariants);
  if (!usesLrFind(base.protocol)) return new Map();
  return new Map(variants.map((v) => [v.group, rangeTests(source, [...sets, ...v.overrides], LR_FIND_DEFAULTS.seeds, LR_FIND_DEFAULTS).combined]));
}

export const tuningDirectory = (tuned: TunedPlan): string => join(tuned.root, 'tuning');
export const rerunDirectory = (tuned: TunedPlan): string => join(tuned.root, 'rerun');
export const defaultsDirectory = (tuned: TunedPlan): string => join(tuned.root, 'defaults');

/** Besides its phases' events, a tuned comparison tells which variants are not rerun. */
export type TunedEvent = PhaseEvent | { readonly type: 'not-rerun'; readonly variant: string };

/** How a tuned comparison's run ended. */
export type TunedResult =
  /** A phase was interrupted or had a trial fail. */
  | { readonly type: 'stopped'; readonly outcome: SweepOutcome }
  /** Some trials of a phase are not finished (other shards run them): run again later. */
  | { readonly type: 'waiting'; readonly phase: 'tuning' | 'defaults' | 'rerun'; readonly unfinished: number; readonly total: number }
  /** The comparison is written; `times` are the steps to the first target, for a performance profile (null without targets). */
  | { readonly type: 'done'; readonly report: TunedReport; readonly times: Map<string, number | null> | null };

export async function runTuned(tuned: TunedPlan, options: Omit<PhaseOptions, 'onEvent'> & { readonly onEvent: (event: TunedEvent) => void }): Promise<TunedResult> {
  const { plan, manifest, file } = tuned;
  openTunedDirectory(tuned.root, manifest);
  const tuningDir = tuningDirectory(tuned);
  const tuning = await runPhase(plan.tuning, tuningDir, file, options);
  if (phaseStopped(tuning.outcome)) return { type: 'stopped', outcome: tuning.outcome };
  const unfinished = plan.tuning.trials.filter((t) => !isFinished(readTrialManifest(tuningDir, t.id))).length;
  if (unfinished > 0) return { type: 'waiting', phase: 'tuning', unfinished, total: plan.tuning.trials.length };
  let defaults: ReportData | null = null;
  if (plan.protocol.tune.defaults) {
    const defaultsExpansion = expandDefaults(tuned.source, tuned.sets, plan);
    const defaultsDir = defaultsDirectory(tuned);
    const ran = await runPhase(defaultsExpansion, defaultsDir, file, options);
    if (phaseStopped(ran.outcome)) return { type: 'stopped', outcome: ran.outcome };
    const undone = defaultsExpansion.trials.filter((t) => !isFinished(readTrialManifest(defaultsDir, t.id))).length;
    if (undone > 0) return { type: 'waiting', phase: 'defaults', unfinished: undone, total: defaultsExpansion.trials.length };
    defaults = ran.data;
  }
  const choices = tunedChoices(manifest, tuning.data);
  const chosen = new Map(choices.filter((c) => c.index !== null).map((c) => [c.variant, c.index!]));
  for (const c of choices.filter((c) => c.index === null)) options.onEvent({ type: 'not-rerun', variant: c.variant });
  const rerunExpansion = expandRerun(tuned.source, tuned.sets, plan, chosen, plan.points);
  const rerunDir = rerunDirectory(tuned);
  const reruns = await runPhase(rerunExpansion, rerunDir, file, options);
  if (phaseStopped(reruns.outcome)) return { type: 'stopped', outcome: reruns.outcome };
  const missing = rerunExpansion.trials.filter((t) => !isFinished(readTrialManifest(rerunDir, t.id))).length;
  if (missing > 0) return { type: 'waiting', phase: 'rerun', unfinished: missing, total: rerunExpansion.trials.length };
  const report = await writeTunedReport(tuned.root, manifest, tuning.data, choices, reruns, defaults);
  const first = Object.entries(manifest.targets)[0];
  return { type: 'done', report, times: first === undefined ? null : workloadTimes(reruns.data, plan.variants.map((v) => v.group), ...first) };
}

/**
 * `report` on a tuned folder: each phase's report again, then the comparison (null until the
 * reruns have started). A folder from before defaults/ existed has no gains of tuning to show.
 */
export async function rebuildTunedReport(dir: string, options: PlotOptions = DEFAULT_PLOT_OPTIONS): Promise<TunedReport | null> {
  const manifest = readTunedManifest(dir);
  const tuning = (await writeReport(join(dir, 'tuning'), options)).data;
  if (!existsSync(join(dir, 'rerun', SWEEP_FILE))) return null;
  const defaults = existsSync(join(dir, 'defaults', SWEEP_FILE)) ? (await writeReport(join(dir, 'defaults'), options)).data : null;
  const rerun = await writeReport(join(dir, 'rerun'), options);
  return writeTunedReport(dir, manifest, tuning, tunedChoices(manifest, tuning), rerun, defaults, options);
}
