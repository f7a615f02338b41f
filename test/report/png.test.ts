import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { PNG_TOOL_MISSING, svgToPng } from '../../src/report/png.js';
import { lossSpec } from '../../src/report/plots/loss.js';
import { renderSvg } from '../../src/report/plots/render-svg.js';
import { compareReport } from './plots/reports.js';

const hasRsvg = ((): boolean => {
  try {
    execFileSync('rsvg-convert', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('PNG copies of the plots', () => {
  it.skipIf(!hasRsvg)('are PNGs twice the SVG size', async () => {
    const svg = await renderSvg(lossSpec(compareReport()), 'loss');
    const png = svgToPng(svg, 'plots/loss.svg');
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    const width = Number(/^<svg[^>]* width="(\d+)"/.exec(svg)![1]);
    expect(png.readUInt32BE(16)).toBe(2 * width); // IHDR width
  });

  it('say how to install rsvg-convert when it is missing', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => svgToPng('<svg xmlns="http://www.w3.org/2000/svg"/>', 'plots/loss.svg')).toThrow(new UsageError(PNG_TOOL_MISSING));
    } finally {
      process.env.PATH = path;
    }
  });
});
