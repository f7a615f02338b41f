/**
 * The training loop: for each epoch, a TrainStep per batch; an evaluation after every epoch
 * (or every `eval_every` steps, and at the end). It stops at the configured epochs or max_steps, at the
 * first non-finite loss (diverged), or when the abort signal fires (interrupted; the current
 * step is finished first).
 *
 * The loop is synchronous work, so it yields to the event loop every YIELD_MS: that is when
 * signal handlers run, progress is reported and pending steps.csv rows are handed over.
 */
import type { Dataset, TargetEncoding } from '../data/dataset.js';
import type { LossKind } from '../engine/losses/loss.js';
import type { Model } from '../engine/model.js';
import { Rng } from '../core/rng.js';
import type { Metrics, Schedule } from '../optim/schedules.js';
import type { Optimizer } from '../optim/transform.js';
import { formatFloat32, formatNumber } from '../runs/numbers.js';
import type { StepRow } from '../runs/run-writer.js';
import { Evaluator } from './evaluate.js';
import type { EpochEvent, ProgressEvent } from './events.js';
import type { AccuracyRule } from './metrics.js';
import type { EarlyStopping } from './early-stopping.js';
import { TrainStep } from './step.js';

const YIELD_MS = 50;

export interface LoopSetup {
  readonly model: Model;
  readonly optimizer: Optimizer;
  readonly schedule: Schedule | null;
  readonly lossKind: LossKind;
  readonly dataset: Dataset;
  readonly encoding: TargetEncoding;
  readonly targetWidth: number;
  readonly accuracy: AccuracyRule;
  readonly seed: number;
  readonly batchSize: number;
  readonly evalBatchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly epochs: number | null;
  readonly maxSteps: number | null;
  /** Evaluate every this many steps (and at the end) instead of after every epoch. */
  readonly evalEvery: number | null;
  readonly earlyStopping: EarlyStopping | null;
}

export interface LoopCallbacks {
  readonly signal?: AbortSignal;
  onSteps(rows: StepRow[]): void;
  onProgress(event: ProgressEvent): void;
  onEpoch(event: EpochEvent): void;
}

export interface LoopOutcome {
  readonly status: 'completed' | 'diverged' | 'interrupted';
  readonly steps: number;
  readonly divergedAtStep: number | null;
}

export function batchesPerEpoch(size: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

/** Samples in the larger of the splits evaluated (test and validation), 0 when there is neither. */
export function largestEvaluated(dataset: Dataset): number {
  return Math.max(dataset.test?.size ?? 0, dataset.validation?.size ?? 0);
}

export async function trainLoop(setup: LoopSetup, callbacks: LoopCallbacks): Promise<LoopOutcome> {
  const { model, optimizer, lossKind, dataset, encoding, targetWidth, batchSize } = setup;
  const trainer = new TrainStep(model, optimizer, lossKind, encoding, targetWidth, setup.accuracy);
  const trainSize = dataset.train.size;
  const order = new Uint32Array(trainSize);
  const shuffleRng = new Rng(setup.seed, 'shuffle');
  const evaluator = new Evaluator(model, lossKind, encoding, targetWidth, setup.accuracy, trainer.targets, setup.evalBatchSize, largestEvaluated(dataset));
  const stepsPerEpoch = batchesPerEpoch(trainSize, batchSize, setup.dropLast);
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  let lastYield = started;
  let pending: StepRow[] = [];
  let step = 0;
  let samples = 0;
  let epoch = 0;
  let epochStep = 0;
  // Running sums since the last evaluation: the train_loss and train_accuracy of the next row.
  let lossSum = 0;
  let seen = 0;
  let correct = 0;
  let lastEvaluated = 0;

  const progress = (): ProgressEvent => ({
    type: 'progress', step, epoch, epochStep, stepsPerEpoch, loss: lossSum / seen, lr: optimizer.hyper.lr, samples, seconds: seconds(),
  });
  /** Evaluates; returns true when early stopping says to stop. */
  const evaluate = (): boolean => {
    const validation = dataset.validation === null ? null : evaluator.evaluate(dataset.validation);
    const test = dataset.test === null ? null : evaluator.evaluate(dataset.test);
    const evaluation: EpochEvent = {
      type: 'epoch',
      epoch,
      step,
      trainLoss: lossSum / seen,
      trainAccuracy: setup.accuracy === null ? null : correct / seen,
      valLoss: validation?.loss ?? null,
      valAccuracy: validation?.accuracy ?? null,
      testLoss: test?.loss ?? null,
      testAccuracy: test?.accuracy ?? null,
      seconds: seconds(),
    };
    const metrics = metricsOf(evaluation);
    setup.schedule?.observe(metrics);
    callbacks.onEpoch(evaluation);
    [lossSum, seen, correct, lastEvaluated] = [0, 0, 0, step];
    return setup.earlyStopping?.observe(metrics, evaluation) ?? false;
  };

  for (epoch = 1; setup.epochs === null || epoch <= setup.epochs; epoch++) {
    dataset.beginEpoch(epoch);
    const train = dataset.train;
    for (let i = 0; i < trainSize; i++) order[i] = i;
    if (setup.shuffle) shuffleRng.shuffle(order);
    for (epochStep = 0; epochStep < stepsPerEpoch; ) {
      const start = epochStep * batchSize;
      const count = Math.min(batchSize, trainSize - start);
      setup.schedule?.apply(step, optimizer.hyper);
      const lr = optimizer.hyper.lr;
      const loss = trainer.run(train, order, start, count);
      step++;
      epochStep++;
      pending.push(stepRow(step, epoch, loss, lr, trainer.gradNorm, seconds()));
      if (!Number.isFinite(loss)) {
        callbacks.onSteps(pending);
        return { status: 'diverged', steps: step, divergedAtStep: step };
      }
      correct += trainer.correct;
      lossSum += loss * count;
      seen += count;
      samples += count;
      if (setup.evalEvery !== null && step % setup.evalEvery === 0 && evaluate()) {
        callbacks.onSteps(pending);
        return { status: 'completed', steps: step, divergedAtStep: null };
      }
      if (step === setup.maxSteps || callbacks.signal?.aborted) break;
      const now = performance.now();
      if (now - lastYield >= YIELD_MS) {
        callbacks.onSteps(pending);
        pending = [];
        callbacks.onProgress(progress());
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
    }
    callbacks.onSteps(pending);
    pending = [];
    if (callbacks.signal?.aborted) return { status: 'interrupted', steps: step, divergedAtStep: null };
    callbacks.onProgress(progress());
    const last = step === setup.maxSteps || epoch === setup.epochs;
    if ((setup.evalEvery === null || last) && lastEvaluated !== step && evaluate()) break;
    if (step === setup.maxSteps) break;
  }
  return { status: 'completed', steps: step, divergedAtStep: null };
}

/** An evaluation by metric name, as schedules and early stopping read it. */
export function metricsOf(e: EpochEvent): Metrics {
  return {
    train_loss: e.trainLoss,
    train_accuracy: e.trainAccuracy,
    val_loss: e.valLoss,
    val_accuracy: e.valAccuracy,
    test_loss: e.testLoss,
    test_accuracy: e.testAccuracy,
  };
}

function stepRow(step: number, epoch: number, loss: number, lr: number, gradNorm: number, seconds: number): StepRow {
  return {
    step: String(step),
    epoch: String(epoch),
    loss: formatFloat32(loss),
    lr: formatNumber(lr),
    grad_norm: formatFloat32(gradNorm),
    seconds: seconds.toFixed(6),
  };
}
