/** Text in the hand-drawn SVG figures: escaped, and numbers as short labels. */

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A tick label: up to 3 significant digits, no trailing zeros. */
export function numberLabel(x: number): string {
  return Math.abs(x) < 1e-12 ? '0' : String(Number(x.toPrecision(3)));
}
