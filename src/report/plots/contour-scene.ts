/**
 * What the contour figure and its animation share (contour.ts, paths-animation.ts): for a report
 * over a two-dimensional objective, the plane around the paths, the objective's contour lines
 * there (log-spaced, contour-lines.ts), axes, the minimum (★) and the start (●) marked, a legend,
 * and each variant's path (its first seed's) in the variant's colour (palette.ts), in pixels.
 * Drawn as plain SVG: vega-lite has no contour mark, and the animation needs SMIL.
 */
import { expectedValue } from '../../engine/objectives/objective.js';
import { createObjective, domainBox } from '../../engine/objectives/config.js';
import type { ReportData } from '../report-data.js';
import { contourLevels, contourLines, sampleGrid, type Rectangle } from './contour-lines.js';
import { groupColour } from './palette.js';
import { escapeHtml } from '../html-page.js';
import { numberLabel } from './svg-text.js';

export const WIDTH = 720;
export const HEIGHT = 580;
const PLOT = { left: 64, right: 560, top: 64, bottom: 508 };
const GRID = 120;
const LEVELS = 16;

export interface ScenePath {
  readonly group: string;
  readonly colour: string;
  /** Pixel coordinates, one per recorded point. */
  readonly points: readonly (readonly [number, number])[];
  readonly steps: readonly number[];
}

export interface Scene {
  /** Everything but the paths: frame, contours, axes, markers, legend, title. */
  readonly background: string;
  readonly paths: readonly ScenePath[];
  /** Marks drawn over the paths (start and minimum), so no path hides them. */
  readonly foreground: string;
}

