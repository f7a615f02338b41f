/**
 * What `sweep` and `compare` show while trials run: on a terminal one cli-progress bar per
 * running trial under an overall bar; otherwise (or with CI set) one line per finished trial.
 */
import cliProgress from 'cli-progress';
import type { SweepEvent } from '../lab/trial-pool.js';
import type { EpochEvent } from '../train/events.js';
import { percent, type ProgressMode, type Terminal } from './progress.js';

const LABEL = 40;

export function createSweepProgress(mode: ProgressMode, terminal: Terminal): { onEvent(event: SweepEvent): void; stop(): void } {
  let multibar: cliProgress.MultiBar | null = null;
  let overall: cliProgress.SingleBar | null = null;
  const bars = new Map<string, cliProgress.SingleBar>();
  let finished = 0;
  let planned = 0;
  const print = (line: string): void => {
    if (multibar !== null) multibar.log(`${line}\n`);
    else terminal.stdout.write(`${line}\n`);
  };
  const stop = (): void => {
    multibar?.stop();
    multibar = null;
  };
  const label = (event: { trial: { group: string; seed: number; id: string } }): string =>
    `${event.trial.group === '' ? event.trial.id : event.trial.group} seed ${event.trial.seed}`;
  return {
    stop,
    onEvent(event) {
      if (mode === 'quiet') return;
      switch (event.type) {
        case 'plan':
          planned = event.toRun;
          print(`${event.inShard} trials${event.inShard < event.total ? ` in this shard (of ${event.total})` : ''}: ${event.done} done, ${event.busy > 0 ? `${event.busy} running elsewhere, ` : ''}${event.toRun} to run`);
          if (mode === 'bar' && event.toRun > 0) {
            multibar = new cliProgress.MultiBar(
              { stream: terminal.stderr, hideCursor: true, barsize: 20, format: '{label} [{bar}] {value}/{total} {info}' },
              cliProgress.Presets.shades_classic,
            );
            overall = multibar.create(planned, 0, { label: 'trials'.padEnd(LABEL) }, { format: '{label} [{bar}] {value}/{total} | ETA {eta_formatted}' });
          }
          break;
        case 'waiting':
          print(`waiting up to ${Math.ceil(event.waitMs / 1000)} s for ${event.held} trial(s) of this slice running in another process (taken over if it lets go)`);
          break;
        case 'trial-start':
          if (multibar !== null) bars.set(event.trial.id, multibar.create(event.start.totalSteps, 0, { label: label(event).slice(-LABEL).padEnd(LABEL), info: '' }));
          break;
        case 'trial-progress':
          bars.get(event.trial.id)?.update(event.progress.step, { info: `loss ${event.progress.loss.toFixed(4)}` });
          break;
        case 'trial-end': {
          finished++;
          const bar = bars.get(event.trial.id);
          if (bar !== undefined) multibar?.remove(bar);
          bars.delete(event.trial.id);
          overall?.update(finished);
          const { outcome } = event;
          const result =
            outcome.status === 'failed'
              ? `failed: ${outcome.error}`
              : outcome.status === 'diverged'
                ? `diverged at step ${outcome.divergedAtStep}`
                : outcome.last === null
                  ? outcome.status
                  : `${outcome.status}: train_loss ${outcome.last.trainLoss.toFixed(4)}${heldOut(outcome.last)}`;
          const resumed =
            outcome.resumedFrom !== null ? ` (resumed from its checkpoint at step ${outcome.resumedFrom})` : outcome.resumeRefused !== null ? ` (started over: ${outcome.resumeRefused})` : '';
          print(`[${finished}/${planned}] ${label(event)} (${event.trial.id}) ${result}${resumed}, ${outcome.seconds.toFixed(1)}s`);
          break;
        }
      }
    },
  };
}

/** The held-out accuracy a trial's line ends with: the test set's, or the validation set's where the test set is not evaluated (tuning trials). */
function heldOut(last: EpochEvent): string {
  if (last.testAccuracy !== null) return `, test_acc ${percent(last.testAccuracy)}`;
  return last.valAccuracy === null ? '' : `, val_acc ${percent(last.valAccuracy)}`;
}
