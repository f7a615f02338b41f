import { describe, expect, it } from 'vitest';
import { earlyStoppingSchema } from '../../src/config/early-stopping-schema.js';
import { EarlyStopping } from '../../src/train/early-stopping.js';
import type { EpochEvent } from '../../src/train/events.js';
import { metricsOf } from '../../src/train/loop.js';

function evaluation(epoch: number, valLoss: number, valAccuracy = 0.5): EpochEvent {
  return { type: 'epoch', epoch, step: 10 * epoch, trainLoss: 1, trainAccuracy: null, valLoss, valAccuracy, testLoss: null, testAccuracy: null, seconds: epoch };
}

/** Feeds a curve; returns the epoch at which training stops (null if it never does). */
function stopEpoch(config: unknown, curve: number[], metric: 'loss' | 'accuracy' = 'loss'): { stop: number | null; stopper: EarlyStopping } {
  const stopper = new EarlyStopping(earlyStoppingSchema.parse(config));
  for (const [i, value] of curve.entries()) {
    const e = metric === 'loss' ? evaluation(i + 1, value) : evaluation(i + 1, 1, value);
    if (stopper.observe(metricsOf(e), e)) return { stop: i + 1, stopper };
  }
  return { stop: null, stopper };
}

describe('early stopping (Keras semantics)', () => {
  it('stops after patience evaluations without improvement, and records the best', () => {
    const { stop, stopper } = stopEpoch({ metric: 'val_loss', patience: 3 }, [1.0, 0.8, 0.7, 0.72, 0.71, 0.75, 0.6]);
    expect(stop).toBe(6);
    expect(stopper.record()).toEqual({ metric: 'val_loss', stopped_at_step: 60, best_value: 0.7, best_epoch: 3, best_step: 30 });
  });

  it('resets the count on an improvement', () => {
    expect(stopEpoch({ patience: 2 }, [1.0, 1.1, 0.9, 1.0, 0.95]).stop).toBe(5);
    expect(stopEpoch({ patience: 2 }, [1.0, 1.1, 0.9, 1.0, 0.85, 0.84]).stop).toBeNull();
  });

  it('needs more than min_delta to count as an improvement', () => {
    expect(stopEpoch({ patience: 2, min_delta: 0.05 }, [1.0, 0.97, 0.96, 0.5]).stop).toBe(3);
    expect(stopEpoch({ patience: 2, min_delta: 0.01 }, [1.0, 0.97, 0.96, 0.5]).stop).toBeNull();
  });

  it('treats accuracies as higher-is-better', () => {
    expect(stopEpoch({ metric: 'val_accuracy', patience: 1 }, [0.5, 0.6, 0.55], 'accuracy').stop).toBe(3);
  });
});
