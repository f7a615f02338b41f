/**
 * `adam-lab optimizers verify <name|plugin-file>`: the battery of lab/verify.ts on one optimizer,
 * as a table (one row per check: pass, fail or info, the figure, why it failed). Exit 1 when a
 * check fails.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadOptimizerPlugins } from '../../config/optimizer-plugins.js';
import { UsageError } from '../../core/errors.js';
import { verifyOptimizer, type VerifyCheck } from '../../lab/verify.js';
import { allOptimizerKinds } from '../../optim/registry.js';
import { didYouMean } from '../../config/suggest.js';
import { EXIT } from '../exit-codes.js';
import { parseFlags, pluginFlag } from '../flags.js';
import { debugOption, pluginOption } from '../options.js';
import type { Terminal } from '../progress.js';
import { alignedTable } from '../table.js';

const verifyFlags = z.object({ optimizerPlugin: pluginFlag });

export function registerVerify(optimizers: Command, terminal: Terminal, done: (code: number) => void): void {
  debugOption(pluginOption(optimizers.command('verify')))
    .description('check an optimizer (a name, or a plugin file): determinism across threads, checkpoint round-trip, convergence, divergence')
    .argument('<optimizer>', 'a built-in name, a plugin name (with --optimizer-plugin), or a plugin file')
    .addHelpText('after', '\nExamples:\n  $ adam-lab optimizers verify adam\n  $ adam-lab optimizers verify examples/plugins/sign-momentum.mjs')
    .action(async (target: string, flags: unknown) => done(await verify(target, parseFlags(verifyFlags, flags).optimizerPlugin, terminal)));
}

/** A target that names a file is a plugin to load; anything else is an optimizer's name. */
function isFile(target: string): boolean {
  return /\.(mjs|js)$/.test(target) || target.includes('/') || existsSync(target);
}

async function verify(target: string, pluginFiles: readonly string[], terminal: Terminal): Promise<number> {
  const file = isFile(target);
  const records = await loadOptimizerPlugins(file ? [...pluginFiles, target] : pluginFiles);
  const name = file ? records.at(-1)!.name : target;
  const names = allOptimizerKinds().map(([n]) => n);
  if (!names.includes(name)) throw new UsageError(`no optimizer named '${name}'${didYouMean(name, names)}; give a plugin file, or its name with --optimizer-plugin`);
  const scratch = mkdtempSync(join(tmpdir(), 'adam-lab-verify-'));
  try {
    terminal.stderr.write(`verifying ${name} (training runs in ${scratch})\n`);
    const checks = await verifyOptimizer(name, scratch);
    terminal.stdout.write(`${verifyTable(name, checks)}\n`);
    const failed = checks.filter((c) => c.verdict === 'fail').length;
    terminal.stdout.write(failed === 0 ? `${name}: every check passed\n` : `${name}: ${failed} check(s) failed\n`);
    return failed === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function verifyTable(name: string, checks: readonly VerifyCheck[]): string {
  const rows = checks.map((c) => [c.check, c.verdict === 'fail' ? 'FAIL' : c.verdict, c.figure, c.reason ?? '']);
  return `${name}\n${alignedTable([['check', 'result', 'figure', 'reason'], ...rows])}`;
}
