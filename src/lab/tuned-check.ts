/**
 * `check` on a tuned comparison (a config whose expect: has better: claims): the whole protocol
 * — tune every variant, rerun each best setting over seeds — in a fresh check folder (a check
 * measures the code as it is now, so no earlier tuned folder is resumed), then the verdicts on
 * the reruns: the claims between variants, and any plain expectation over every rerun.
 */
import { judge, type Verdict } from '../check/verdict.js';
import { createRunDirectory } from '../runs/layout.js';
import { collectReport } from '../report/summary.js';
import type { TrialData } from '../runs/run-reader.js';
import { judgeClaims } from './claims.js';
import type { PhaseOptions } from './phase.js';
import { planTuned, rerunDirectory, runTuned, type TunedEvent, type TunedResult } from './tuned.js';

export type TunedCheck =
  | { readonly type: 'judged'; readonly dir: string; readonly trials: readonly TrialData[]; readonly verdicts: Verdict[]; readonly seconds: number }
  /** Interrupted or a trial failed (stopped), or trials held by another process (waiting): nothing to judge. */
  | Exclude<TunedResult, { type: 'done' }>;

export async function checkTuned(
  file: string,
  request: { readonly set: readonly string[]; readonly out: string },
  options: Omit<PhaseOptions, 'onEvent' | 'shard'> & { readonly onEvent: (event: TunedEvent) => void },
): Promise<TunedCheck> {
  const planned = planTuned(file, request, null);
  const tuned = { ...planned, root: createRunDirectory(request.out, planned.plan.base.name, new Date(), 'check-') };
  const began = performance.now();
  const result = await runTuned(tuned, { ...options, shard: null });
  if (result.type !== 'done') return result;
  const { trials } = collectReport(rerunDirectory(tuned));
  const expect = planned.plan.base.expect!;
  return { type: 'judged', dir: tuned.root, trials, verdicts: [...judge(expect, trials), ...judgeClaims(expect.better ?? [], trials)], seconds: (performance.now() - began) / 1000 };
}
