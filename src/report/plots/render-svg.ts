/**
 * vega-lite spec → SVG string, by vega's headless renderer (no browser, no canvas), made portable
 * (portable-svg.ts). Every figure of the report goes through here.
 */
import type { TopLevelSpec } from 'vega-lite';
import { portableSvg } from './portable-svg.js';

/**
 * vega numbers its clip paths and gradients (clip1, gradient_0, …) from counters shared by the
 * whole process. Renumbering them by order of appearance under a per-plot prefix makes a file the
 * same whatever was rendered before it, and keeps the SVGs inlined in one HTML page from
 * capturing each other's url(#…) references.
 */
function namespaceIds(svg: string, prefix: string): string {
  const pattern = /(id="|url\(#|href="#)((?:p_)?(?:clip|gradient_)\d+)/g;
  const names = new Map<string, string>();
  for (const [, , id] of svg.matchAll(pattern)) if (!names.has(id)) names.set(id, `${prefix}-${names.size + 1}`);
  return svg.replace(pattern, (_, head: string, id: string) => head + names.get(id));
}

/**
 * Compiles a vega-lite spec and renders it to an SVG string, headlessly. Warnings from vega-lite
 * and vega go to `warnings` when given, and nowhere otherwise (nothing below the CLI prints).
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string, warnings?: string[]): Promise<string> {
  // Loaded on the first plot, not with the module: vega and vega-lite take about half of the
  // CLI's start-up, and most processes never draw.
  const [{ logger, parse, View, Warn }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const log = logger(Warn, 'warn', (_method, _level, args) => warnings?.push(args.map(String).join(' ')));
  const view = new View(parse(compile(spec, { logger: log }).spec), { renderer: 'none', logger: log });
  try {
    return portableSvg(namespaceIds(await view.toSVG(), idPrefix));
  } finally {
    view.finalize();
  }
}
