/** What `check` and `baseline` share: a config's seeds run (lab/check.ts) with their progress shown. */
import { runSeeds, type CheckedRun, type SeedsOptions } from '../lab/check.js';
import type { Expansion } from '../config/trials.js';
import { progressMode, type Terminal } from './progress.js';
import { createSweepProgress } from './sweep-progress.js';

/** Without --quiet (and, for check, without --json: stdout is the JSON), as a sweep shows its trials. */
export async function runSeedsShown(file: string, expansion: Expansion, options: Omit<SeedsOptions, 'onEvent'>, quiet: boolean, terminal: Terminal): Promise<CheckedRun> {
  const progress = createSweepProgress(progressMode(quiet, terminal, process.env), terminal);
  try {
    return await runSeeds(file, expansion, { ...options, onEvent: progress.onEvent });
  } finally {
    progress.stop();
  }
}
