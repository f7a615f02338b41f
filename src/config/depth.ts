/**
 * How deep a config's lists and mappings may nest. Everything after parsing (validation, trial
 * expansion, trial ids, writing config.yaml) walks a config recursively, and a compare: patch, a
 * sweep value or a --set value may hold anything; bounding the depth where values come in bounds
 * all of them. The deepest real configs use about six levels.
 */
const MAX_DEPTH = 32;

export const NESTED_TOO_DEEPLY = `lists or mappings are nested more than ${MAX_DEPTH} levels deep; a config needs only a few`;

/** The path of the first value nested deeper than MAX_DEPTH (a cycle, from aliases, is one), or null. */
export function tooDeep(value: unknown): (string | number)[] | null {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: node, path } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (path.length > MAX_DEPTH) return path;
    for (const [key, child] of Object.entries(node)) stack.push({ value: child, path: [...path, Array.isArray(node) ? Number(key) : key] });
  }
  return null;
}
