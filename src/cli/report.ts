/** `adam-lab report <dir>` and `adam-lab merge <dirs...>`: tables and plots from the trials on disk. */
import { cpSync, existsSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { comparisonTable } from '../report/summary.js';
import { writeReport } from '../report/write.js';
import { isFinished, openSweepDirectory, readSweepManifest, readTrialManifest, trialDirectory } from '../runs/sweep-dir.js';
import { EXIT } from './exit-codes.js';
import { debugOption } from './options.js';
import type { Terminal } from './progress.js';
import { alignedTable } from './table.js';

async function printReport(dir: string, terminal: Terminal): Promise<number> {
  const data = await writeReport(dir);
  terminal.stdout.write(`${alignedTable(comparisonTable(data, 25))}\n\nreport in ${dir}\n`);
  return EXIT.ok;
}

export function registerReport(program: Command, terminal: Terminal, done: (code: number) => void): void {
  debugOption(program.command('report'))
    .description('rebuild summary.csv, comparison.csv/.md, the plots and report.html of a sweep or compare folder')
    .argument('<dir>', 'a folder made by adam-lab sweep or compare')
    .addHelpText('after', '\nExamples:\n  $ adam-lab report runs/mnist-mlp-adam/sweep-1a2b3c4d')
    .action(async (dir: string) => done(await printReport(dir, terminal)));

  debugOption(program.command('merge'))
    .description('gather the trials of shards (copies of one sweep folder from several machines) into one folder and report it')
    .argument('<dirs...>', 'sweep folders of the same sweep')
    .requiredOption('-o, --out <dir>', 'the merged folder (created, or added to)')
    .addHelpText('after', '\nExamples:\n  $ adam-lab merge node1/sweep-1a2b3c4d node2/sweep-1a2b3c4d --out runs/exp/sweep-1a2b3c4d')
    .action(async (dirs: string[], flags: { out: string }) => done(await merge(dirs, flags.out, terminal)));
}

/** Copies every finished trial of the shard folders into `out` (first copy wins) and reports it. */
async function merge(dirs: string[], out: string, terminal: Terminal): Promise<number> {
  const manifests = dirs.map((d) => ({ dir: d, manifest: readSweepManifest(d) }));
  const first = manifests[0].manifest;
  for (const { dir, manifest } of manifests) {
    if (manifest.id !== first.id) throw new UsageError(`${dir} holds ${manifest.kind}-${manifest.id}, not ${first.kind}-${first.id}: only shards of one sweep merge`);
  }
  openSweepDirectory(out, first);
  let copied = 0;
  for (const trial of first.trials) {
    if (isFinished(readTrialManifest(out, trial.id))) continue;
    const source = manifests.find(({ dir }) => isFinished(readTrialManifest(dir, trial.id)));
    if (source === undefined || !existsSync(trialDirectory(source.dir, trial.id))) continue;
    cpSync(trialDirectory(source.dir, trial.id), trialDirectory(out, trial.id), { recursive: true, force: true });
    copied++;
  }
  terminal.stdout.write(`merged ${copied} trial(s) into ${out}\n`);
  return printReport(out, terminal);
}
