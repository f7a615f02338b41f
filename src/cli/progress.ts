/**
 * What `train` shows while it runs: on a terminal a cli-progress bar per epoch (step/total,
 * smoothed loss, lr, samples/s, ETA) and a line per finished epoch; without a terminal, or with
 * CI set, only the lines; with --quiet, nothing until the result.
 */
import cliProgress from 'cli-progress';
import type { BlasInfo } from '../kernels/blas.js';
import { BLAS_MIN_PRODUCT, kernelChoice, SHARDS_VARIABLE, teamThreads } from '../kernels/choice.js';
import type { InitRecord } from '../runs/manifest.js';
import type { EpochEvent, GroupReport, ProgressEvent, StartEvent, TrainEvent, TrainWarning } from '../train/events.js';
import { modelSummary } from './model-summary.js';
import { fitLine, paint, screenOf, usableWidth } from './screen.js';

export type ProgressMode = 'bar' | 'lines' | 'quiet';

export interface Terminal {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/**
 * The bar is drawn on stderr, so it needs a terminal there; and it only makes sense when the
 * lines go to the same terminal: with stdout redirected to a log, the log gets plain lines.
 */
export function progressMode(quiet: boolean, terminal: Terminal, env: NodeJS.ProcessEnv): ProgressMode {
  if (quiet) return 'quiet';
  return terminal.stdout.isTTY === true && terminal.stderr.isTTY === true && !env.CI ? 'bar' : 'lines';
}

// One closure over the display's state (the start event, the bar, the epoch's first sample): a
// switch of short cases reads better here than the same state threaded through separate functions.
export function createProgress(mode: ProgressMode, terminal: Terminal): { onEvent(event: TrainEvent): void; stop(): void } {
  const screen = screenOf(terminal.stdout, process.env);
  const errors = screenOf(terminal.stderr, process.env);
  const print = (line: string): void => {
    for (const row of fitLine(line, screen.width)) terminal.stdout.write(`${row}\n`);
  };
  let start: StartEvent | null = null;
  let bar: cliProgress.SingleBar | null = null;
  let barEpoch = 0;
  let epochStarted = { seconds: 0, samples: 0 };
  const shown = evaluationsShown();
  let unshown: EpochEvent | null = null;
  const stop = (): void => {
    bar?.stop();
    bar = null;
  };
  return {
    stop,
    onEvent(event) {
      if (event.type === 'start')
        for (const warning of event.warnings) for (const row of fitLine(`warning: ${warningText(warning)}`, errors.width)) terminal.stderr.write(`${paint(errors, 'yellow', row)}\n`);
      if (mode === 'quiet') return;
      switch (event.type) {
        case 'start':
          start = event;
          print(`run     ${event.runDir}`);
          print(`seed    ${event.seed}`);
          print(`model   ${event.parameterCount.toLocaleString('en-US')} parameters, ${event.kernel} kernels, ${threadsNote()}`);
          if (kernelChoice().note !== null) print(`kernel  ${kernelChoice().note}`);
          if (kernelChoice().blas !== null) print(`blas    ${blasLine(kernelChoice().blas as BlasInfo)}`);
          if (event.objective === undefined) {
            for (const row of modelSummary(event.layers, event.inputShape).split('\n')) print(`        ${row}`);
            print(`data    ${event.trainSize} train / ${event.testSize ?? 'no'} test samples, ${event.stepsPerEpoch} steps per epoch`);
          } else print(`minimize ${event.objective}; ${event.stepsPerEpoch} step${event.stepsPerEpoch > 1 ? 's' : ''} per epoch`);
          event.groups.forEach((g, i) => print(`${i === 0 ? 'groups ' : '       '} ${groupLine(g)}`));
          if (event.init !== null) print(`init    ${initLine(event.init.from, event.init)}`);
          if (event.resumedFrom !== null) print(`resume  from the checkpoint at step ${event.resumedFrom} of ${event.totalSteps}`);
          break;
        case 'progress': {
          if (mode !== 'bar' || start === null) break;
          if (bar === null || barEpoch !== event.epoch) {
            stop();
            barEpoch = event.epoch;
            bar = epochBar(event, start, terminal);
            epochStarted = { seconds: event.seconds, samples: event.samples };
          }
          const elapsed = event.seconds - epochStarted.seconds;
          const rate = elapsed > 0 ? Math.round((event.samples - epochStarted.samples) / elapsed) : 0;
          bar.update(event.epochStep, { loss: event.loss.toFixed(4), lr: event.lr.toPrecision(3), rate: rate.toLocaleString('en-US') });
          break;
        }
        case 'epoch':
          stop();
          if (shown(event.step, start?.totalSteps ?? null)) {
            print(epochLine(event, start));
            unshown = null;
          } else unshown = event;
          break;
        case 'end':
          stop();
          // A run stopped early (early stopping, max_steps, Ctrl-C) still shows where it ended.
          if (unshown !== null) print(epochLine(unshown, start));
          unshown = null;
          break;
      }
    },
  };
}

/** The bar of one epoch, on stderr. */
function epochBar(event: ProgressEvent, start: StartEvent, terminal: Terminal): cliProgress.SingleBar {
  const epochs = start.epochs === null ? '' : `/${start.epochs}`;
  const { format, barsize } = barLayout(`epoch ${event.epoch}${epochs}`, event.stepsPerEpoch, terminal.stderr.columns ?? 80);
  const bar = new cliProgress.SingleBar(
    {
      format,
      stream: terminal.stderr,
      hideCursor: true,
      barsize,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(event.stepsPerEpoch, 0, { loss: '-', lr: '-', rate: '-' });
  return bar;
}

/**
 * The fields after the bar, in display order, each with the most columns it takes and its place
 * in the order they are given up when the terminal is narrow (the learning rate first: the epoch
 * lines and steps.csv have it; samples/s and the ETA last: only the bar shows them).
 */
const BAR_FIELDS = [
  { text: ' | loss {loss}', most: ' | loss 12.3456'.length, givenUp: 2 },
  { text: ' | lr {lr}', most: ' | lr 1.00e-4'.length, givenUp: 1 },
  { text: ' | {rate} samples/s', most: ' | 999,999 samples/s'.length, givenUp: 4 },
  { text: ' | ETA {eta_formatted}', most: ' | ETA 59m59s'.length, givenUp: 3 },
] as const;
const BAR_SIZE = { least: 8, most: 30 } as const;

/**
 * A format for the bar that fits `columns` (cli-progress cuts a longer line at the edge, which
 * took samples/s and the ETA at 80 columns): the bar shrinks first, then fields go.
 */
export function barLayout(title: string, steps: number, columns: number): { format: string; barsize: number } {
  const room = usableWidth(columns);
  const fixed = title.length + ' []'.length + ` ${steps}/${steps}`.length;
  const kept = new Set(BAR_FIELDS);
  const width = (): number => fixed + [...kept].reduce((n, f) => n + f.most, 0);
  for (const field of [...BAR_FIELDS].sort((a, b) => a.givenUp - b.givenUp)) if (width() + BAR_SIZE.least > room) kept.delete(field);
  const barsize = Math.max(BAR_SIZE.least, Math.min(BAR_SIZE.most, room - width()));
  return { format: `${title} [{bar}] {value}/{total}${BAR_FIELDS.filter((f) => kept.has(f)).map((f) => f.text).join('')}`, barsize };
}

/** At most about this many evaluation lines per run: a 100-epoch run is read, not scrolled. */
const EVALUATION_LINES = 20;

/**
 * Whether an evaluation at `step` gets its line: the first at or past each twentieth of the run,
 * and the last; every one when the run's length is unknown.
 */
export function evaluationsShown(): (step: number, totalSteps: number | null) => boolean {
  let next = 0;
  return (step, totalSteps) => {
    if (totalSteps === null || step >= totalSteps) return true;
    if (step < next) return false;
    next = (Math.floor((step * EVALUATION_LINES) / totalSteps) + 1) * (totalSteps / EVALUATION_LINES);
    return true;
  };
}

function epochLine(e: EpochEvent, start: StartEvent | null): string {
  const of = start?.epochs === null || start === null ? '' : `/${start.epochs}`;
  const parts = [`epoch ${e.epoch}${of}`, `step ${e.step}`, `train_loss ${e.trainLoss.toFixed(4)}`];
  if (e.trainAccuracy !== null) parts.push(`train_acc ${percent(e.trainAccuracy)}`);
  if (e.testLoss !== null) parts.push(`test_loss ${e.testLoss.toFixed(4)}`);
  if (e.testAccuracy !== null) parts.push(`test_acc ${percent(e.testAccuracy)}`);
  parts.push(`${e.seconds.toFixed(1)}s`);
  return parts.join('  ');
}

/** "param_groups.1: 0.weight, 0.bias (25,120 parameters) lr=0.0001", or "... frozen". */
function groupLine(g: GroupReport): string {
  const tensors = g.tensors.length === 0 ? 'no tensors' : g.tensors.join(', ');
  const options = g.frozen ? ' frozen' : Object.entries(g.options).map(([key, value]) => ` ${key}=${JSON.stringify(value)}`).join('');
  return `${g.name}: ${tensors} (${g.parameters.toLocaleString('en-US')} parameters)${options}`;
}

/** "w.safetensors: loaded 0.weight, 0.bias; fresh 7.weight, 7.bias; ignored 9.weight" (empty parts left out). */
export function initLine(from: string, init: Pick<InitRecord, 'loaded' | 'fresh' | 'ignored'>): string {
  const parts = (['loaded', 'fresh', 'ignored'] as const).filter((part) => init[part].length > 0).map((part) => `${part} ${init[part].join(', ')}`);
  return `${from}: ${parts.join('; ')}`;
}

function warningText(w: TrainWarning): string {
  return `the schedule drives the learning rate to ${w.share.toExponential(1)} of its start within the first epoch (${w.stepsPerEpoch} steps); its counts are in steps — for counts in epochs, as a PyTorch loop that calls scheduler.step() once per epoch, set scheduler.interval: epoch`;
}

/** "libopenblas.so.0 (OpenBLAS 0.3.21 …), core Haswell, 1 thread, products of ≥ 8192 multiply-adds; smaller ones on wasm-simd". */
export function blasLine(info: BlasInfo): string {
  const build = info.config === null ? '' : ` (${info.config})`;
  const core = info.core === null ? '' : `, core ${info.core}`;
  const threads = info.threads === null ? ', its own threads' : `, ${info.threads} thread${info.threads > 1 ? 's' : ''}`;
  return `${info.library}${build}${core}${threads}, products of ≥ ${BLAS_MIN_PRODUCT} multiply-adds; smaller ones on wasm-simd`;
}

/** How many threads share a large matrix product, and where that number came from; with batch shards, how many run on how many threads. */
function threadsNote(): string {
  const { threads, threadsWhy, shards, shardThreads } = kernelChoice();
  const plural = (n: number, word: string): string => `${n} ${word}${n > 1 ? 's' : ''}`;
  if (shards === 1) return `${plural(threads, 'matmul thread')} (${threadsWhy})`;
  return `${plural(threads, 'thread')} (${threadsWhy}), each batch in ${plural(shards, 'shard')} (${SHARDS_VARIABLE}) on ${plural(shardThreads, 'thread')}, ${plural(teamThreads(kernelChoice()), 'matmul thread')} each`;
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
