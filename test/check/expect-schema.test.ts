import { describe, expect, it } from 'vitest';
import { expectSchema } from '../../src/config/expect-schema.js';

/** The issues of an expect: block as "path: message", or [] when it is valid. */
function problems(expectations: unknown): string[] {
  const parsed = expectSchema.safeParse(expectations);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('the expect: block refuses bounds no run could meet', () => {
  it('keeps accuracy bounds and targets in [0, 1]', () => {
    expect(problems({ test_accuracy: { min: 1.5 } })).toEqual([expect.stringMatching(/^test_accuracy\.min: /)]);
    expect(problems({ test_accuracy: { max: -0.1, at: 'best' } })).toEqual([expect.stringMatching(/^test_accuracy\.max: /)]);
    expect(problems({ steps_to: { test_accuracy: 1.01, max: 10 } })).toEqual([expect.stringMatching(/^steps_to\.test_accuracy: /)]);
    expect(problems({ test_accuracy: { min: 0, max: 1 } })).toEqual([]);
  });

  it('keeps loss bounds and targets at or above 0', () => {
    expect(problems({ final_train_loss: { max: -0.1 } })).toEqual([expect.stringMatching(/^final_train_loss\.max: /)]);
    expect(problems({ final_test_loss: { min: -1 } })).toEqual([expect.stringMatching(/^final_test_loss\.min: /)]);
    expect(problems({ steps_to: { train_loss: -0.5, max: 10 } })).toEqual([expect.stringMatching(/^steps_to\.train_loss: /)]);
    expect(problems({ steps_to: { test_loss: 0, max: 10 } })).toEqual([]);
    expect(problems({ final_test_loss: { min: 0, max: 5 } })).toEqual([]);
  });

  it('needs min ≤ max, naming min, for every bounded expectation', () => {
    const inverted = 'min: must be ≤ max (0.1), got 0.5: no result lies between';
    expect(problems({ final_train_loss: { min: 0.5, max: 0.1 } })).toEqual([`final_train_loss.${inverted}`]);
    expect(problems({ final_test_loss: { min: 0.5, max: 0.1, worst: true } })).toEqual([`final_test_loss.${inverted}`]);
    expect(problems({ test_accuracy: { min: 0.5, max: 0.1, at: 'best' } })).toEqual([`test_accuracy.${inverted}`]);
    expect(problems({ final_train_loss: { min: 0.25, max: 0.25 } })).toEqual([]);
  });

  it('still needs min: or max:', () => {
    expect(problems({ final_train_loss: { worst: true } })).toEqual(['final_train_loss: needs min: or max:']);
    expect(problems({ test_accuracy: { at: 'best' } })).toEqual(['test_accuracy: needs min: or max:']);
  });
});
