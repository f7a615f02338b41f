/** `adam-lab report <dir>`: tables, plots and report.html rebuilt from the trials on disk. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { rebuildTunedReport } from '../../lab/tuned.js';
import { comparisonTable } from '../../report/summary.js';
import { writeReport } from '../../report/write.js';
import { isTunedDirectory } from '../../runs/sweep-dir.js';
import { EXIT } from '../exit-codes.js';
import { debugOption } from '../options.js';
import type { Terminal } from '../progress.js';
import { printTunedReport } from '../protocol.js';
import { alignedTable } from '../table.js';

export function registerReport(program: Command, terminal: Terminal, done: (code: number) => void): void {
  debugOption(program.command('report'))
    .description('rebuild summary.csv, comparison.csv/.md, the plots and report.html of a sweep, compare or tuned-comparison folder')
    .argument('<dir>', 'a folder made by adam-lab sweep or compare (also --protocol tuned)')
    .addHelpText('after', '\nExamples:\n  $ adam-lab report runs/mnist-mlp-adam/sweep-1a2b3c4d\n  $ adam-lab report runs/fair-compare-mnist/tuned-1a2b3c4d')
    .action(async (dir: string) => done(await printReport(dir, terminal)));
}

/** Rebuilds a folder's report and prints its table (merge reports the merged folder so too). */
export async function printReport(dir: string, terminal: Terminal): Promise<number> {
  if (isTunedDirectory(dir)) return reportTuned(dir, terminal);
  const { data } = await writeReport(dir);
  terminal.stdout.write(`${alignedTable(comparisonTable(data, 25))}\n\nreport in ${dir}\n`);
  return EXIT.ok;
}

/** A tuned comparison: each phase's report, then the comparison over them (once the reruns have started). */
async function reportTuned(dir: string, terminal: Terminal): Promise<number> {
  const report = await rebuildTunedReport(dir);
  if (report === null) {
    terminal.stdout.write(`tuning report in ${join(dir, 'tuning')}; the reruns have not started: once every tuning trial has finished, run compare --resume ${dir}\n`);
    return EXIT.ok;
  }
  printTunedReport(report, terminal);
  terminal.stdout.write(`\nreport in ${dir} (report.html; tuning/ and rerun/ have their own)\n`);
  return EXIT.ok;
}
