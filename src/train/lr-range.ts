/**
 * The learning-rate range test (Smith 2017, "Cyclical learning rates for training neural
 * networks", §3.3; fastai's `Learner.lr_find`): train from the config's initialization while the
 * rate grows exponentially, step i (0-based) at
 *
 *   lr_i = start · (end / start)^(i / iterations)                  (fastai's SchedExp, pos = i/num_it)
 *
 * recording the batch loss and its debiased exponential moving average (fastai's AvgSmoothLoss):
 *
 *   avg_i = β·avg_{i−1} + (1 − β)·loss_i,   smoothed_i = avg_i / (1 − β^(i+1))
 *
 * and stopping after `iterations` steps or once smoothed_i > divergence × min_{j≤i} smoothed_j
 * (fastai: 4×), or at a non-finite loss. Every parameter group follows the ramp, scaled by its
 * own rate's ratio to the default group's (as a torch scheduler scales each group); the config's
 * scheduler is not used. The batches are the training loop's: shuffled per epoch by the seed.
 */
import { batching } from '../config/validate.js';
import { Rng } from '../core/rng.js';
import type { Training } from './build.js';
import { TrainStep } from './step.js';

export interface RangeOptions {
  readonly startLr: number;
  readonly endLr: number;
  readonly iterations: number;
  /** Stop once the smoothed loss exceeds this multiple of its minimum. */
  readonly divergence: number;
  /** The smoothing's β (fastai: 0.98). */
  readonly beta: number;
}

export interface RangePoint {
  readonly lr: number;
  readonly loss: number;
  readonly smoothed: number;
}

export interface RangeResult {
  readonly points: readonly RangePoint[];
  /** Why the ramp ended: all iterations run, the smoothed loss diverged, or a loss was not finite. */
  readonly stop: 'iterations' | 'diverged' | 'non-finite';
}

/** The rate of step i (0-based) of the ramp. */
export function rampLr(i: number, options: Pick<RangeOptions, 'startLr' | 'endLr' | 'iterations'>): number {
  return options.startLr * (options.endLr / options.startLr) ** (i / options.iterations);
}

/** fastai's AvgSmoothLoss and LRFinder's stop rule, fed one batch loss at a time. */
export class SmoothedLoss {
  private average = 0;
  private count = 0;
  /** The lowest smoothed loss so far. */
  best = Infinity;

  constructor(private readonly options: Pick<RangeOptions, 'beta' | 'divergence'>) {}

  /** The debiased average after `loss`. */
  add(loss: number): number {
    const { beta } = this.options;
    this.average = beta * this.average + (1 - beta) * loss;
    this.count++;
    const smoothed = this.average / (1 - beta ** this.count);
    this.best = Math.min(this.best, smoothed);
    return smoothed;
  }

  diverged(smoothed: number): boolean {
    return smoothed > this.options.divergence * this.best;
  }
}

export function rangeTest(training: Training, options: RangeOptions): RangeResult {
  const { model, optimizer, lossKind, targets, accuracy, dataset, config, stepsPerEpoch } = training;
  const trainer = new TrainStep(model, optimizer, lossKind, targets.encoding, targets.width, accuracy);
  const ratios = optimizer.hypers.map((h) => h.lr / optimizer.hyper.lr);
  const order = new Uint32Array(dataset.train.size);
  const shuffle = new Rng(config.seed, 'shuffle');
  const { batch_size: batchSize, shuffle: shuffled } = batching(config);
  const points: RangePoint[] = [];
  const smoothing = new SmoothedLoss(options);
  for (let i = 0, epoch = 1; ; epoch++) {
    dataset.beginEpoch(epoch);
    for (let j = 0; j < order.length; j++) order[j] = j;
    if (shuffled) shuffle.shuffle(order);
    for (let batch = 0; batch < stepsPerEpoch; batch++, i++) {
      if (i >= options.iterations) return { points, stop: 'iterations' };
      const lr = rampLr(i, options);
      optimizer.hypers.forEach((h, g) => (h.lr = lr * ratios[g]));
      const start = batch * batchSize;
      const loss = trainer.run(dataset.train, order, start, Math.min(batchSize, dataset.train.size - start));
      if (!Number.isFinite(loss)) return { points, stop: 'non-finite' };
      const smoothed = smoothing.add(loss);
      points.push({ lr, loss, smoothed });
      if (smoothing.diverged(smoothed)) return { points, stop: 'diverged' };
    }
  }
}
