import { describe, expect, it } from 'vitest';
import { evaluationSpec } from '../../../src/report/plots/evaluation.js';
import { heatmapSpec } from '../../../src/report/plots/heatmap.js';
import { lossSpec } from '../../../src/report/plots/loss.js';
import { portableSvg } from '../../../src/report/plots/portable-svg.js';
import { renderSvg } from '../../../src/report/plots/render-svg.js';
import { compareReport, gridReport } from './reports.js';
import { expectWellFormedXml } from './svg.js';

/** The drawing elements of an SVG, as their opening tags. */
const shapes = (svg: string): string[] => [...svg.matchAll(/<(?:path|rect|line|circle|ellipse|text)\b[^>]*>/g)].map(([tag]) => tag);

describe('SVGs every renderer draws alike', () => {
  it('name fill and stroke on every shape, fold opacity into rgba colours, and use no gradient or gapless dash', async () => {
    const svgs = await Promise.all([
      renderSvg(lossSpec(compareReport()), 'loss'),
      renderSvg(evaluationSpec(compareReport()), 'accuracy'),
      renderSvg(heatmapSpec(gridReport())!, 'heatmap'),
      renderSvg(lossSpec(gridReport([1e-4, 1e-3, 1e-2], [0.8, 0.9, 0.95])), 'panels'),
    ]);
    for (const svg of svgs) {
      expectWellFormedXml(svg);
      for (const tag of shapes(svg)) {
        if (!tag.startsWith('<text')) expect(tag).toMatch(/\sfill="/);
        expect(tag).toMatch(/\sstroke="/);
        expect(tag).not.toMatch(/\s(opacity|fill-opacity|stroke-opacity)="/);
        expect(tag).not.toMatch(/stroke-dasharray="[\d.]+,0"/);
      }
      expect(svg).not.toMatch(/fill="url\(/);
      expect(svg).not.toContain('display="none"');
    }
    // the loss bands: their colour at the band's opacity
    expect(svgs[0]).toMatch(/aria-roledescription="area mark" d="[^"]*" fill="rgba\(76,120,168,0\.16\)"/);
  });

  it('leave a shape that says all as it was, and keep the picture the same for a browser', () => {
    const vega = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><g fill="none"><path d="M0,0L5,5" stroke="#4c78a8" opacity="0.5"/><rect width="2" height="2" fill="#fff" stroke="#000"/><defs><clipPath id="c-1"><rect width="1" height="1"/></clipPath></defs></g></svg>';
    expect(portableSvg(vega)).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs><clipPath id="c-1"><rect width="1" height="1" fill="none" stroke="none"/></clipPath></defs><g fill="none"><path d="M0,0L5,5" stroke="rgba(76,120,168,0.5)" fill="none"/><rect width="2" height="2" fill="#fff" stroke="#000"/></g></svg>',
    );
  });
});
