/**
 * How the report names a sweep's varied config paths and their values where space is short (table
 * headers, legends, plot labels): the path without its first key (optimizer.betas.0 → betas.0,
 * optimizer.lr → lr) unless two paths would then look alike, and numbers rounded by displayNumber.
 */
import { displayNumber } from './display-number.js';

export function shortAxisNames(axes: readonly string[]): string[] {
  const short = axes.map((path) => (path.includes('.') ? path.slice(path.indexOf('.') + 1) : path));
  return new Set(short).size === short.length ? short : [...axes];
}

export function valueLabel(value: string | number | boolean | null | undefined): string {
  if (value === undefined || value === null) return '–';
  return typeof value === 'number' ? displayNumber(value) : String(value);
}

/** "betas.0=0.9 lr=1e-3": a grid point's values under the short names. */
export function pointLabel(axes: readonly string[], values: Readonly<Record<string, string | number | boolean | null>>): string {
  const names = shortAxisNames(axes);
  return axes.map((axis, i) => `${names[i]}=${valueLabel(values[axis])}`).join(' ');
}
