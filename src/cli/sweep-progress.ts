/**
 * What `sweep` and `compare` show while trials run: on a terminal one cli-progress bar per
 * running trial under an overall bar; otherwise (or with CI set) one line per finished trial.
 */
import cliProgress from 'cli-progress';
import type { SweepEvent } from '../lab/trial-pool.js';
import type { EpochEvent } from '../train/events.js';
import { percent, type ProgressMode, type Terminal } from './progress.js';
import { fitLine, screenOf, shorten, usableWidth } from './screen.js';

/** A running trial's bar: `<label> [<bar>] <step>/<steps> loss <loss>`; the label gets what is left. */
const TRIAL_BAR = { barsize: 20, counter: ' 99999/99999'.length, info: ' loss 12.3456'.length, label: { least: 16, most: 48 } } as const;

const ERASE_LINE = '\u001b[2K';

/** "optimizer.betas.0=0.9 optimizer.lr=0.001 seed 0" → "betas.0=0.9 lr=0.001 seed 0": a grid point's values by their keys' last names. */
export function lastKeyNames(label: string): string {
  return label.replace(/(?:[\w-]+\.)+([A-Za-z_][\w-]*(?:\.\d+)*)=/g, '$1=');
}

// One closure over the display's state (the bars, the lines waiting for a redraw), as createProgress.
export function createSweepProgress(mode: ProgressMode, terminal: Terminal): { onEvent(event: SweepEvent): void; stop(): void } {
  let multibar: cliProgress.MultiBar | null = null;
  let overall: cliProgress.SingleBar | null = null;
  const bars = new Map<string, cliProgress.SingleBar>();
  let finished = 0;
  let planned = 0;
  // Lines logged above the bars go through stderr's terminal; without bars, stdout's.
  const screen = screenOf(mode === 'bar' ? terminal.stderr : terminal.stdout, process.env);
  const labelWidth = Math.max(
    TRIAL_BAR.label.least,
    Math.min(TRIAL_BAR.label.most, usableWidth(terminal.stderr.columns ?? 80) - ' []'.length - TRIAL_BAR.barsize - TRIAL_BAR.counter - TRIAL_BAR.info),
  );
  const print = (line: string): void => {
    for (const row of fitLine(line, screen.width)) {
      // The bars' rows are still on the screen where a logged row lands: erase each row first.
      if (multibar !== null) multibar.log(`${ERASE_LINE}${row}\n`);
      else terminal.stdout.write(`${row}\n`);
    }
  };
  const stop = (): void => {
    // The bars write logged lines only when they redraw: one last redraw, or the last trial's line is lost.
    multibar?.update();
    multibar?.stop();
    multibar = null;
  };
  const label = (event: { trial: { group: string; seed: number; id: string } }): string =>
    `${event.trial.group === '' ? event.trial.id : event.trial.group} seed ${event.trial.seed}`;
  /** The label in its column: keys by their last name, then shortened in the middle, so that both its first value and its seed show. */
  const barLabel = (event: { trial: { group: string; seed: number; id: string } }): string => {
    const full = label(event);
    return shorten(full.length <= labelWidth ? full : lastKeyNames(full), labelWidth).padEnd(labelWidth);
  };
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
              { stream: terminal.stderr, hideCursor: true, barsize: TRIAL_BAR.barsize, format: '{label} [{bar}] {value}/{total} {info}' },
              cliProgress.Presets.shades_classic,
            );
            overall = multibar.create(planned, 0, { label: 'trials'.padEnd(labelWidth) }, { format: '{label} [{bar}] {value}/{total} | ETA {eta_formatted}' });
          }
          break;
        case 'waiting':
          print(`waiting up to ${Math.ceil(event.waitMs / 1000)} s for ${event.held} trial(s) of this slice running in another process (taken over if it lets go)`);
          break;
        case 'trial-start':
          if (multibar !== null) bars.set(event.trial.id, multibar.create(event.start.totalSteps, 0, { label: barLabel(event), info: '' }));
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
