/** A tick label in the hand-drawn SVG figures: up to 3 significant digits, no trailing zeros. */
export function numberLabel(x: number): string {
  return Math.abs(x) < 1e-12 ? '0' : String(Number(x.toPrecision(3)));
}
