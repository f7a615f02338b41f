/**
 * Which of the engine's WebAssembly twins did the work. Each twin (a `*Wasm` export of
 * kernels/optimizer-kernels.ts, layer-kernels.ts or data-kernels.ts) returns false when it leaves the
 * work to the TypeScript loop beside it (a buffer outside the engine's memory, an extent it
 * cannot reach); a test comparing
 * a twin with that loop would then compare the loop with itself and pass. Tests that compare
 * them record the calls with
 *
 *   vi.mock('../../src/kernels/layer-kernels.js', async (original) => (await import('../twin-calls.js')).recordingTwins(original));
 *
 * and check twinsThatRan.
 */
export const twinsThatRan = new Set<string>();

export async function recordingTwins(importOriginal: () => Promise<unknown>): Promise<Record<string, unknown>> {
  const module = (await importOriginal()) as Record<string, unknown>;
  const recorded = (name: string, twin: (...args: unknown[]) => boolean) => (...args: unknown[]): boolean => {
    const done = twin(...args);
    if (done) twinsThatRan.add(name);
    return done;
  };
  return Object.fromEntries(
    Object.entries(module).map(([name, value]) => [name, typeof value === 'function' && /Wasm$/.test(name) ? recorded(name, value as (...args: unknown[]) => boolean) : value]),
  );
}

/** The twins that `action` ran, in name order. */
export function twinsRunBy(action: () => void): string[] {
  twinsThatRan.clear();
  action();
  return [...twinsThatRan].sort();
}
