/**
 * Writing a sweep folder's report: the tables after every trial (cheap, atomic), and the plots
 * and report.html once the trials are done (vega's rendering takes a moment).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { outputError, writeFileAtomic } from '../runs/atomic.js';
import { renderReport } from './render.js';
import type { ReportData } from './report-data.js';
import { writeComparison, writeSummary } from './summary.js';

/** summary.csv, comparison.csv and comparison.md, rebuilt from the trials. */
export function writeTables(dir: string): ReportData {
  const data = writeSummary(dir);
  writeComparison(dir, data);
  return data;
}

/** The tables, and the plots and report.html. */
export async function writeReport(dir: string): Promise<ReportData> {
  const data = writeTables(dir);
  writeFiles(dir, (await renderReport(data)).files);
  return data;
}

export function writeFiles(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [name, contents] of Object.entries(files)) {
    const file = join(dir, name);
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (error) {
      throw outputError(file, error);
    }
    writeFileAtomic(file, contents);
  }
}
