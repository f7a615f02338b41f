/** `adam-lab optimizers [name]`: every optimizer and schedule with its options, defaults and formula. */
import type { Command } from 'commander';
import { z } from 'zod';
import { loadOptimizerPlugins } from '../../config/optimizer-plugins.js';
import { UsageError } from '../../core/errors.js';
import { ownEntry } from '../../core/keys.js';
import { allOptimizerKinds, type OptimizerKind } from '../../optim/registry.js';
import { scheduleKinds } from '../../optim/schedules.js';
import { didYouMean } from '../../config/suggest.js';
import { EXIT } from '../exit-codes.js';
import { parseFlags, pluginFlag } from '../flags.js';
import { debugOption, pluginOption } from '../options.js';
import { registerVerify } from './verify.js';
import type { Terminal } from '../progress.js';

interface OptionInfo {
  readonly key: string;
  /** "= 0.001", "(required)" or "(optional)". */
  readonly value: string;
  readonly description: string;
}

/** A default as YAML would take it: JSON, except that Infinity (prodigy's growth_rate) is not null. */
const shown = (value: unknown): string => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value));

function optionsOf(schema: z.ZodObject): OptionInfo[] {
  return Object.entries(schema.shape)
    .filter(([key]) => key !== 'name')
    .map(([key, field]) => {
      const type = field as z.ZodType;
      const parsed = type.safeParse(undefined);
      const value = !parsed.success ? '(required)' : parsed.data === undefined ? '(optional)' : `= ${shown(parsed.data)}`;
      return { key, value, description: type.description ?? '' };
    });
}

function listing(name: string, rule: string, schema: z.ZodObject): string {
  const options = optionsOf(schema).map((o) => `${o.key}${o.value.startsWith('=') ? o.value.replace('= ', '=') : ` ${o.value}`}`);
  return `  ${name.padEnd(31)} ${rule}\n  ${''.padEnd(31)} ${options.join(' ')}\n`;
}

function detail(title: string, body: string, schema: z.ZodObject): string {
  const rows = optionsOf(schema).map((o) => `  ${o.key.padEnd(26)} ${o.value.padEnd(16)} ${o.description}`.trimEnd());
  return `${title}\n\n${body}\n\noptions:\n${rows.join('\n')}\n`;
}

export function describeOptimizers(name: string | undefined): string {
  if (name === undefined) {
    const optimizers = allOptimizerKinds().map(([n, k]) => listing(n, k.rule, k.schema));
    const schedules = Object.entries(scheduleKinds).map(([n, k]) => listing(n, k.rule, k.schema));
    return `optimizers (optimizer.name; torch.optim semantics and defaults):\n${optimizers.join('')}\nschedules (scheduler.name; advanced once per optimizer step):\n${schedules.join('')}`;
  }
  const optimizer = ownEntry<OptimizerKind>(Object.fromEntries(allOptimizerKinds()), name);
  if (optimizer !== undefined) {
    const algorithm = optimizer.algorithm.split('\n').map((line) => `  ${line}`).join('\n');
    return detail(`${name} — ${optimizer.torch}`, `algorithm (g gradient, θ parameters, γ lr, λ weight_decay, t step):\n${algorithm}`, optimizer.schema);
  }
  const schedule = ownEntry(scheduleKinds, name);
  if (schedule !== undefined) return detail(`${name} — torch.optim.lr_scheduler`, `  ${schedule.rule}`, schedule.schema);
  const names = [...allOptimizerKinds().map(([n]) => n), ...Object.keys(scheduleKinds)];
  throw new UsageError(`no optimizer or schedule named '${name}'${didYouMean(name, names)}; see adam-lab optimizers`);
}

const optimizersFlags = z.object({ optimizerPlugin: pluginFlag });

export function registerOptimizers(program: Command, terminal: Terminal, done: (code: number) => void): void {
  const optimizers = program.command('optimizers');
  debugOption(pluginOption(optimizers))
    .description('list the optimizers and learning-rate schedules with their options, defaults and update rules')
    .argument('[name]', 'show one optimizer or schedule in full')
    .addHelpText(
      'after',
      '\nExamples:\n  $ adam-lab optimizers\n  $ adam-lab optimizers adam\n  $ adam-lab optimizers one_cycle_lr\n  $ adam-lab optimizers sign_momentum --optimizer-plugin examples/plugins/sign-momentum.mjs\n  $ adam-lab optimizers verify adam',
    )
    .action(async (name: string | undefined, flags: unknown) => {
      await loadOptimizerPlugins(parseFlags(optimizersFlags, flags).optimizerPlugin);
      terminal.stdout.write(describeOptimizers(name));
      done(EXIT.ok);
    });
  registerVerify(optimizers, terminal, done);
}
