/**
 * Writing a sweep folder's report: the tables after every trial (cheap, atomic), and the plots
 * and report.html once the trials are done (vega's rendering takes a moment).
 */
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../runs/atomic.js';
import { makeDirectories } from '../runs/directories.js';
import { readSweepManifest, readTrialManifest } from '../runs/sweep-dir.js';
import type { ReportPlots } from './html.js';
import { DEFAULT_PLOT_OPTIONS, type PlotOptions } from './options.js';
import { svgToPng } from './png.js';
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
  const trials = watchTrials(dir);
  let data: ReportData;
  do {
    data = rebuildTables(dir);
  } while (trials.changed());
  return data;
}

export interface WrittenReport {
  readonly data: ReportData;
  readonly plots: ReportPlots;
}

/** The tables, and the plots and report.html: one rebuild, repeated as a whole when a trial changed during it. */
export async function writeReport(dir: string, options: PlotOptions = DEFAULT_PLOT_OPTIONS): Promise<WrittenReport> {
  const trials = watchTrials(dir);
  let written: WrittenReport;
  do {
    const data = rebuildTables(dir);
    const { files, plots } = await renderReport(data, options);
    writeFiles(dir, files);
    if (options.png) writeFiles(dir, pngsOf(dir, plots));
    written = { data, plots };
  } while (trials.changed());
  return written;
}

function rebuildTables(dir: string): ReportData {
  const data = writeSummary(dir);
  writeComparison(dir, data);
  return data;
}

/**
 * The trials' states now; changed() says whether they differ from the last look, and makes this
 * look the last, so that a repeated rebuild starts from the states its check read.
 */
function watchTrials(dir: string): { changed(): boolean } {
  let last = trialStates(dir);
  return {
    changed(): boolean {
      const now = trialStates(dir);
      const changed = now !== last;
      last = now;
      return changed;
    },
  };
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

/** plots/<name>.png for every plots/<name>.svg. */
export function pngsOf(dir: string, plots: ReportPlots): Record<string, Uint8Array> {
  return Object.fromEntries(plots.map((p) => [p.file.replace(/\.svg$/, '.png'), svgToPng(p.svg, join(dir, p.file))]));
}

export function writeFiles(dir: string, files: Readonly<Record<string, string | Uint8Array>>): void {
  for (const [name, contents] of Object.entries(files)) {
    const file = join(dir, name);
    makeDirectories(dirname(file));
    writeFileAtomic(file, contents);
  }
}
