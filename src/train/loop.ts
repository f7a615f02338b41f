/**
 * The training loop: for each epoch, a TrainStep per batch; an evaluation after every epoch
 * (or every `eval_every` steps, and at the end). It stops at the configured epochs or max_steps, at the
 * first non-finite loss (diverged), when early stopping says so, or when the abort signal fires
 * (interrupted; the current step is finished first).
 *
 * The loop is synchronous work, so it yields to the event loop every YIELD_MS: that is when
 * signal handlers run, progress is reported and pending steps.csv rows are handed over.
 */
import { batching } from '../config/validate.js';
import { Rng } from '../core/rng.js';
import type { Metrics } from '../optim/schedules.js';
import { formatFloat32, formatNumber, formatSeconds } from '../runs/numbers.js';
import type { InternalsRow, StepRow } from '../runs/run-writer.js';
import { largestEvaluated, type Training } from './build.js';
import type { LoopPosition } from './checkpoint.js';
import { Evaluator } from './evaluate.js';
import { evaluationPoint, type AtEvaluationPoint } from './evaluation-point.js';
import type { EpochEvent, ProgressEvent } from './events.js';
import { InternalsRecorder } from './internals.js';
import { TrainStep } from './step.js';
import { TrainTally } from './tally.js';
import { TrajectoryRecorder, type TrajectoryRow } from './trajectory.js';

const YIELD_MS = 50;

export interface LoopCallbacks {
  readonly signal?: AbortSignal;
  onSteps(rows: StepRow[]): void;
  /** internals.csv rows, handed over with the steps.csv rows (train.internals). */
  onInternals?(rows: InternalsRow[]): void;
  /** trajectory.csv rows of an objective run, handed over with the steps.csv rows. */
  onTrajectory?(rows: TrajectoryRow[]): void;
  onProgress(event: ProgressEvent): void;
  onEpoch(event: EpochEvent): void;
  /** Asked after every step whether a checkpoint is due, and told to write one then and when the run is interrupted. */
  readonly checkpointer?: Checkpointer;
}

export interface Checkpointer {
  due(step: number): boolean;
  save(position: LoopPosition): void;
}

export interface LoopOutcome {
  readonly status: 'completed' | 'diverged' | 'interrupted';
  readonly steps: number;
  readonly divergedAtStep: number | null;
}

/** Why an epoch ended the run: null when the next epoch follows. */
type Stop = LoopOutcome['status'] | null;

/** Trains from the start, or from where a checkpoint left the loop (`from`, restored into `training` already). */
export async function trainLoop(training: Training, callbacks: LoopCallbacks, from?: LoopPosition): Promise<LoopOutcome> {
  const loop = new Loop(training, callbacks);
  if (from !== undefined) loop.resume(from);
  else loop.trajectory?.record(0);
  const epochs = training.config.train.epochs ?? null;
  let stop: Stop = null;
  for (loop.epoch = from?.epoch ?? 1; stop === null && (epochs === null || loop.epoch <= epochs); loop.epoch++) stop = await loop.runEpoch();
  const status = stop ?? 'completed';
  return { status, steps: loop.step, divergedAtStep: status === 'diverged' ? loop.step : null };
}

/** The loop's position and what it carries between steps. */
class Loop {
  step = 0;
  epoch = 0;
  private epochStep = 0;
  private samples = 0;
  private lastEvaluated = 0;
  private pending: StepRow[] = [];
  private readonly tally = new TrainTally();
  private readonly trainer: TrainStep;
  private readonly evaluator: Evaluator;
  private readonly atEvaluationPoint: AtEvaluationPoint;
  private readonly internals: InternalsRecorder | null;
  /** The path of an objective run's coordinates; null for a network. */
  readonly trajectory: TrajectoryRecorder | null;
  private readonly order: Uint32Array;
  private readonly shuffleRng: Rng;
  /** The shuffle stream before this epoch's shuffle, which a checkpoint keeps in place of the order. */
  private shuffleAtEpochStart: number[] = [];
  /** Set by resume(): the next runEpoch continues the epoch the checkpoint was taken in. */
  private midEpoch = false;
  private lastCheckpoint = -1;
  private started = performance.now();
  private lastYield = this.started;

