/**
 * plots/contour.svg: every variant's path on the objective's contour plot (contour-scene.ts), for
 * a sweep or comparison over a two-dimensional objective.
 */
import type { ReportData } from '../report-data.js';
import { contourScene, HEIGHT, WIDTH } from './contour-scene.js';
import { escapeHtml } from '../html-page.js';

export function contourSvg(data: ReportData): string | null {
  const scene = contourScene(data, 'one path per variant (its first seed), from the start ●');
  if (scene === null) return null;
  const paths = scene.paths
    .map((p) => `<polyline points="${p.points.map(([x, y]) => `${x},${y}`).join(' ')}" fill="none" stroke="${p.colour}" stroke-width="2" stroke-linejoin="round" opacity="0.9"><title>${escapeHtml(p.group)}</title></polyline>`)
    .join('\n');
  return svg([scene.background, paths, scene.foreground].join('\n'));
}

export function svg(body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">\n${body}\n</svg>\n`;
}
