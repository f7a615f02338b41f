/** Exit codes (DESIGN.md): the contract scripts and CI jobs rely on. */
export const EXIT = {
  ok: 0,
  /** A check or expectation failed, or a run diverged (also: an unexpected internal error). */
  failed: 1,
  /** Bad input: config, data or arguments. */
  badInput: 2,
  /** Interrupted by SIGINT/SIGTERM (128 + SIGINT). */
  interrupted: 130,
} as const;
