/**
 * report.html as a reader's browser lays it out (Debian's chromium, headless): the page never runs
 * past the window's edge, no table cell is narrower than its content (a value never wraps or is
 * cut), every plot is drawn inside the page, and nothing is logged as an error. Skipped where
 * chromium is not installed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/report/render.js';
import type { ReportData } from '../../src/report/report-data.js';
import { tunedReportHtml } from '../../src/report/tuned-html.js';
import { chromium, dumpDom } from './chromium.js';
import { compareReport, gridReport } from './plots/reports.js';

/** Runs first in the page: collects every error and console error the page produces. */
const WATCH = `<script>
window.__errors = [];
window.addEventListener('error', (e) => window.__errors.push(String(e.message || (e.target && (e.target.src || e.target.href)) || 'error')), true);
const original = console.error;
console.error = (...args) => { window.__errors.push(args.join(' ')); original(...args); };
</script>`;

/** Runs after load: measures the layout and writes what it found into the DOM that --dump-dom prints. */
const MEASURE = `<script>
window.addEventListener('load', () => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width) problems.push('page is ' + document.documentElement.scrollWidth + ' px wide in a ' + width + ' px window');
  for (const cell of document.querySelectorAll('td, th')) {
    const style = getComputedStyle(cell);
    const text = cell.textContent.trim();
    if (cell.scrollWidth > cell.clientWidth + 1) problems.push('content overflows its cell: ' + text);
    if (style.overflowWrap !== 'normal' || style.wordBreak !== 'normal') problems.push('cell may break inside a word: ' + text);
    if (cell.tagName === 'TD') {
      // the lines the cell's text sits on: the middles of its text's boxes (a badge's padding would add boxes of its own)
      const lines = new Set();
      const texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = texts.nextNode(); node !== null; node = texts.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const r of range.getClientRects()) if (r.width > 0) lines.add(Math.round((r.top + r.bottom) / 2 / 4));
      }
      if (lines.size > 1) problems.push('value wraps onto ' + lines.size + ' lines: ' + text);
    }
  }
  for (const box of document.querySelectorAll('.scroll')) {
    if (box.getBoundingClientRect().right > width + 0.5) problems.push('a table box runs past the window');
  }
  const plots = [...document.querySelectorAll('figure svg')].map((svg) => {
    const r = svg.getBoundingClientRect();
    return { width: r.width, height: r.height, left: r.left, right: r.right, marks: svg.querySelectorAll('path, line, rect').length };
  });
  const out = document.createElement('pre');
  out.id = 'measured';
  out.textContent = JSON.stringify({ width, problems, plots, errors: window.__errors });
  document.body.append(out);
});
</script>`;

interface Measured {
  readonly width: number;
  readonly problems: string[];
  readonly plots: { width: number; height: number; left: number; right: number; marks: number }[];
  readonly errors: string[];
}

function measure(html: string, windowWidth: number): { measured: Measured; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'adam-lab-browser-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, html.replace('<head>', `<head>\n${WATCH}`).replace('</body>', `${MEASURE}\n</body>`));
  const { dom, log } = dumpDom(file, windowWidth);
  const json = /<pre id="measured">([\s\S]*?)<\/pre>/.exec(dom)?.[1];
  if (json === undefined) throw new Error(`the page did not finish loading:\n${log.slice(-2000)}`);
  return { measured: JSON.parse(json.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')) as Measured, log };
}

/** A grid of 3 × 3 points (panels), a long-named grid point, and a comparison with odd names. */
function pages(): Record<string, () => Promise<string>> {
  const sweep = async (data: ReportData): Promise<string> => (await renderReport(data)).files['report.html'];
  return {
    comparison: () => sweep(compareReport()),
    'two-path grid': () => sweep(gridReport()),
    'grid in panels': () => sweep(gridReport([1e-4, 1e-3, 1e-2], [0.8, 0.9, 0.95])),
    tuned: async () => {
      const rerun = await renderReport(compareReport());
      return tunedReportHtml({
        name: 'fair',
        folder: 'tuned-1',
        description: 'Each variant was tuned on held-out data.',
        space: 'optimizer.lr:\n  log_uniform: [0.0001, 1]\n',
        table: [
          ['rank', 'variant', 'tuned', 'tuning diverged', 'final_test_accuracy (95% CI)', 'steps to test_accuracy 0.97', 'p vs best'],
          ['1', 'adam', 'optimizer.lr=0.00316 optimizer.betas.0=0.9 (edge)', '3/36', '97.71% ± 0.08', 'not reached (0/10)', 'best'],
        ],
        verdicts: ['adam vs sgd: no significant difference, p=0.41'],
        sensitivity: null,
        rerunPlots: rerun.plots,
      });
    },
  };
}

describe.skipIf(chromium === null)('report.html in a browser', () => {
  for (const [name, html] of Object.entries(pages())) {
    for (const windowWidth of [1280, 820]) {
      it(`${name}, ${windowWidth} px wide: no overflow, no wrapped value, every plot drawn, no error`, async () => {
        const { measured, log } = measure(await html(), windowWidth);
        expect(measured.problems).toEqual([]);
        expect(measured.errors).toEqual([]);
        expect(log.split('\n').filter((line) => /CONSOLE|Uncaught/.test(line))).toEqual([]);
        expect(measured.plots.length).toBeGreaterThanOrEqual(2);
        for (const plot of measured.plots) {
          expect(plot.width).toBeGreaterThan(200);
          expect(plot.height).toBeGreaterThan(100);
          expect(plot.left).toBeGreaterThanOrEqual(0);
          expect(plot.right).toBeLessThanOrEqual(measured.width);
          expect(plot.marks).toBeGreaterThan(10);
        }
      }, 120_000);
    }
  }
});
