/** train.early_stopping: Keras' EarlyStopping options (train/early-stopping.ts applies them). */
import { z } from 'zod';

export const earlyStoppingSchema = z.strictObject({
  metric: z.enum(['val_loss', 'val_accuracy', 'test_loss', 'test_accuracy', 'train_loss', 'train_accuracy']).default('val_loss').describe('the evaluation value watched'),
  patience: z.int().min(1).default(3).describe('evaluations without improvement before stopping'),
  min_delta: z.number().min(0).default(0).describe('smallest change that counts as an improvement'),
});
export type EarlyStoppingConfig = z.output<typeof earlyStoppingSchema>;
