/** Option schemas shared by several optimizers, with torch's own validity rules. */
import { z } from 'zod';

export const learningRate = (defaultValue: number) => z.number().gt(0).finite().default(defaultValue);
export const weightDecay = (defaultValue = 0) => z.number().min(0).finite().default(defaultValue);
export const epsilon = (defaultValue: number) => z.number().min(0).finite().default(defaultValue);
/** A decay rate in [0, 1): torch rejects 1 and above ("Invalid beta parameter"). */
export const decayRate = () => z.number().min(0).lt(1);
export const maximize = () => z.boolean().default(false);
