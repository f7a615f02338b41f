/**
 * Numbers in CSV files are written so that they read back to exactly the same value:
 * float32 quantities (losses, gradient norms, parameters) with the fewest digits that
 * round-trip through float32, everything else with JavaScript's shortest round-trip form.
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
