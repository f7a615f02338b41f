/** A loss curve in one line of text (▁▂▃▄▅▆▇█), for the terminal next to its baseline. */
const BARS = '▁▂▃▄▅▆▇█';

/** `values` resampled to `width` columns, scaled between `low` and `high` (shared by the curves compared). */
export function sparkline(values: readonly number[], width: number, low: number, high: number): string {
  if (values.length === 0) return '';
  let line = '';
  for (let c = 0; c < width; c++) {
    const value = values[Math.min(values.length - 1, Math.floor((c * values.length) / width))];
    if (!Number.isFinite(value)) {
      line += '×';
      continue;
    }
    const level = high > low ? (value - low) / (high - low) : 0;
    line += BARS[Math.max(0, Math.min(BARS.length - 1, Math.round(level * (BARS.length - 1))))];
  }
  return line;
}
