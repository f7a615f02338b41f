/**
 * `adam-lab lr-find <config>`: the learning-rate range test (Smith 2017; fastai's lr_find) of the
 * config's model and optimizer, once per seed, with fastai's suggestions; lab/lr-find.ts runs it.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { loadOptimizerPlugins } from '../../config/optimizer-plugins.js';
import { lrFind, type SeedRange } from '../../lab/lr-find.js';
import { EXIT } from '../exit-codes.js';
import { parseFlags, pluginFlag, quietFlag, setFlag } from '../flags.js';
import { debugOption, outOption, pluginOption, setOption } from '../options.js';
import type { Terminal } from '../progress.js';
import { alignedTable } from '../table.js';

/** A positive finite number from a flag's text, with the flag named when it is not. */
const positive = (flag: string) =>
  z.string().transform((text, context) => {
    const value = Number(text);
    if (Number.isFinite(value) && value > 0) return value;
    context.addIssue({ code: 'custom', message: `--${flag} ${text}: expected a number > 0` });
    return z.NEVER;
  });

const lrFindFlags = z
  .object({
    set: setFlag,
    out: z.string(),
    quiet: quietFlag,
    optimizerPlugin: pluginFlag,
    startLr: positive('start-lr'),
    endLr: positive('end-lr'),
    numIter: z.string().regex(/^[1-9]\d*$/, '--num-iter: expected a positive integer').transform(Number),
    divergence: positive('divergence').refine((x) => x > 1, '--divergence: expected a number > 1 (a multiple of the lowest smoothed loss)'),
    beta: z.string().transform(Number).refine((b) => b >= 0 && b < 1, '--beta: expected a number in [0, 1)'),
    seeds: z
      .string()
      .regex(/^\d+(,\d+)*$/, '--seeds: expected seeds separated by commas, e.g. 0,1,2')
      .transform((text) => [...new Set(text.split(',').map(Number))]),
  })
  .refine((f) => f.startLr < f.endLr, { message: '--start-lr must be below --end-lr' });

export function registerLrFind(program: Command, terminal: Terminal, done: (code: number) => void): void {
  const command = program.command('lr-find');
  outOption(debugOption(pluginOption(setOption(command))), 'runs root; the test writes <out>/<name>/lr-find-<time>/', 'runs')
    .description('learning-rate range test (Smith 2017, fastai lr_find): raise the rate exponentially, record the smoothed loss, suggest a rate (valley, steepest descent) over seeds')
    .argument('<config>', 'experiment file (YAML); its model, data, loss and optimizer (its lr is replaced by the ramp)')
    .option('--start-lr <x>', 'first learning rate of the ramp', '1e-7')
    .option('--end-lr <x>', 'learning rate the ramp reaches after --num-iter steps', '10')
    .option('--num-iter <n>', 'steps of the ramp', '100')
    .option('--divergence <x>', 'stop once the smoothed loss exceeds this multiple of its lowest value', '4')
    .option('--beta <x>', 'smoothing of the loss (debiased exponential moving average)', '0.98')
    .option('--seeds <list>', 'seeds to repeat the test with (initialization, data order)', '0,1,2')
    .option('-q, --quiet', 'only the suggestions', false)
    .addHelpText('after', '\nExamples:\n  $ adam-lab lr-find configs/mnist-mlp-adam.yaml\n  $ adam-lab lr-find configs/mnist-mlp-adam.yaml --set optimizer.name=sgd --end-lr 100')
    .action(async (file: string, raw: unknown) => {
      const flags = parseFlags(lrFindFlags, raw);
      await loadOptimizerPlugins(flags.optimizerPlugin);
      const request = { file, set: flags.set, out: flags.out, seeds: flags.seeds, startLr: flags.startLr, endLr: flags.endLr, iterations: flags.numIter, divergence: flags.divergence, beta: flags.beta };
      const result = await lrFind(request, (seed) => {
        if (!flags.quiet) terminal.stdout.write(`${seedLine(seed)}\n`);
      });
      const shown = (x: number | null): string => (x === null ? '–' : String(Number(x.toPrecision(3))));
      const rows = result.seeds.map((s) => [String(s.seed), shown(s.suggestions?.valley ?? null), shown(s.suggestions?.steep ?? null)]);
      terminal.stdout.write(`\n${alignedTable([['seed', 'valley', 'steep'], ...rows, ['geometric mean', shown(result.combined.valley), shown(result.combined.steep)]])}\n`);
      terminal.stdout.write(`\nsuggested lr ${shown(result.combined.valley)} (valley; steepest descent at ${shown(result.combined.steep)})\nresults in ${result.dir} (lr-find.svg, lr-find.csv, suggestions.csv)\n`);
      done(result.combined.valley === null ? EXIT.failed : EXIT.ok);
    });
}

function seedLine({ seed, range }: SeedRange): string {
  const last = range.points.at(-1);
  const why = { iterations: 'all steps run', diverged: 'smoothed loss diverged', 'non-finite': 'loss not finite' }[range.stop];
  return `seed ${seed}: ${range.points.length} steps, ${why}${last === undefined ? '' : ` at lr ${Number(last.lr.toPrecision(3))}`}`;
}
