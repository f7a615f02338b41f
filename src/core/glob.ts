/**
 * Glob patterns over tensor names, as fnmatch reads them: `*` any run of characters (dots
 * included, so `*.bias` takes every bias), `?` one character, everything else literal.
 */
export function globToRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}
