/** `adam-lab baseline <config> --save f`: run a config's seeds and record the measured results for later checks. */
import type { Command } from 'commander';
import { z } from 'zod';
import { expandChecks, saveBaseline } from '../../lab/check.js';
import { prepareOutputFile } from '../../runs/output-path.js';
import { EXIT } from '../exit-codes.js';
import { jobsFlag, parseFlags, quietFlag, setFlag } from '../flags.js';
import { debugOption, outOption, setOption } from '../options.js';
import type { Terminal } from '../progress.js';
import { runSeedsShown } from '../seeds.js';
import { abortOnSignals, announceStop } from '../signals.js';

const baselineFlags = z.object({ set: setFlag, out: z.string(), save: z.string(), jobs: jobsFlag.optional(), quiet: quietFlag });
type BaselineFlags = z.output<typeof baselineFlags>;

export function registerBaseline(program: Command, terminal: Terminal, done: (code: number) => void): void {
  const command = program.command('baseline');
  outOption(debugOption(setOption(command)), 'runs root', 'runs')
    .description("run a config's seeds and save the measured results (and trajectories) as a baseline for check --baseline")
    .argument('<config>', 'experiment file')
    .requiredOption('--save <file>', 'where to write the baseline (JSON)')
    .option('-j, --jobs <n>', 'seeds at once (default: all of them)')
    .option('-q, --quiet', 'no progress', false)
    .addHelpText('after', '\nExamples:\n  $ adam-lab baseline configs/ci/mnist-mlp-adam.yaml --save baselines/mnist-mlp.json')
    .action(async (file: string, flags: unknown) => done(await baseline(file, parseFlags(baselineFlags, flags), terminal)));
}

async function baseline(file: string, flags: BaselineFlags, terminal: Terminal): Promise<number> {
  const [expansion] = expandChecks([file], flags.set);
  // Before the seeds train: a --save that cannot be written would otherwise lose them.
  prepareOutputFile(flags.save, { inputs: [file] });
  const signals = abortOnSignals(announceStop(terminal.stderr, 'the current steps'));
  try {
    const run = await runSeedsShown(file, expansion, { jobs: flags.jobs, out: flags.out, signal: signals.signal }, flags.quiet, terminal);
    if (run.interrupted) {
      terminal.stderr.write(`interrupted: no baseline saved (the runs so far are in ${run.dir})\n`);
      return EXIT.interrupted;
    }
    saveBaseline(flags.save, file, run);
    terminal.stdout.write(`baseline of ${file} (${run.trials.length} seeds, ${run.trials.map((t) => t.status).join(', ')}) saved to ${flags.save}\n`);
    return EXIT.ok;
  } finally {
    signals.dispose();
  }
}
