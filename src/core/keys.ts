/**
 * Keys that users write (config keys at any depth, compare variant and optimizer names, the
 * paths of --set, --grid and sweep spaces) become property keys of plain objects. Three of them
 * are not data to JavaScript: `obj.__proto__ = v` replaces obj's prototype (a variant silently
 * vanishes), and `obj.__proto__.lr = v` or `obj.constructor.prototype.lr = v` writes into
 * Object.prototype, which every object of the process then inherits. No config needs them, so
 * every source of keys refuses them through this one check, at its place; and a name users
 * look up in a table of ours is looked up as the table's own entry, never an inherited one.
 */

const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function isPrototypeKey(key: string | number): boolean {
  return typeof key === 'string' && PROTOTYPE_KEYS.has(key);
}

/** Why a prototype key is refused, in words. */
export function prototypeKeyProblem(key: string): string {
  return `'${key}' cannot be a key: JavaScript reserves it for objects' prototypes`;
}

/**
 * The path of every prototype key in a plain value (mappings within mappings and lists), in
 * document order. The value's depth must be bounded already (config/depth.ts): it is walked
 * recursively.
 */
export function prototypeKeyPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const here = [...path, Array.isArray(value) ? Number(key) : key];
    return isPrototypeKey(key) ? [here] : prototypeKeyPaths(child, here);
  });
}

/** The first prototype key of a dotted path's segments, or null. */
export function prototypeKeyIn(path: readonly (string | number)[]): string | null {
  const key = path.find(isPrototypeKey);
  return key === undefined ? null : String(key);
}

/** `table[name]` when the table itself has that entry: a name users give never reaches Object's members. */
export function ownEntry<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}
