import { fitLine, paint, usableWidth, type Screen } from './screen.js';

/**
 * Rows of cells (the first row the header) as an aligned plain-text table, for the terminal.
 * Alignment is chosen per column, not per cell: a column whose cells are all numbers is
 * right-aligned, any other column left-aligned, so that a column never zigzags.
 */
export function alignedTable(rows: readonly (readonly string[])[]): string {
  return alignedRows(rows).join('\n');
}

function alignedRows(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const right = rows[0].map((_, c) => numericColumn(rows.slice(1).map((r) => r[c])));
  return rows.map((row) =>
    row
      .map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd(),
  );
}

export interface ScreenTableOptions {
  /** How many leading columns name a row (kept always; a block's title when rows become blocks). */
  readonly titleColumns: number;
  /** Column names in the order they are kept when not all fit; columns not named go first. */
  readonly givenUpLast?: readonly string[];
  /** The body row (0 = the first below the header) drawn bold where colour is shown. */
  readonly highlight?: number | null;
}

/**
 * The table for a screen: aligned when it fits the width; else with the columns that fit (the
 * ones left out named below it); when not even one column beside the titles fits, one block per
 * row, "name  value" lines under its title. A table wider than the terminal wraps every row into
 * an unreadable zigzag.
 */
export function tableForScreen(rows: readonly (readonly string[])[], screen: Screen, options: ScreenTableOptions): string {
  const { titleColumns, givenUpLast = [], highlight = null } = options;
  const mark = (text: string, index: number): string => (index === highlight ? paint(screen, 'bold', text) : text);
  const render = (columns: readonly number[]): string[] => alignedRows(rows.map((row) => columns.map((c) => row[c])));
  const fits = (lines: readonly string[]): boolean => screen.width === null || lines.every((line) => line.length <= usableWidth(screen.width!));
  const header = rows[0];
  const all = header.map((_, c) => c);
  // Given up first: columns not named (rightmost first), then the named ones from the last named.
  const keepWeight = (name: string): number => (givenUpLast.includes(name) ? givenUpLast.length - givenUpLast.indexOf(name) : 0);
  const droppable = all
    .slice(titleColumns)
    .reverse()
    .sort((a, b) => keepWeight(header[a]) - keepWeight(header[b]));
  let shown = all;
  for (const column of droppable) {
    if (fits(render(shown)) || shown.length <= titleColumns + 1) break;
    shown = shown.filter((c) => c !== column);
  }
  const lines = render(shown);
  if (fits(lines)) {
    const left = all.filter((c) => !shown.includes(c)).map((c) => header[c]);
    const note = left.length === 0 ? [] : ['', ...fitLine(`not shown at ${screen.width} columns (comparison.md has every column): ${left.join(', ')}`, screen.width)];
    return [...lines.map((line, i) => (i === 0 ? line : mark(line, i - 1))), ...note].join('\n');
  }
  return blocks(rows, screen, titleColumns, mark);
}

/** One block per row: its title cells on the first line, then every other column as "name  value". */
function blocks(rows: readonly (readonly string[])[], screen: Screen, titleColumns: number, mark: (text: string, index: number) => string): string {
  const [header, ...body] = rows;
  const nameWidth = Math.max(...header.slice(titleColumns).map((name) => name.length));
  return body
    .map((row, index) => {
      const title = row
        .slice(0, titleColumns)
        .map((cell, c) => `${header[c]} ${cell}`)
        .join('  ');
      const fields = row.slice(titleColumns).flatMap((cell, c) => fitLine(`  ${header[titleColumns + c].padEnd(nameWidth)}  ${cell}`, screen.width, ' '.repeat(nameWidth + 4)));
      return [...fitLine(title, screen.width).map((line) => mark(line, index)), ...fields].join('\n');
    })
    .join('\n\n');
}

/** Numbers (with an optional "± spread" or %, or thousands separated by commas), where '–' and empty cells stand for "none". */
function numericColumn(cells: readonly string[]): boolean {
  const present = cells.filter((cell) => cell !== '–' && cell !== '');
  return present.length > 0 && present.every((cell) => /^[-+]?[\d.]+(e[-+]?\d+)?( ± .*)?%?$/.test(cell) || /^\d{1,3}(,\d{3})+$/.test(cell));
}
