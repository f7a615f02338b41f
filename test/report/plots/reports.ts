/** Hand-built reports the plot tests draw: a comparison with a diverged seed, and a two-axis grid. */
import type { GroupSummary, ReportData } from '../../../src/report/report-data.js';
import type { EvaluationPoint, TrialData } from '../../../src/runs/run-reader.js';

export const STEPS = Array.from({ length: 20 }, (_, i) => i * 10); // 0, 10, …, 190

export function trial(group: string, seed: number, loss: (step: number) => number, options: { divergedAt?: number; values?: TrialData['values'] } = {}): TrialData {
  const { divergedAt = null, values = {} } = options;
  const steps = STEPS.filter((s) => divergedAt === null || s <= divergedAt);
  const evaluations: EvaluationPoint[] = [1, 2]
    .filter((epoch) => divergedAt === null || epoch * 100 < divergedAt)
    .map((epoch) => ({ epoch, step: epoch * 100, trainLoss: loss(epoch * 100), testLoss: 1.1 * loss(epoch * 100), testAccuracy: 0.9 + 0.02 * epoch - loss(epoch * 100) / 100 }));
  return {
    id: `${group}-s${seed}`,
    group,
    seed,
    status: divergedAt === null ? 'completed' : 'diverged',
    values: { ...values, seed },
    losses: steps.map((s) => [s, s === divergedAt ? Number.NaN : loss(s)] as const),
    evaluations,
    divergedAtStep: divergedAt,
    seconds: 1.5,
  };
}

export function summary(group: string, trials: readonly TrialData[], rank: number | null, values: GroupSummary['values'] = {}): GroupSummary {
  const finished = trials.filter((t) => t.status === 'completed');
  const finals = finished.map((t) => t.evaluations[t.evaluations.length - 1].trainLoss!);
  const mean = finals.reduce((a, b) => a + b, 0) / finals.length;
  return {
    group,
    values,
    rank,
    trials: trials.length,
    completed: finished.length,
    diverged: trials.length - finished.length,
    failed: 0,
    metrics: { final_train_loss: finals.length === 0 ? null : { mean, std: 0.01, n: finals.length } },
  };
}

/** adam and sgd, three seeds each; sgd's seed 2 diverges at step 120 (its loss there is NaN). */
export function compareReport(): ReportData {
  const adam = [0, 1, 2].map((seed) => trial('adam', seed, (s) => 2 * Math.exp(-s / 50) + 0.01 * (seed + 1)));
  const sgd = [0, 1, 2].map((seed) =>
    trial('sgd', seed, (s) => 2 * Math.exp(-s / 150) + 0.05 * (seed + 1), seed === 2 ? { divergedAt: 120 } : {}),
  );
  return {
    kind: 'compare',
    name: 'cmp',
    id: 'sweep-1',
    axes: [],
    trials: [...adam, ...sgd],
    groups: [summary('adam', adam, 1), summary('sgd', sgd, 2)],
    rankBy: { metric: 'final_train_loss', higherIsBetter: false },
  };
}

const LRS = [0.01, 0.001]; // not in numeric order, on purpose
const BETAS = [0.9, 0.8, 0.95];

/** optimizer.lr × optimizer.betas.0, two seeds per point; every seed of (0.01, 0.95) diverges. */
export function gridReport(lrs: readonly number[] = LRS, betas: readonly number[] = BETAS): ReportData {
  const trials: TrialData[] = [];
  const groups: GroupSummary[] = [];
  for (const lr of lrs) {
    for (const beta of betas) {
      const group = `optimizer.lr=${lr}, optimizer.betas.0=${beta}`;
      const values = { 'optimizer.lr': lr, 'optimizer.betas.0': beta };
      const diverges = lr === 0.01 && beta === 0.95;
      const point = [0, 1].map((seed) =>
        trial(group, seed, (s) => Math.exp(-s * lr * 10) * beta + 0.001 * (seed + 1), { values, ...(diverges ? { divergedAt: 30 + 10 * seed } : {}) }),
      );
      trials.push(...point);
      groups.push(summary(group, point, diverges ? null : groups.length + 1, values));
    }
  }
  return { kind: 'sweep', name: 'grid', id: 'sweep-2', axes: ['optimizer.lr', 'optimizer.betas.0'], trials, groups, rankBy: { metric: 'final_train_loss', higherIsBetter: false } };
}
