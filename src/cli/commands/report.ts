/** `adam-lab report <dir>`: tables, plots and report.html rebuilt from the trials on disk. */
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { rebuildTunedReport } from '../../lab/tuned.js';
import { DEFAULT_PLOT_OPTIONS, X_AXES, type PlotOptions } from '../../report/options.js';
import { comparisonTable } from '../../report/summary.js';
import { RESULT_METRICS } from '../../runs/run-reader.js';
import { writeReport } from '../../report/write.js';
import { isTunedDirectory } from '../../runs/sweep-dir.js';
import { EXIT } from '../exit-codes.js';
import { parseFlags } from '../flags.js';
import { debugOption } from '../options.js';
import type { Terminal } from '../progress.js';
import { printTunedReport } from '../protocol.js';
import { alignedTable } from '../table.js';

export function registerReport(program: Command, terminal: Terminal, done: (code: number) => void): void {
  debugOption(program.command('report'))
    .description('rebuild summary.csv, comparison.csv/.md, the plots and report.html of a sweep, compare or tuned-comparison folder')
    .argument('<dir>', 'a folder made by adam-lab sweep or compare (also --protocol tuned)')
    .option('--smoothing <weight>', "loss curves: weight of the debiased EMA, 0 (raw) to 0.99, as TensorBoard's slider", String(DEFAULT_PLOT_OPTIONS.smoothing))
    .addOption(new Option('--x-axis <axis>', 'what the curves run along (default: loss by step, evaluations by epoch)').choices(X_AXES))
    .option('--heatmap-metric <metric>', 'what the heatmap colours by, a comparison.csv metric such as final_train_loss (default: the ranking metric)')
    .option('--png', 'also write plots/*.png (needs rsvg-convert)', false)
    .addHelpText('after', '\nExamples:\n  $ adam-lab report runs/mnist-mlp-adam/sweep-1a2b3c4d --x-axis seconds --png\n  $ adam-lab report runs/fair-compare-mnist/tuned-1a2b3c4d')
    .action(async (dir: string, flags: unknown) => done(await printReport(dir, terminal, parseFlags(reportFlags, flags))));
}

/** The plot options, as report's flags give them (report/options.ts says what each does). */
const reportFlags = z
  .object({
    smoothing: z.string().transform((text, context) => {
      const weight = Number(text);
      if (text.trim() !== '' && weight >= 0 && weight < 1) return weight;
      context.addIssue({ code: 'custom', message: `--smoothing ${text}: expected a number from 0 (no smoothing) up to, not including, 1` });
      return z.NEVER;
    }),
    xAxis: z.enum(X_AXES).optional(),
    heatmapMetric: z
      .string()
      .refine((m) => (RESULT_METRICS as readonly string[]).includes(m) || /^(steps|seconds)_to_[a-z_]+$/.test(m), {
        error: (issue) => `--heatmap-metric ${String(issue.input)}: expected a metric of comparison.csv: ${RESULT_METRICS.join(', ')}, steps_to_<target> or seconds_to_<target>`,
      })
      .optional(),
    png: z.boolean(),
  })
  .transform((f): PlotOptions => ({ smoothing: f.smoothing, xAxis: f.xAxis ?? null, heatmapMetric: f.heatmapMetric ?? null, png: f.png }));

/** Rebuilds a folder's report and prints its table (merge reports the merged folder so too). */
export async function printReport(dir: string, terminal: Terminal, options: PlotOptions = DEFAULT_PLOT_OPTIONS): Promise<number> {
  if (isTunedDirectory(dir)) return reportTuned(dir, terminal, options);
  const { data } = await writeReport(dir, options);
  terminal.stdout.write(`${alignedTable(comparisonTable(data, 25))}\n\nreport in ${dir}\n`);
  return EXIT.ok;
}

/** A tuned comparison: each phase's report, then the comparison over them (once the reruns have started). */
async function reportTuned(dir: string, terminal: Terminal, options: PlotOptions): Promise<number> {
  const report = await rebuildTunedReport(dir, options);
  if (report === null) {
    terminal.stdout.write(`tuning report in ${join(dir, 'tuning')}; the reruns have not started: once every tuning trial has finished, run compare --resume ${dir}\n`);
    return EXIT.ok;
  }
  printTunedReport(report, terminal);
  terminal.stdout.write(`\nreport in ${dir} (report.html; tuning/ and rerun/ have their own)\n`);
  return EXIT.ok;
}
