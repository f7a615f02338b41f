/** Rows of cells as an aligned plain-text table (numbers right-aligned), for the terminal. */
export function alignedTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const numeric = (text: string): boolean => /^[-+]?[\d.]+(e[-+]?\d+)?( ± .*)?%?$/.test(text) || text === '–';
  return rows
    .map((row) =>
      row
        .map((cell, c) => (numeric(cell) && !numeric(rows[0][c]) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
