/**
 * PNG copies of the report's SVG plots (`adam-lab report --png`), for slides, papers and viewers
 * that show no SVG. Drawn by rsvg-convert (librsvg, the renderer of GNOME and of most Linux image
 * viewers) rather than an npm package: no native module for every user to download, only for
 * those who ask for PNGs, who install one well-kept system tool.
 */
import { execFileSync } from 'node:child_process';
import { UsageError } from '../core/errors.js';
import { outputError } from '../runs/atomic.js';

const TOOL = 'rsvg-convert';

/** Twice the SVG's size: sharp on high-density screens and in print. */
const ZOOM = '2';

export const PNG_TOOL_MISSING = `--png needs ${TOOL} (librsvg), which is not installed: apt-get install librsvg2-bin (Debian, Ubuntu), dnf install librsvg2-tools (Fedora), brew install librsvg (macOS)`;

/** The PNG of an SVG string, on a white background (a transparent one turns black in some viewers). */
export function svgToPng(svg: string, file: string): Buffer {
  try {
    return execFileSync(TOOL, ['--zoom', ZOOM, '--background-color', 'white', '--format', 'png'], { input: svg, maxBuffer: 256 * 1024 * 1024 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(PNG_TOOL_MISSING);
    throw outputError(file, error);
  }
}
