/**
 * Rows of cells (the first row the header) as an aligned plain-text table, for the terminal.
 * Alignment is chosen per column, not per cell: a column whose cells are all numbers is
 * right-aligned, any other column left-aligned, so that a column never zigzags.
 */
export function alignedTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const right = rows[0].map((_, c) => numericColumn(rows.slice(1).map((r) => r[c])));
  return rows
    .map((row) =>
      row
        .map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Numbers (with an optional "± spread" or %), where '–' and empty cells stand for "none". */
function numericColumn(cells: readonly string[]): boolean {
  const present = cells.filter((cell) => cell !== '–' && cell !== '');
  return present.length > 0 && present.every((cell) => /^[-+]?[\d.]+(e[-+]?\d+)?( ± .*)?%?$/.test(cell));
}
