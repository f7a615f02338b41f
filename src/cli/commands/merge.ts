/** `adam-lab merge <dirs...> --out dir`: the trials of shards gathered into one folder (runs/merge.ts), then its report. */
import type { Command } from 'commander';
import { z } from 'zod';
import { mergeShards } from '../../runs/merge.js';
import { parseFlags } from '../flags.js';
import { debugOption, outOption } from '../options.js';
import type { Terminal } from '../progress.js';
import { printReport } from './report.js';

const mergeFlags = z.object({ out: z.string() });

export function registerMerge(program: Command, terminal: Terminal, done: (code: number) => void): void {
  outOption(debugOption(program.command('merge')), 'the merged folder (created, or added to)')
    .description('gather the trials of shards (copies of one sweep folder from several machines) into one folder and report it')
    .argument('<dirs...>', 'sweep folders of the same sweep')
    .addHelpText('after', '\nExamples:\n  $ adam-lab merge node1/sweep-1a2b3c4d node2/sweep-1a2b3c4d --out runs/exp/sweep-1a2b3c4d')
    .action(async (dirs: string[], flags: unknown) => done(await merge(dirs, parseFlags(mergeFlags, flags).out, terminal)));
}

async function merge(dirs: string[], out: string, terminal: Terminal): Promise<number> {
  const copied = mergeShards(dirs, out);
  terminal.stdout.write(`merged ${copied} trial(s) into ${out}\n`);
  return printReport(out, terminal);
}