/** The scene, or null when the report is not over a two-dimensional objective with recorded paths. */
export function contourScene(data: ReportData, subtitle: string): Scene | null {
  const config = data.objective;
  if (config === undefined || config.start.length !== 2) return null;
  const groups = data.groups.map((g) => g.group);
  const firsts = groups.map((group) => data.trials.filter((t) => t.group === group && t.path !== null && t.path !== undefined).sort((a, b) => a.seed - b.seed)[0]);
  if (firsts.every((t) => t === undefined)) return null;
  const objective = createObjective(config);
  const minimum = objective.minimizer;
  const box = frame([...firsts.flatMap((t) => (t?.path ? t.path.coordinates[0].map((x, k) => [x, t.path!.coordinates[1][k]] as const) : [])), config.start as [number, number], ...(minimum === null ? [] : [minimum as [number, number]])], domainBox(config));
  const px = (x: number): number => PLOT.left + ((x - box.x0) / (box.x1 - box.x0)) * (PLOT.right - PLOT.left);
  const py = (y: number): number => PLOT.bottom - ((y - box.y0) / (box.y1 - box.y0)) * (PLOT.bottom - PLOT.top);
  const grid = sampleGrid((x, y) => expectedValue(objective, [x, y]), box, GRID);
  const contours = contourLines(grid, box, contourLevels(grid, LEVELS, minimum !== null))
    .map(({ segments }, k) => `<path d="${segments.map(([a, b, c, d]) => `M${r(px(a))} ${r(py(b))}L${r(px(c))} ${r(py(d))}`).join('')}" stroke="${contourGrey(k)}" stroke-width="0.8" fill="none"/>`)
    .join('\n');
  const paths = firsts.flatMap((trial, index): ScenePath[] => {
    if (trial?.path === undefined || trial.path === null) return [];
    const [xs, ys] = trial.path.coordinates;
    // a diverged path leaves the plane; it is drawn while its points are finite
    const finite = xs.map((x, k) => [x, ys[k]] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    return [{ group: groups[index], colour: groupColour(index), points: finite.map(([x, y]) => [r(px(clamp(x, box.x0, box.x1))), r(py(clamp(y, box.y0, box.y1)))] as const), steps: trial.path.steps.slice(0, finite.length) }];
  });
  const levels = minimum === null ? 'contours evenly spaced' : 'contours log-spaced above the minimum ★';
  const title = `<text x="${PLOT.left}" y="24" font-size="15" font-weight="bold">${escapeHtml(`${data.name}: paths on ${config.name}`)}</text><text x="${PLOT.left}" y="44" font-size="11" fill="#555">${escapeHtml(`${levels}; ${subtitle}`)}</text>`;
  const legend = paths
    .map((p, k) => `<g transform="translate(${PLOT.right + 24},${PLOT.top + 8 + 20 * k})"><line x1="0" y1="0" x2="22" y2="0" stroke="${p.colour}" stroke-width="3"/><text x="30" y="4" font-size="12">${escapeHtml(p.group)}</text></g>`)
    .join('\n');
  const background = [
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    title,
    `<defs><clipPath id="plane"><rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}"/></clipPath></defs>`,
    `<g clip-path="url(#plane)">${contours}</g>`,
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#888"/>`,
    axes(box, px, py),
    `<text x="${PLOT.right + 24}" y="${PLOT.top - 6}" font-size="12" font-weight="bold">variant</text>`,
    legend,
  ].join('\n');
  const [sx, sy] = [px(config.start[0]), py(config.start[1])];
  const start = `<circle cx="${r(sx)}" cy="${r(sy)}" r="5" fill="black" stroke="white" stroke-width="1.5"><title>start (${config.start.join(', ')})</title></circle>`;
  const star = minimum === null ? '' : `<text x="${r(px(minimum[0]))}" y="${r(py(minimum[1]))}" font-size="20" text-anchor="middle" dominant-baseline="central" fill="black" stroke="white" stroke-width="0.6">★<title>minimum (${minimum.join(', ')})</title></text>`;
  const key = `<text x="${PLOT.right + 24}" y="${PLOT.top + 24 + 20 * paths.length}" font-size="11" fill="#555">● start${minimum === null ? '' : '   ★ minimum'}</text>`;
  return { background, paths, foreground: [start, star, key].join('\n') };
}

/** The rectangle around the points, padded by a tenth, square-ish, and inside the domain when there is one. */
function frame(points: readonly (readonly [number, number])[], domain: ReturnType<typeof domainBox>): Rectangle {
  const finite = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = finite.map((p) => p[0]);
  const ys = finite.map((p) => p[1]);
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const size = Math.max(x1 - x0, y1 - y0, 1e-3);
  const pad = size * 0.1;
  [x0, x1, y0, y1] = [x0 - pad, x1 + pad, y0 - pad, y1 + pad];
  if (domain !== null) [x0, x1, y0, y1] = [Math.max(x0, domain.low[0]), Math.min(x1, domain.high[0]), Math.max(y0, domain.low[1]), Math.min(y1, domain.high[1])];
  return { x0, x1, y0, y1 };
}

function axes(box: Rectangle, px: (x: number) => number, py: (y: number) => number): string {
  const ticks = (low: number, high: number): number[] => {
    // a 1, 2 or 5 times a power of ten, giving about five ticks
    const raw = (high - low) / 5;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
    const first = Math.ceil(low / step);
    return Array.from({ length: Math.floor(high / step) - first + 1 }, (_, k) => (first + k) * step);
  };
  const xTicks = ticks(box.x0, box.x1).map((x) => `<line x1="${r(px(x))}" y1="${PLOT.bottom}" x2="${r(px(x))}" y2="${PLOT.bottom + 5}" stroke="#888"/><text x="${r(px(x))}" y="${PLOT.bottom + 18}" font-size="11" text-anchor="middle">${numberLabel(x)}</text>`);
  const yTicks = ticks(box.y0, box.y1).map((y) => `<line x1="${PLOT.left - 5}" y1="${r(py(y))}" x2="${PLOT.left}" y2="${r(py(y))}" stroke="#888"/><text x="${PLOT.left - 8}" y="${r(py(y)) + 4}" font-size="11" text-anchor="end">${numberLabel(y)}</text>`);
  const labels = `<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 40}" font-size="12" text-anchor="middle">x0</text><text x="${PLOT.left - 44}" y="${(PLOT.top + PLOT.bottom) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 ${PLOT.left - 44} ${(PLOT.top + PLOT.bottom) / 2})">x1</text>`;
  return [...xTicks, ...yTicks, labels].join('\n');
}

/** Lower levels darker, so the valley floor reads at a glance. */
function contourGrey(k: number): string {
  const shade = Math.round(110 + (130 * k) / LEVELS);
  return `rgb(${shade},${shade},${shade})`;
}

function clamp(v: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, v));
}

/** Pixels to two decimals: the same plot gives the same bytes, and the file stays small. */
function r(v: number): number {
  return Math.round(v * 100) / 100;
}
