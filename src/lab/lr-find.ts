/**
 * `adam-lab lr-find`: the learning-rate range test (train/lr-range.ts) of a config once per seed,
 * fastai's suggestions (lr-suggestions.ts) per seed and their geometric mean over the seeds,
 * written to runs/<name>/lr-find-<time>/: lr-find.csv (every step of every seed),
 * suggestions.csv (per seed and combined) and lr-find.svg.
 */
import { stringify } from 'csv-stringify/sync';
import { readConfigSource, resolveConfig, type ConfigSource } from '../config/load.js';
import { parseOverride, type Override } from '../config/overrides.js';
import { lrFindSpec } from '../report/plots/lr-find.js';
import { renderSvg } from '../report/plots/render-svg.js';
import { writeFiles } from '../report/write.js';
import { createRunDirectory } from '../runs/layout.js';
import { formatFloat32, formatNumber } from '../runs/numbers.js';
import { buildTraining } from '../train/build.js';
import { rangeTest, type RangeOptions, type RangeResult } from '../train/lr-range.js';
import { suggest, type Suggestions } from './lr-suggestions.js';

export interface LrFindRequest extends RangeOptions {
  readonly file: string;
  readonly set: readonly string[];
  readonly seeds: readonly number[];
  readonly out: string;
}

export interface SeedRange {
  readonly seed: number;
  readonly range: RangeResult;
  readonly suggestions: Suggestions | null;
}

export interface LrFindResult {
  readonly name: string;
  readonly dir: string;
  readonly seeds: readonly SeedRange[];
  /** Geometric means over the seeds that gave a suggestion; null when none did. */
  readonly combined: { readonly steep: number | null; readonly valley: number | null };
}

/** Runs the seeds one after another (each is ~100 steps) and writes the folder; `onSeed` hears each as it ends. */
export async function lrFind(request: LrFindRequest, onSeed: (seed: SeedRange) => void = () => {}): Promise<LrFindResult> {
  const source = readConfigSource(request.file);
  const sets = request.set.map((s) => parseOverride(s));
  const base = resolveConfig(source, sets);
  const { seeds, combined } = rangeTests(source, sets, request.seeds, request, onSeed);
  const dir = createRunDirectory(request.out, base.name, new Date(), 'lr-find-');
  const svg = await renderSvg(lrFindSpec(base.name, seeds.map((s) => ({ seed: s.seed, points: s.range.points })), combined, request.beta), 'lr-find');
  writeFiles(dir, { 'lr-find.csv': stepsCsv(seeds), 'suggestions.csv': suggestionsCsv(seeds, combined), 'lr-find.svg': svg });
  return { name: base.name, dir, seeds, combined };
}

/** fastai's lr_find defaults, with this project's three seeds: what protocol.tune.space's lr_find runs. */
export const LR_FIND_DEFAULTS: RangeOptions & { readonly seeds: readonly number[] } = { startLr: 1e-7, endLr: 10, iterations: 100, divergence: 4, beta: 0.98, seeds: [0, 1, 2] };

/** The range test of a config (with `overrides`) once per seed, and the suggestions' geometric means. */
export function rangeTests(
  source: ConfigSource,
  overrides: readonly Override[],
  seeds: readonly number[],
  options: RangeOptions,
  onSeed: (seed: SeedRange) => void = () => {},
): { seeds: SeedRange[]; combined: LrFindResult['combined'] } {
  const ranges = seeds.map((seed): SeedRange => {
    const config = resolveConfig(source, [...overrides, { path: ['seed'], value: seed, origin: 'lr-find seeds' }]);
    const range = rangeTest(buildTraining(config, source.file), options);
    const result = { seed, range, suggestions: suggest(range.points, options.iterations) };
    onSeed(result);
    return result;
  });
  return { seeds: ranges, combined: { steep: geometricMean(ranges, 'steep'), valley: geometricMean(ranges, 'valley') } };
}

function geometricMean(seeds: readonly SeedRange[], kind: keyof Suggestions): number | null {
  const values = seeds.map((s) => s.suggestions?.[kind]).filter((v): v is number => v !== undefined);
  return values.length === 0 ? null : Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
}

function stepsCsv(seeds: readonly SeedRange[]): string {
  const rows = seeds.flatMap((s) => s.range.points.map((p, i) => [String(s.seed), String(i + 1), formatNumber(p.lr), formatFloat32(p.loss), formatNumber(p.smoothed)]));
  return stringify(rows, { header: true, columns: ['seed', 'step', 'lr', 'loss', 'smoothed_loss'] });
}

function suggestionsCsv(seeds: readonly SeedRange[], combined: LrFindResult['combined']): string {
  const rows = [
    ...seeds.map((s) => [String(s.seed), formatNumber(s.suggestions?.valley ?? null), formatNumber(s.suggestions?.steep ?? null), String(s.range.points.length), s.range.stop]),
    ['geometric_mean', formatNumber(combined.valley), formatNumber(combined.steep), '', ''],
  ];
  return stringify(rows, { header: true, columns: ['seed', 'valley', 'steep', 'steps', 'stopped_by'] });
}
