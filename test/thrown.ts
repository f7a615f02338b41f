/**
 * The error of class `kind` that `action` throws. Any other error is thrown on, and an action
 * that throws nothing fails the test.
 */
export function thrown<E extends Error>(kind: abstract new (...args: never[]) => E, action: () => unknown): E {
  try {
    action();
  } catch (error) {
    if (error instanceof kind) return error;
    throw error;
  }
  throw new Error(`expected a ${kind.name}, but nothing was thrown`);
}
