/**
 * plots/paths.svg: the contour figure (contour-scene.ts) with the variants' paths stepping
 * together — SMIL animation, no script, so it plays in a browser, an <img> and report.html. Time
 * runs in optimizer steps, the same for every variant: at time t of DURATION each path has drawn
 * itself, and its dot stands, where that variant was after the same number of steps. Renderers
 * without animation (rsvg-convert, PNG export) show the end: every path whole.
 */
import type { ReportData } from '../report-data.js';
import { contourScene, HEIGHT, WIDTH, type ScenePath } from './contour-scene.js';
import { svg } from './contour.js';
import { keptIndices } from '../../runs/run-reader.js';
import { escapeHtml } from '../html-page.js';

const DURATION = '10s';
/** Frames of the animation: a path's recorded points are thinned to this many key points. */
const FRAMES = 200;

export function pathsAnimationSvg(data: ReportData): string | null {
  const scene = contourScene(data, `the paths step together: ${DURATION} for the whole run, looping; one path per variant (its first seed)`);
  if (scene === null) return null;
  const lastStep = Math.max(1, ...scene.paths.map((p) => p.steps[p.steps.length - 1] ?? 0));
  const timing = `dur="${DURATION}" repeatCount="indefinite" calcMode="linear"`;
  const paths = scene.paths.map((p) => animatedPath(p, lastStep, timing)).join('\n');
  const bar = `<rect x="64" y="${HEIGHT - 16}" width="496" height="4" fill="#ddd"/><rect x="64" y="${HEIGHT - 16}" width="496" height="4" fill="#555"><animate attributeName="width" values="0;496" ${timing}/></rect><text x="${WIDTH - 150}" y="${HEIGHT - 10}" font-size="11" fill="#555">${lastStep} steps</text>`;
  return svg([scene.background, paths, scene.foreground, bar].join('\n'));
}

function animatedPath(p: ScenePath, lastStep: number, timing: string): string {
  const kept = keptIndices(p.points.length, FRAMES);
  const points = kept.map((k) => p.points[k]);
  // distance along the path at each kept point, for the drawn share of the line and the dot's place
  const along = [0];
  for (let k = 1; k < points.length; k++) along.push(along[k - 1] + Math.hypot(points[k][0] - points[k - 1][0], points[k][1] - points[k - 1][1]));
  const length = Math.max(along[along.length - 1], 1e-6);
  const times = kept.map((k) => p.steps[k] / lastStep);
  // a path that ended early (diverged) holds its last point until the others end
  if (times[times.length - 1] < 1) {
    times.push(1);
    along.push(along[along.length - 1]);
  }
  times[0] = 0;
  const keyTimes = times.map((t) => round(t)).join(';');
  const line = points.map(([x, y]) => `${x},${y}`).join(' ');
  const motion = `M${points.map(([x, y]) => `${x} ${y}`).join('L')}`;
  return [
    `<polyline points="${line}" fill="none" stroke="${p.colour}" stroke-width="2" stroke-linejoin="round" opacity="0.9" stroke-dasharray="${round(length)} ${round(length)}" stroke-dashoffset="0"><title>${escapeHtml(p.group)}</title>`,
    `<animate attributeName="stroke-dashoffset" values="${along.map((a) => round(length - a)).join(';')}" keyTimes="${keyTimes}" ${timing}/></polyline>`,
    // the dot is placed by its motion alone, so it is hidden where nothing animates it
    `<circle r="5" fill="${p.colour}" stroke="white" stroke-width="1.5" visibility="hidden"><set attributeName="visibility" to="visible" begin="0s"/>`,
    `<animateMotion path="${motion}" keyPoints="${along.map((a) => round(a / length)).join(';')}" keyTimes="${keyTimes}" ${timing}/>`,
    '</circle>',
  ].join('');
}

function round(v: number): number {
  return Math.round(v * 10000) / 10000;
}
