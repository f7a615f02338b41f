/**
 * Early stopping as Keras' EarlyStopping does it: after every evaluation the watched metric
 * either improves on the best so far by more than min_delta (lower for losses, higher for
 * accuracies) or counts one more evaluation without improvement; after `patience` of those in a
 * row, training stops. The manifest records where it stopped and where the best value was.
 */
import type { EarlyStoppingConfig } from '../config/early-stopping-schema.js';
import type { EarlyStopRecord } from '../runs/manifest.js';
import type { Metrics } from '../optim/schedules.js';
import type { EpochEvent } from './events.js';

export interface EarlyStoppingSnapshot {
  readonly best: number | null;
  readonly best_epoch: number | null;
  readonly best_step: number | null;
  readonly waited: number;
}

export class EarlyStopping {
  private best: number;
  private bestAt: Pick<EpochEvent, 'epoch' | 'step'> | null = null;
  private waited = 0;
  private stoppedAt: number | null = null;
  private readonly higherIsBetter: boolean;

  constructor(private readonly config: EarlyStoppingConfig) {
    this.higherIsBetter = config.metric.endsWith('accuracy');
    this.best = this.higherIsBetter ? -Infinity : Infinity;
  }

  /** Called after every evaluation; true means stop now. */
  observe(metrics: Metrics, evaluation: EpochEvent): boolean {
    const value = metrics[this.config.metric];
    if (value === null || value === undefined) throw new RangeError(`early stopping watches ${this.config.metric}, which this run does not measure`);
    const improved = this.higherIsBetter ? value - this.config.min_delta > this.best : value + this.config.min_delta < this.best;
    if (improved) {
      this.best = value;
      this.bestAt = evaluation;
      this.waited = 0;
      return false;
    }
    this.waited++;
    if (this.waited < this.config.patience) return false;
    this.stoppedAt = evaluation.step;
    return true;
  }

  /** What a checkpoint keeps (the best value only once there is one: a JSON file has no infinities). */
  snapshot(): EarlyStoppingSnapshot {
    return { best: this.bestAt === null ? null : this.best, best_epoch: this.bestAt?.epoch ?? null, best_step: this.bestAt?.step ?? null, waited: this.waited };
  }

  restore(s: EarlyStoppingSnapshot): void {
    if (s.best !== null && s.best_epoch !== null && s.best_step !== null) {
      this.best = s.best;
      this.bestAt = { epoch: s.best_epoch, step: s.best_step };
    }
    this.waited = s.waited;
  }

  record(): EarlyStopRecord {
    return {
      metric: this.config.metric,
      stopped_at_step: this.stoppedAt,
      best_value: this.bestAt === null ? null : this.best,
      best_epoch: this.bestAt?.epoch ?? null,
      best_step: this.bestAt?.step ?? null,
    };
  }
}
