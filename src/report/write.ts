/**
 * Writing a sweep folder's report: the tables after every trial (cheap, atomic), and the plots
 * and report.html once the trials are done (vega's rendering takes a moment).
 */
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../runs/atomic.js';
import { makeDirectories } from '../runs/directories.js';
import { readSweepManifest, readTrialManifest } from '../runs/sweep-dir.js';
import { renderReport } from './render.js';
import type { ReportData } from './report-data.js';
import { writeComparison, writeSummary } from './summary.js';

/*
 * Processes sharing a sweep folder (shards, two sweeps of one config) all rewrite these files, and
 * the last rename wins, which need not be the last rebuild to read the trials. So a rebuild is
 * repeated until no trial changed while it ran: then the process that renames last has read every
 * trial finished by then, and a trial that finishes later is followed by its own process's rebuild.
 */

/** summary.csv, comparison.csv and comparison.md, rebuilt from the trials. */
export function writeTables(dir: string): ReportData {
  for (;;) {
    const before = trialStates(dir);
    const data = writeSummary(dir);
    writeComparison(dir, data);
    if (trialStates(dir) === before) return data;
  }
}

/** The tables, and the plots and report.html. */
export async function writeReport(dir: string): Promise<ReportData> {
  for (;;) {
    const before = trialStates(dir);
    const data = writeTables(dir);
    writeFiles(dir, (await renderReport(data)).files);
    if (trialStates(dir) === before) return data;
  }
}

/** Every trial's status and end, as its manifest says: what a rebuild reads that can change meanwhile. */
function trialStates(dir: string): string {
  return readSweepManifest(dir)
    .trials.map((t) => {
      const manifest = readTrialManifest(dir, t.id);
      return `${manifest?.status}@${manifest?.ended_at}`;
    })
    .join(',');
}

export function writeFiles(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [name, contents] of Object.entries(files)) {
    const file = join(dir, name);
    makeDirectories(dirname(file));
    writeFileAtomic(file, contents);
  }
}
