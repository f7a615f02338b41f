/**
 * Counts every typed array created while `body` runs: constructions through the global
 * constructors, and views or copies made with subarray/slice/map/filter.
 */
export function countTypedArrays(body: () => void): number {
  let count = 0;
  const names = ['Float32Array', 'Float64Array', 'Uint32Array', 'Int32Array', 'Uint8Array', 'Uint16Array'] as const;
  const originals = names.map((name) => globalThis[name]);
  const prototype = Object.getPrototypeOf(Float32Array.prototype) as Record<string, (...args: unknown[]) => unknown>;
  const methods = ['subarray', 'slice', 'map', 'filter'];
  const originalMethods = methods.map((m) => prototype[m]);
  names.forEach((name, i) => {
    (globalThis as Record<string, unknown>)[name] = new Proxy(originals[i], {
      construct(target, args) {
        count++;
        return Reflect.construct(target, args);
      },
    });
  });
  methods.forEach((m, i) => {
    prototype[m] = function (this: unknown, ...args: unknown[]) {
      count++;
      return originalMethods[i].apply(this, args);
    };
  });
  try {
    body();
  } finally {
    names.forEach((name, i) => ((globalThis as Record<string, unknown>)[name] = originals[i]));
    methods.forEach((m, i) => (prototype[m] = originalMethods[i]));
  }
  return count;
}
