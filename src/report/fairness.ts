/**
 * Is a tuned comparison fair to each optimizer? Two readings of it:
 *
 *  - the gain of tuning: each variant's tuning score at its config's own settings (defaults/)
 *    against its tuned score — an optimizer that gains much was handicapped by its defaults, one
 *    that gains nothing may have been tuned over too little;
 *  - the inclusion lint of Choi, Shallue, Nado, Lee, Maddison & Dahl 2019 ("On empirical
 *    comparisons of optimizers for deep learning", §3 and Figure 1): a more general optimizer can
 *    do whatever its special case does — SGD ⊆ momentum ⊆ RMSprop, SGD ⊆ Nesterov ⊆ NAdam,
 *    momentum ⊆ Adam (Adam with ε → ∞ and lr/ε fixed is momentum SGD with β1 as the momentum) —
 *    so when the general one loses significantly to its special case, its search space was too
 *    narrow to reach it; the lint names the hyperparameters that inclusion needs and were not tuned.
 */
import type { OptimizerConfig } from '../optim/registry.js';
import type { ReportData } from './report-data.js';
import { welchTTest } from './statistics.js';
import type { FairComparison, TuningGain } from './fair.js';
import { tuningScore, type TuningChoice } from './tuning-choice.js';

export function tuningGains(choices: readonly TuningChoice[], defaults: ReportData, metric: 'val_loss' | 'val_accuracy', at: 'final' | 'best'): Map<string, TuningGain> {
  return new Map(
    choices.map((choice) => {
      const trial = defaults.trials.find((t) => t.group === choice.variant);
      return [choice.variant, { defaults: trial === undefined ? null : tuningScore(trial, metric, at), defaultsStatus: trial?.status ?? 'missing', tuned: choice.score }];
    }),
  );
}

/** The optimizers Choi et al. order by inclusion, as a variant's config makes it one. */
export type OptimizerKind = 'sgd' | 'momentum' | 'nesterov' | 'rmsprop' | 'adam' | 'nadam';

export function optimizerKind(optimizer: OptimizerConfig): OptimizerKind | null {
  switch (optimizer.name) {
    case 'sgd':
      if (optimizer.nesterov === true) return 'nesterov';
      return Number(optimizer.momentum ?? 0) > 0 ? 'momentum' : 'sgd';
    case 'rmsprop':
      return 'rmsprop';
    case 'adam':
    case 'adamw':
      return 'adam';
    case 'nadam':
      return 'nadam';
    default:
      return null;
  }
}

/** A hyperparameter an inclusion needs tuned, and the search-space axes that tune it. */
interface Needed {
  readonly name: string;
  readonly axes: readonly string[];
}
const EPS: Needed = { name: 'optimizer.eps', axes: ['optimizer.eps'] };
const BETA1: Needed = { name: 'optimizer.betas.0 (β1, the momentum)', axes: ['optimizer.betas.0', 'optimizer.betas', 'one_minus_beta1'] };
const MOMENTUM: Needed = { name: 'optimizer.momentum', axes: ['optimizer.momentum'] };

/** general ⊇ special, and what the general one must have tuned to reach it (Choi et al. 2019, §3). */
const INCLUSIONS: readonly { general: OptimizerKind; special: OptimizerKind; needs: readonly Needed[]; how: string }[] = [
  { general: 'momentum', special: 'sgd', needs: [MOMENTUM], how: 'momentum 0 is SGD' },
  { general: 'nesterov', special: 'sgd', needs: [MOMENTUM], how: 'momentum 0 is SGD' },
  { general: 'rmsprop', special: 'sgd', needs: [EPS], how: 'RMSprop with a large ε is SGD at lr/ε' },
  { general: 'rmsprop', special: 'momentum', needs: [EPS, MOMENTUM], how: 'RMSprop with momentum and a large ε is momentum SGD at lr/ε' },
  { general: 'adam', special: 'sgd', needs: [EPS, BETA1], how: 'Adam with β1 = 0 and a large ε is SGD at lr/ε' },
  { general: 'adam', special: 'momentum', needs: [EPS, BETA1], how: 'Adam with a large ε is momentum SGD at lr/ε, β1 as the momentum' },
  { general: 'nadam', special: 'sgd', needs: [EPS, BETA1], how: 'NAdam with β1 = 0 and a large ε is SGD at lr/ε' },
  { general: 'nadam', special: 'nesterov', needs: [EPS, BETA1], how: 'NAdam with a large ε is Nesterov momentum at lr/ε' },
];

/**
 * One sentence per (general, special) pair of variants where the general one is significantly
 * worse (two-sided Welch's test below the comparison's significance, the difference against it).
 */
export function inclusionLint(fair: FairComparison, kinds: ReadonlyMap<string, OptimizerKind | null>): string[] {
  const lines: string[] = [];
  for (const general of fair.rows) {
    for (const special of fair.rows) {
      const inclusion = INCLUSIONS.find((i) => i.general === kinds.get(general.variant) && i.special === kinds.get(special.variant));
      if (inclusion === undefined || general.values.length < 2 || special.values.length < 2) continue;
      const { t, p } = welchTTest(general.values, special.values);
      const worse = fair.higherIsBetter ? t < 0 : t > 0;
      if (!worse || p >= fair.significance) continue;
      const tuned = Object.keys(general.tuning.values);
      const untuned = inclusion.needs.filter((n) => !n.axes.some((axis) => tuned.includes(axis))).map((n) => n.name);
      const shown = p < 0.001 ? 'p<0.001' : `p=${p.toPrecision(2)}`;
      const cause = untuned.length > 0 ? `not tuned: ${untuned.join(', ')}` : 'every hyperparameter it needs was tuned, so widen their ranges';
      lines.push(`${general.variant} loses significantly to ${special.variant} (${fair.metric}, ${shown}), yet it includes it (${inclusion.how}; Choi et al. 2019): ${general.variant}'s search space is too narrow — ${cause}`);
    }
  }
  return lines;
}
