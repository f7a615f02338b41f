/**
 * Numbers as people read them in the report's plots and HTML tables. Not for files: CSV columns are
 * written by runs/numbers.ts so that they read back to the same float; these are rounded.
 */

/**
 * `digits` significant digits (trailing zeros dropped), plain notation from 1e-3 to 1e5; the plots
 * and the HTML tables share it so that both show the same number.
 */
export function displayNumber(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const magnitude = Math.abs(x);
  if (magnitude === 0 || (magnitude >= 1e-3 && magnitude < 1e5)) return String(Number(x.toPrecision(digits)));
  const [mantissa, exponent] = x.toExponential(digits - 1).split('e');
  return `${String(Number(mantissa))}e${exponent}`;
}
