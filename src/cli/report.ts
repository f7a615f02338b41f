/** `adam-lab report <dir>` and `adam-lab merge <dirs...>`: tables and plots from the trials on disk. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { comparisonTable } from '../report/summary.js';
import { tunedChoices, writeTunedReport } from '../report/tuned.js';
import { writeReport } from '../report/write.js';
import { mergeShards } from '../runs/merge.js';
import { isTunedDirectory, readTunedManifest, SWEEP_FILE } from '../runs/sweep-dir.js';
import { EXIT } from './exit-codes.js';
import { debugOption, outOption } from './options.js';
import { printTunedReport } from './protocol.js';
import type { Terminal } from './progress.js';
import { alignedTable } from './table.js';

async function printReport(dir: string, terminal: Terminal): Promise<number> {
  if (isTunedDirectory(dir)) return reportTuned(dir, terminal);
  const { data } = await writeReport(dir);
  terminal.stdout.write(`${alignedTable(comparisonTable(data, 25))}\n\nreport in ${dir}\n`);
  return EXIT.ok;
}

/** A tuned comparison: each phase's report, then the comparison over them (once the reruns have started). */
async function reportTuned(dir: string, terminal: Terminal): Promise<number> {
  const manifest = readTunedManifest(dir);
  const tuning = (await writeReport(join(dir, 'tuning'))).data;
  if (!existsSync(join(dir, 'rerun', SWEEP_FILE))) {
    terminal.stdout.write(`tuning report in ${join(dir, 'tuning')}; the reruns have not started: once every tuning trial has finished, run compare --resume ${dir}\n`);
    return EXIT.ok;
  }
  const rerun = await writeReport(join(dir, 'rerun'));
  printTunedReport(await writeTunedReport(dir, manifest, tuning, tunedChoices(manifest, tuning), rerun), terminal);
  terminal.stdout.write(`\nreport in ${dir} (report.html; tuning/ and rerun/ have their own)\n`);
  return EXIT.ok;
}

export function registerReport(program: Command, terminal: Terminal, done: (code: number) => void): void {
  debugOption(program.command('report'))
    .description('rebuild summary.csv, comparison.csv/.md, the plots and report.html of a sweep, compare or tuned-comparison folder')
    .argument('<dir>', 'a folder made by adam-lab sweep or compare (also --protocol tuned)')
    .addHelpText('after', '\nExamples:\n  $ adam-lab report runs/mnist-mlp-adam/sweep-1a2b3c4d\n  $ adam-lab report runs/fair-compare-mnist/tuned-1a2b3c4d')
    .action(async (dir: string) => done(await printReport(dir, terminal)));

  outOption(debugOption(program.command('merge')), 'the merged folder (created, or added to)')
    .description('gather the trials of shards (copies of one sweep folder from several machines) into one folder and report it')
    .argument('<dirs...>', 'sweep folders of the same sweep')
    .addHelpText('after', '\nExamples:\n  $ adam-lab merge node1/sweep-1a2b3c4d node2/sweep-1a2b3c4d --out runs/exp/sweep-1a2b3c4d')
    .action(async (dirs: string[], flags: { out: string }) => done(await merge(dirs, flags.out, terminal)));
}

/** Gathers the shards into `out` and reports it. */
async function merge(dirs: string[], out: string, terminal: Terminal): Promise<number> {
  const copied = mergeShards(dirs, out);
  terminal.stdout.write(`merged ${copied} trial(s) into ${out}\n`);
  return printReport(out, terminal);
}
