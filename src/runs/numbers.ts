/**
 * Numbers in CSV files are written so that they read back to exactly the same value:
 * float32 quantities (losses, gradient norms, parameters) with the fewest digits that
 * round-trip through float32, elapsed seconds to the microsecond, everything else with
 * JavaScript's shortest round-trip form. None carries a digit its value does not need.
 */

export function formatFloat32(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const f = Math.fround(x);
  for (let digits = 1; digits <= 9; digits++) {
    const text = f.toPrecision(digits);
    if (Math.fround(Number(text)) === f) return String(Number(text));
  }
  return String(f); // unreachable: 9 significant digits always round-trip a float32
}

export function formatNumber(x: number | null): string {
  return x === null ? '' : String(x);
}

/** Elapsed seconds to the microsecond, without trailing zeros: 3.14168, not 3.141680. */
export function formatSeconds(x: number): string {
  return String(Number(x.toFixed(6)));
}
