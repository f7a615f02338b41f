/**
 * Each command parses its flags (as commander collected them) with a zod schema before doing
 * anything; a flag that does not parse is a UsageError (exit 2) whose message names the flag
 * and its text. The pieces several commands share are here, worded once.
 */
import { z } from 'zod';
import { UsageError } from '../core/errors.js';

export function parseFlags<T extends z.ZodType>(schema: T, flags: unknown): z.output<T> {
  const parsed = schema.safeParse(flags);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0].message);
  return parsed.data;
}

/** A flag's text turned into a number, or the message that says why it cannot be. */
export function numberFlag(flag: string, valid: (value: number) => boolean, expected: string) {
  return z.string().transform((text, context) => {
    const value = Number(text);
    if (valid(value)) return value;
    context.addIssue({ code: 'custom', message: `--${flag} ${text}: expected ${expected}` });
    return z.NEVER;
  });
}

/** --jobs: trials (or seeds) at once. */
export const jobsFlag = numberFlag('jobs', (n) => Number.isInteger(n) && n >= 1, 'a positive integer');

/** --wait-held: seconds to wait for trials another process holds. */
export const heldWaitFlag = numberFlag('wait-held', (s) => Number.isFinite(s) && s >= 0, 'a number of seconds ≥ 0');

/** A tolerance such as --rtol or --atol. */
export const toleranceFlag = (flag: string) => numberFlag(flag, (x) => x >= 0, 'a number ≥ 0');

/** --set and -q: declared by most commands (options.ts), typed here. */
export const setFlag = z.array(z.string());
export const quietFlag = z.boolean();
/** --optimizer-plugin (options.ts). */
export const pluginFlag = z.array(z.string());
