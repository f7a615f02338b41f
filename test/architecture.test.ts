/**
 * The floors of ../shared/DESIGN.md, checked on every import in src/: a folder imports from its own
 * floor or the floors below, never from a sibling on the same floor, never along a never-pair, and
 * no two files import each other through any chain. `npx vitest run test/architecture.test.ts`
 * prints every offending import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;

/** Floor of each folder of src/, lowest first; folders on one floor are siblings. */
const FLOORS: Record<string, number> = {
  core: 0,
  kernels: 1,
  engine: 2,
  optim: 2,
  data: 3,
  config: 4,
  runs: 5,
  train: 6,
  report: 7,
  check: 7,
  lab: 8,
  cli: 9,
};

/** DESIGN.md's never-pairs, as folder → folders it must not import. */
const NEVER: Record<string, readonly string[]> = {
  optim: ['engine'],
  engine: ['optim'],
  data: ['engine'],
  config: ['runs', 'train', 'check', 'report', 'lab'],
  runs: ['train'],
  check: ['report'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file (static, dynamic and re-exports), as paths of src/ files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifier = /(?:^|\n)\s*(?:import|export)\s[^;'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;
  const found: string[] = [];
  for (const match of text.matchAll(specifier)) {
    const spec = match[1] ?? match[2]!;
    found.push(relative(SRC, normalize(join(dirname(file), spec))).replace(/\.js$/, '.ts'));
  }
  return found;
}

const folderOf = (path: string): string => (path.includes('/') ? path.split('/')[0]! : path);

const graph = new Map(sourceFiles(SRC).map((file) => [relative(SRC, file), importsOf(file)]));

describe('the floors of DESIGN.md', () => {
  it('every folder of src/ has a floor', () => {
    const folders = new Set([...graph.keys()].filter((path) => path.includes('/')).map(folderOf));
    expect([...folders].filter((folder) => !(folder in FLOORS))).toEqual([]);
  });

  it('every import goes to the same folder or a folder on a lower floor, and no never-pair is used', () => {
    const wrong: string[] = [];
    for (const [file, imports] of graph) {
      const from = folderOf(file);
      if (!(from in FLOORS)) continue; // src/index.ts, the library entry point, stands above every floor
      for (const target of imports) {
        const to = folderOf(target);
        if (to === from) continue;
        const allowed = FLOORS[to]! < FLOORS[from]! && !(NEVER[from] ?? []).includes(to);
        if (!allowed) wrong.push(`${file} → ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('no import cycle between files', () => {
    // Tarjan's strongly connected components: any component of two or more files is a cycle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const cycles: string[][] = [];
    let counter = 0;
    const visit = (file: string): void => {
      index.set(file, counter);
      low.set(file, counter);
      counter += 1;
      stack.push(file);
      onStack.add(file);
      for (const next of graph.get(file) ?? []) {
        if (!graph.has(next)) continue;
        if (!index.has(next)) {
          visit(next);
          low.set(file, Math.min(low.get(file)!, low.get(next)!));
        } else if (onStack.has(next)) {
          low.set(file, Math.min(low.get(file)!, index.get(next)!));
        }
      }
      if (low.get(file) === index.get(file)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== file);
        if (component.length > 1) cycles.push(component.sort());
      }
    };
    for (const file of graph.keys()) if (!index.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });
});
