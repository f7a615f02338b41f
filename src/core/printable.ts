/**
 * Text that came from a file or an argument, made safe to print on a terminal. Messages repeat
 * what a user wrote (an unknown key, a value, a column name), and a file may hold anything: a
 * NUL, an escape sequence that clears the screen or recolours what follows, a carriage return
 * that overwrites the line, a bidirectional override that shows text reversed. Each of these is
 * written as an escape (`\0`, `\x1b`, `\r`, `\u202e`), so a message shows what is in the file
 * and nothing in the file acts on the terminal. Printable text, in any script, is left as it is.
 */

// C0 controls, DEL and C1 controls; the zero-width and bidirectional marks and overrides; the
// line and paragraph separators; the byte-order mark (also the zero-width no-break space).
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

const NAMED: Readonly<Record<string, string>> = { '\0': '\\0', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const named = Object.hasOwn(NAMED, c) ? NAMED[c] : undefined;
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
