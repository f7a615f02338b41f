import { describe, expect, it } from 'vitest';
import { heatmapSpec } from '../../../src/report/plots/heatmap.js';
import { lossSpec } from '../../../src/report/plots/loss.js';
import { renderSvg } from '../../../src/report/plots/render-svg.js';
import { compareReport, gridReport } from './reports.js';
import { expectWellFormedXml } from './svg.js';

describe('the XML check used below', () => {
  it('accepts well-formed XML and rejects broken nesting, bare ampersands and repeated attributes', () => {
    expectWellFormedXml('<svg a="1"><g><text>x &amp; y &lt;&amp;&gt;</text><path d="M0,0"/></g></svg>');
    expect(() => expectWellFormedXml('<svg><g></svg>')).toThrow();
    expect(() => expectWellFormedXml('<svg><text>a & b</text></svg>')).toThrow(/bare &/);
    expect(() => expectWellFormedXml('<svg a="1" a="2"></svg>')).toThrow(/repeated/);
    expectWellFormedXml('<svg a="x=1, x=2"></svg>');
    expect(() => expectWellFormedXml('<svg></svg><svg></svg>')).toThrow();
  });
});

describe('rendering', () => {
  it('is deterministic, whatever was rendered before, with ids namespaced per plot', async () => {
    // a loss plot whose axis is cut: its curves are clipped (the heatmap's legend has swatches, not a gradient, since portable-svg.ts)
    const data = compareReport();
    const spec = lossSpec({ ...data, trials: data.trials.map((t) => (t.id !== 'sgd-s2' ? t : { ...t, losses: t.losses.map(([s, y]) => [s, s >= 60 && s < 120 ? 10 ** (s / 3) : y] as const) })) });
    const first = await renderSvg(spec, 'heatmap');
    await renderSvg(heatmapSpec(gridReport())!, 'loss');
    await renderSvg(spec, 'other');
    expect(await renderSvg(spec, 'heatmap')).toBe(first);
    const ids = [...first.matchAll(/\bid="([^"]+)"/g)].map(([, id]) => id);
    expect(ids.length).toBeGreaterThan(0); // the clip paths
    expect(ids.every((id) => id.startsWith('heatmap-'))).toBe(true);
    for (const [, ref] of first.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(ref);
  });
});
