import { describe, expect, it } from 'vitest';
import { displayNumber } from '../../../src/report/display-number.js';
import { heatmapAxes, heatmapSpec } from '../../../src/report/plots/heatmap.js';
import { renderSvg } from '../../../src/report/plots/render-svg.js';
import { compareReport, gridReport } from './reports.js';
import { ariaLabels, dataOf, expectWellFormedXml, items } from './svg.js';

describe('the heatmap', () => {
  it('has one cell per grid point, the axes in numeric order, and the all-diverged cell marked', async () => {
    const data = gridReport();
    const spec = heatmapSpec(data)!;
    const warnings: string[] = [];
    const svg = await renderSvg(spec, 'heatmap', warnings);
    expect(warnings).toEqual([]);
    expectWellFormedXml(svg);
    expect(items(svg, 'rect mark')).toBe(6);
    const labels = ariaLabels(svg);
    expect(labels).toContainEqual("X-axis titled 'optimizer.lr' for a discrete scale with 2 values: 0.001, 0.01");
    expect(labels).toContainEqual("Y-axis titled 'optimizer.betas.0' for a discrete scale with 3 values: 0.95, 0.9, 0.8");
    for (const g of data.groups) expect(labels.filter((l) => l.startsWith(`${g.group}: `))).toHaveLength(1);
    expect(labels).toContainEqual('optimizer.lr=0.01, optimizer.betas.0=0.95: NaN, 2/2 diverged');
    expect(labels.filter((l) => l.includes('NaN'))).toHaveLength(1);
    // the diverged cell: its own fill, struck out by two diagonal rules, annotated NaN
    expect(svg.split('fill="#f3c4c0"').length - 1).toBe(1);
    expect(svg.split('class="mark-rule').length - 1).toBe(2);
    expect(svg).toMatch(/>NaN</);
    // every other cell is annotated with its value
    const cells = dataOf(spec) as { state: string; value: number | null; text: string }[];
    expect(cells.filter((c) => c.state === 'coloured')).toHaveLength(5);
    for (const c of cells.filter((c) => c.state === 'coloured')) expect(svg).toContain(`>${displayNumber(c.value!)}<`);
  });

  it('labels its colour legend with the same rounding as the cells', async () => {
    // means between 0.64 and 0.82: no 1, 2 or 5 × 10^k inside, so the legend shows the raw ends
    const data = gridReport();
    const means = [0.644467585, 0.7, 0.75, 0.8, 0.81234567];
    const groups = data.groups.map((g, i) => (i >= means.length ? g : { ...g, metrics: { final_train_loss: { mean: means[i], std: 0.01, n: 2 } } }));
    const svg = await renderSvg(heatmapSpec({ ...data, groups })!, 'heatmap');
    expect(svg).toContain('>0.6445</text>');
    expect(svg).toContain('>0.8123</text>');
    const texts = [...svg.matchAll(/>([\d.e+-]+)<\/text>/g)].map(([, t]) => t);
    for (const t of texts) expect(t.replace(/^0\.0*|\.|e.*$/g, '').length, t).toBeLessThanOrEqual(4);
  });

  it('colours by the mean final train loss on a log scale', () => {
    const spec = heatmapSpec(gridReport()) as unknown as { layer: { encoding: { color?: { field: string; scale: { type: string } } } }[] };
    expect(spec.layer[0].encoding.color).toMatchObject({ field: 'value', scale: { type: 'log' } });
  });

  it('colours by the ranking metric, or the one asked for, an accuracy on a linear scale in percent', async () => {
    const data = gridReport();
    const groups = data.groups.map((g, i) => ({ ...g, metrics: { ...g.metrics, final_test_accuracy: g.completed === 0 ? null : { mean: 0.9 + i / 100, std: null, n: 2 } } }));
    const ranked = { ...data, groups, rankBy: { metric: 'final_test_accuracy', higherIsBetter: true } };
    type Spec = { title: { text: string }; layer: { encoding: { color?: { legend: { title: string }; scale: { type: string } } } }[] };
    const byRank = heatmapSpec(ranked) as unknown as Spec;
    expect(byRank.title.text).toBe('grid: mean final test accuracy');
    expect(byRank.layer[0].encoding.color).toMatchObject({ legend: { title: 'final_test_accuracy' }, scale: { type: 'linear' } });
    expect(await renderSvg(heatmapSpec(ranked)!, 'heatmap')).toContain('>90.0%<');
    const asked = heatmapSpec(ranked, 'final_train_loss') as unknown as Spec;
    expect(asked.layer[0].encoding.color).toMatchObject({ legend: { title: 'final_train_loss' }, scale: { type: 'log' } });
  });

  it('is drawn only for a sweep over exactly two paths with two values or more each', () => {
    expect(heatmapAxes(gridReport())?.map((a) => a.labels)).toEqual([
      ['0.001', '0.01'],
      ['0.8', '0.9', '0.95'],
    ]);
    expect(heatmapSpec(compareReport())).toBeNull();
    expect(heatmapSpec(gridReport([0.001]))).toBeNull();
    expect(heatmapSpec({ ...gridReport(), axes: ['optimizer.lr', 'optimizer.betas.0', 'optimizer.eps'] })).toBeNull();
  });
});