  constructor(
    private readonly t: Training,
    private readonly callbacks: LoopCallbacks,
  ) {
    const { model, optimizer, lossKind, targets, accuracy, dataset, config } = t;
    this.trainer = new TrainStep(model, optimizer, lossKind, targets.encoding, targets.width, accuracy);
    this.atEvaluationPoint = evaluationPoint(t);
    this.evaluator = new Evaluator(model, lossKind, targets.encoding, targets.width, accuracy, this.trainer.targets, batching(config).eval_batch_size, largestEvaluated(dataset), dataset.classBuckets ?? null);
    this.order = new Uint32Array(dataset.train.size);
    this.shuffleRng = new Rng(config.seed, 'shuffle');
    const every = config.train.internals?.every;
    this.internals = every === undefined ? null : new InternalsRecorder(every, config.optimizer, optimizer, model);
    this.trainer.observer = this.internals;
    this.trajectory = t.objective === null ? null : new TrajectoryRecorder(t.objective, model.parameters[0].value);
  }

  /** One pass over the training data, ending with an evaluation unless eval_every places them. */
  async runEpoch(): Promise<Stop> {
    const { config, stepsPerEpoch } = this.t;
    const maxSteps = config.train.max_steps ?? null;
    const evalEvery = config.train.eval_every ?? null;
    if (!this.midEpoch) this.beginEpoch();
    this.midEpoch = false;
    // A run resumed from a checkpoint taken at max_steps has no step left, only its last evaluation.
    while (this.epochStep < stepsPerEpoch && this.step !== maxSteps) {
      if (!this.trainStep()) return this.flush('diverged');
      if (evalEvery !== null && this.step % evalEvery === 0 && this.evaluate()) return this.flush('completed');
      if (this.callbacks.checkpointer?.due(this.step)) this.checkpoint();
      if (this.step === maxSteps || this.callbacks.signal?.aborted) break;
      if (performance.now() - this.lastYield >= YIELD_MS) await this.yieldToEventLoop();
    }
    this.flush(null);
    if (this.callbacks.signal?.aborted) {
      if (this.callbacks.checkpointer !== undefined && this.lastCheckpoint !== this.step) this.checkpoint();
      return 'interrupted';
    }
    this.callbacks.onProgress(this.progress());
    const last = this.step === maxSteps || this.epoch === config.train.epochs;
    if ((evalEvery === null || last) && this.lastEvaluated !== this.step && this.evaluate()) return 'completed';
    return this.step === maxSteps ? 'completed' : null;
  }

  private beginEpoch(): void {
    const { dataset, config } = this.t;
    dataset.beginEpoch(this.epoch);
    this.shuffleAtEpochStart = this.shuffleRng.state();
    for (let i = 0; i < this.order.length; i++) this.order[i] = i;
    if (batching(config).shuffle) this.shuffleRng.shuffle(this.order);
    this.epochStep = 0;
  }

  /**
   * Puts the loop where a checkpoint left it. The data are replayed epoch by epoch (synthetic
   * data with `resample` draws each epoch's points from the last), and the epoch's order is
   * shuffled again from the stream as it was before that shuffle.
   */
  resume(p: LoopPosition): void {
    for (let epoch = 1; epoch < p.epoch; epoch++) this.t.dataset.beginEpoch(epoch);
    this.epoch = p.epoch;
    this.shuffleRng.restore(p.shuffle_at_epoch_start);
    this.beginEpoch();
    this.midEpoch = true;
    this.step = p.step;
    this.epochStep = p.epoch_step;
    this.samples = p.samples;
    this.lastEvaluated = p.last_evaluated;
    this.tally.restore(p.tally);
    this.lastCheckpoint = p.step;
    if (this.trajectory !== null) this.trajectory.regretSum = p.regret_sum ?? 0;
    this.started = performance.now() - p.seconds * 1000;
  }

