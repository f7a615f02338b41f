/** Writes a sweep folder's tables (and, once every trial has run, its plots and report.html). */
import { join } from 'node:path';
import { writeFileAtomic } from '../runs/atomic.js';
import type { ReportData } from './report-data.js';
import { writeComparison, writeSummary } from './summary.js';

export function writeReport(dir: string): ReportData {
  const data = writeSummary(dir);
  writeComparison(dir, data);
  return data;
}

export function writeFiles(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [name, contents] of Object.entries(files)) writeFileAtomic(join(dir, name), contents);
}
