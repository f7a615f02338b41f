/**
 * Judging runs against a config's `expect:` block. One verdict per expectation: the bound, what
 * was measured over the seeds (mean ± std, or the worst seed) and PASS or FAIL. A seed that
 * diverged or failed has no final metrics, so a metric expectation fails on it by name.
 */
import type { TrialData } from '../runs/run-reader.js';
import { firstReaching, trialResults } from '../runs/run-reader.js';
import type { VariantExpectations } from '../config/expect-schema.js';
import { escapeStep, type Trajectory } from '../runs/trajectory-reader.js';

export interface Verdict {
  /** What is expected, e.g. "final_train_loss", "steps_to test_accuracy 0.9". */
  readonly expectation: string;
  /** The bound in words: "≤ 0.3 (mean)". */
  readonly bound: string;
  /** What was measured: "0.2512 ± 0.0123 (3 seeds)". */
  readonly measured: string;
  readonly pass: boolean;
  /** Per seed, in seed order (null where the seed has no value). */
  readonly values: readonly (number | null)[];
}

interface Bound {
  readonly min?: number;
  readonly max?: number;
  readonly worst: boolean;
}

/**
 * `trajectoryOf` reads a trial's trajectory.csv (an objective run's path), for final_coordinate and
 * escape_step; `prefix` names a compare variant in front of each expectation.
 */
export function judge(expect: VariantExpectations, trials: readonly TrialData[], trajectoryOf: (trial: TrialData) => Trajectory | null = () => null, prefix = ''): Verdict[] {
  return judgeAll(expect, trials, trajectoryOf).map((v) => ({ ...v, expectation: `${prefix}${v.expectation}` }));
}

function judgeAll(expect: VariantExpectations, trials: readonly TrialData[], trajectoryOf: (trial: TrialData) => Trajectory | null): Verdict[] {
  const verdicts: Verdict[] = [];
  const results = trials.map(trialResults);
  if (expect.final_coordinate || expect.escape_step) verdicts.push(...trajectoryVerdicts(expect, trials.map(trajectoryOf), trials));
  if (expect.final_train_loss) verdicts.push(boundVerdict('final_train_loss', expect.final_train_loss, trials, results.map((r) => r.final_train_loss)));
  if (expect.final_test_loss) verdicts.push(boundVerdict('final_test_loss', expect.final_test_loss, trials, results.map((r) => r.final_test_loss)));
  if (expect.test_accuracy) {
    const at = expect.test_accuracy.at;
    const values = results.map((r) => (at === 'best' ? r.best_test_accuracy : r.final_test_accuracy));
    verdicts.push(boundVerdict(`test_accuracy (${at})`, expect.test_accuracy, trials, values));
  }
  if (expect.steps_to) {
    const { max, worst, ...targets } = expect.steps_to;
    const [metric, target] = Object.entries(targets).find(([, t]) => t !== undefined) as [string, number];
    const values = trials.map((t) => firstReaching(t, metric, target)?.step ?? null);
    verdicts.push(boundVerdict(`steps_to ${metric} ${metric.endsWith('accuracy') ? '≥' : '≤'} ${target}`, { max, worst }, trials, values, 'not reached'));
  }
  if (expect.max_update_ratio !== undefined) {
    const values = trials.map((t) => t.internals?.maxUpdateRatio ?? null);
    verdicts.push(boundVerdict('max_update_ratio', { max: expect.max_update_ratio, worst: true }, trials, values, 'no internals.csv rows'));
  }
  const diverged = trials.filter((t) => t.status === 'diverged').length;
  if (expect.no_divergence) {
    verdicts.push({ expectation: 'no_divergence', bound: 'no seed diverges', measured: `${diverged} of ${trials.length} diverged`, pass: diverged === 0, values: [] });
  }
  if (expect.diverges) {
    verdicts.push({ expectation: 'diverges', bound: 'every seed diverges', measured: `${diverged} of ${trials.length} diverged`, pass: diverged === trials.length, values: [] });
  }
  return verdicts;
}

/** final_coordinate and escape_step, on each trial's trajectory.csv (a trial without one has no value). */
function trajectoryVerdicts(expect: VariantExpectations, paths: readonly (Trajectory | null)[], trials: readonly TrialData[]): Verdict[] {
  const verdicts: Verdict[] = [];
  const missing = 'no trajectory.csv (not an objective run)';
  if (expect.final_coordinate) {
    const { index } = expect.final_coordinate;
    const values = paths.map((p) => (p === null || index >= p.coordinates.length ? null : p.coordinates[index][p.steps.length - 1]));
    verdicts.push(boundVerdict(`final_coordinate x${index}`, expect.final_coordinate, trials, values, missing));
  }
  if (expect.escape_step) {
    const { coordinate, beyond } = expect.escape_step;
    const values = paths.map((p) => (p === null || coordinate >= p.coordinates.length ? null : escapeStep(p, coordinate, beyond)));
    verdicts.push(boundVerdict(`escape_step |x${coordinate}| ≥ ${beyond}`, expect.escape_step, trials, values, missing));
  }
  return verdicts;
}

function boundVerdict(name: string, bound: Bound, trials: readonly TrialData[], values: readonly (number | null)[], missing = 'no result'): Verdict {
  const limits = [bound.min === undefined ? null : `≥ ${bound.min}`, bound.max === undefined ? null : `≤ ${bound.max}`].filter((x) => x !== null).join(' and ');
  const text = `${limits} (${bound.worst ? 'every seed' : 'mean'})`;
  const absent = trials.filter((_, i) => values[i] === null);
  if (absent.length > 0) {
    const why = absent.map((t) => `seed ${t.seed} ${t.status === 'completed' ? missing : t.status}`).join(', ');
    return { expectation: name, bound: text, measured: why, pass: false, values };
  }
  const xs = values as number[];
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  const within = (x: number): boolean => (bound.min === undefined || x >= bound.min) && (bound.max === undefined || x <= bound.max);
  const pass = bound.worst ? xs.every(within) : within(mean);
  const worstValue = bound.max !== undefined ? Math.max(...xs) : Math.min(...xs);
  const measured = bound.worst ? `worst ${short(worstValue)} (${xs.length} seeds)` : `${short(mean)} ± ${short(std)} (${xs.length} seed${xs.length > 1 ? 's' : ''})`;
  return { expectation: name, bound: text, measured, pass, values };
}

export function short(x: number): string {
  if (x === Infinity) return 'never';
  return Number.isInteger(x) ? String(x) : Number(x.toPrecision(4)).toString();
}