  /** Hands the rows so far over (steps.csv then holds every step the checkpoint counts) and writes the checkpoint. */
  private checkpoint(): void {
    this.flush(null);
    this.lastCheckpoint = this.step;
    const { step, epoch, epochStep, samples, lastEvaluated } = this;
    this.callbacks.checkpointer!.save({
      step,
      epoch,
      epoch_step: epochStep,
      samples,
      last_evaluated: lastEvaluated,
      tally: this.tally.snapshot(),
      shuffle_at_epoch_start: this.shuffleAtEpochStart,
      seconds: this.seconds(),
      ...(this.trajectory === null ? {} : { regret_sum: this.trajectory.regretSum }),
    });
  }

  /** One optimizer step on the next batch; false when its loss is not finite. */
  private trainStep(): boolean {
    const { optimizer, schedule, dataset, config } = this.t;
    const batchSize = batching(config).batch_size;
    const start = this.epochStep * batchSize;
    const count = Math.min(batchSize, dataset.train.size - start);
    schedule?.apply(schedule.interval === 'epoch' ? this.epoch - 1 : this.step, optimizer.hypers);
    const lr = optimizer.hyper.lr;
    const loss = this.trainer.run(dataset.train, this.order, start, count);
    this.step++;
    this.epochStep++;
    this.pending.push(stepRow(this.step, this.epoch, loss, lr, this.trainer.gradNorm, this.seconds()));
    if (!Number.isFinite(loss)) return false;
    this.trajectory?.record(this.step);
    this.tally.add(loss, count, this.trainer.correct);
    this.samples += count;
    return true;
  }

  /** Evaluates on the held-out splits (the test split unless train.evaluate_test is false); true when early stopping says to stop. */
  private evaluate(): boolean {
    const { dataset, schedule, earlyStopping, accuracy, config } = this.t;
    const { validation, test } = this.atEvaluationPoint(() => ({
      validation: dataset.validation === null ? null : this.evaluator.evaluate(dataset.validation),
      test: dataset.test === null || config.train.evaluate_test === false ? null : this.evaluator.evaluate(dataset.test),
    }));
    const evaluation: EpochEvent = {
      type: 'epoch',
      epoch: this.epoch,
      step: this.step,
      trainLoss: this.tally.loss,
      trainAccuracy: accuracy === null ? null : this.tally.accuracy,
      valLoss: validation?.loss ?? null,
      valAccuracy: validation?.accuracy ?? null,
      testLoss: test?.loss ?? null,
      testAccuracy: test?.accuracy ?? null,
      ...(test?.buckets === undefined ? {} : { testBuckets: test.buckets }),
      seconds: this.seconds(),
    };
    const metrics = metricsOf(evaluation);
    schedule?.observe(metrics);
    this.callbacks.onEpoch(evaluation);
    this.tally.reset();
    this.lastEvaluated = this.step;
    return earlyStopping?.observe(metrics, evaluation) ?? false;
  }

  /** Hands the pending steps.csv (and internals.csv) rows over; returns `stop` so an exit reads as one line. */
  private flush(stop: Stop): Stop {
    this.callbacks.onSteps(this.pending);
    if (this.internals !== null) this.callbacks.onInternals?.(this.internals.take());
    if (this.trajectory !== null) this.callbacks.onTrajectory?.(this.trajectory.take());
    this.pending = [];
    return stop;
  }

  private async yieldToEventLoop(): Promise<void> {
    this.flush(null);
    this.callbacks.onProgress(this.progress());
    await new Promise((resolve) => setImmediate(resolve));
    this.lastYield = performance.now();
  }

  private progress(): ProgressEvent {
    const { step, epoch, epochStep, samples } = this;
    return { type: 'progress', step, epoch, epochStep, stepsPerEpoch: this.t.stepsPerEpoch, loss: this.tally.loss, lr: this.t.optimizer.hyper.lr, samples, seconds: this.seconds() };
  }

  private seconds(): number {
    return (performance.now() - this.started) / 1000;
  }
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
    seconds: formatSeconds(seconds),
  };
}
