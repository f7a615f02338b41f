/**
 * Lines that fit the terminal, and colour where a terminal shows it.
 *
 * A line longer than the terminal wraps onto a second row; progress bars redraw themselves by
 * moving the cursor up one row per line they printed, so a wrapped line makes them overwrite the
 * line above. Every line written while a bar may be drawn is therefore fitted here first: it is
 * broken at its separators into rows that fit, never cut, so nothing is lost.
 */

export interface Screen {
  /** Columns of the terminal, or null when the output is not a terminal (a log takes any length). */
  readonly width: number | null;
  readonly colour: boolean;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export function screenOf(stream: Stream, env: NodeJS.ProcessEnv): Screen {
  return { width: stream.isTTY === true && typeof stream.columns === 'number' && stream.columns > 0 ? stream.columns : null, colour: colourWanted(stream, env) };
}

/**
 * https://no-color.org: NO_COLOR (non-empty) turns colour off; FORCE_COLOR turns it on (0 or
 * false: off) as chalk and Node's own tools read it; otherwise colour only on a terminal.
 */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true;
}

const CODES = { red: 31, green: 32, yellow: 33, bold: 1 } as const;
export type Paint = keyof typeof CODES;

export function paint(screen: Screen, style: Paint, text: string): string {
  return screen.colour ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

/** The most a line may hold: one column short of the width, so the cursor never sits past the edge. */
export function usableWidth(width: number): number {
  return Math.max(20, width - 1);
}

/**
 * The rows a line takes on a screen `width` wide: broken after its separators (two spaces,
 * ", ", "; ", or a single space as a last resort), continuation rows indented; a word longer
 * than a row is split. With no width the line is returned whole.
 */
export function fitLine(line: string, width: number | null, indent = '    '): string[] {
  if (width === null) return [line];
  const room = usableWidth(width);
  const rows: string[] = [];
  let rest = line;
  let prefix = '';
  while (prefix.length + rest.length > room) {
    const space = room - prefix.length;
    const cut = breakPoint(rest, space);
    rows.push(`${prefix}${rest.slice(0, cut).trimEnd()}`);
    rest = rest.slice(cut).trimStart();
    prefix = indent;
  }
  rows.push(`${prefix}${rest}`);
  return rows;
}

/** Where to break `text` so that its first part fits `space` columns: the last good separator. */
function breakPoint(text: string, space: number): number {
  const head = text.slice(0, space + 1);
  for (const separator of ['  ', ', ', '; ', ' ']) {
    const at = head.lastIndexOf(separator);
    if (at > space / 3) return at + separator.length;
  }
  return space;
}

/** `text` in at most `width` columns: the middle is replaced by "…" so both ends stay readable. */
export function shorten(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  const tail = Math.floor((width - 1) / 2);
  return `${text.slice(0, width - 1 - tail)}…${text.slice(text.length - tail)}`;
}
