/**
 * Ctrl-C and kill: the first SIGINT or SIGTERM asks the work to stop after the current step
 * (it writes everything and exits 130); a second one exits at once.
 */
import { EXIT } from './exit-codes.js';

/** What a command finishes, and writes, before it exits: its run's step, its seeds' or its trials'. */
export type Finishing = 'the current step' | 'the current steps' | "the running trials' current steps";

/** What every command says on the first signal, in one wording, so that a second is known to quit at once. */
export function announceStop(stderr: NodeJS.WritableStream, finishing: Finishing): (signal: NodeJS.Signals) => void {
  return (signal) => {
    stderr.write(`\n${signal}: finishing ${finishing} and writing results (again to quit at once)\n`);
  };
}

export function abortOnSignals(onFirst: (signal: NodeJS.Signals) => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    onFirst(signal);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
