/** A mapping of keys, as YAML and JSON parse one: an object, but not null and not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A copy of parsed YAML/JSON data in which no two places share an object. structuredClone keeps
 * sharing, and a YAML alias (`*base`) is one object in many places, so a change made at one
 * place (an override) would show at all of them.
 */
export function copyTree<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyTree) as T;
  if (!isPlainObject(value)) return value;
  // fromEntries defines each key as data, so even a key named __proto__ stays a key.
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copyTree(item)])) as T;
}
