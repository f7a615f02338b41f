/** `adam-lab validate <config>`: check a config and print it resolved, every default filled in. */
import type { Command } from 'commander';
import { z } from 'zod';
import { formatConfig } from '../../config/format.js';
import { loadOptimizerPlugins } from '../../config/optimizer-plugins.js';
import { readConfigSource, resolveConfig, type DroppedOptions } from '../../config/load.js';
import { droppedNotes } from '../notes.js';
import { parseOverride } from '../../config/overrides.js';
import { initMatch, readFacts } from '../../config/validate.js';
import { requireDatasetFiles } from '../../data/registry.js';
import { planModel, summarizeModel } from '../../engine/model.js';
import { planObjective } from '../../engine/objectives/problem.js';
import { EXIT } from '../exit-codes.js';
import { parseFlags, pluginFlag, setFlag } from '../flags.js';
import { modelSummary } from '../model-summary.js';
import { debugOption, pluginOption, setOption } from '../options.js';
import { initLine, type Terminal } from '../progress.js';

const validateFlags = z.object({ set: setFlag, optimizerPlugin: pluginFlag });

export function registerValidate(program: Command, terminal: Terminal, done: (code: number) => void): void {
  const command = program.command('validate');
  debugOption(pluginOption(setOption(command)))
    .description("check a config (keys, values, that its data files exist, model shapes against the dataset's input shape and classes) and print it resolved with a summary of the model")
    .argument('<config>', 'experiment file (YAML)')
    .addHelpText('after', '\nExamples:\n  $ adam-lab validate configs/mnist-mlp-adam.yaml\n  $ adam-lab validate exp.yaml --set optimizer.name=sgd')
    .action(async (file: string, flags: unknown) => {
      const { set, optimizerPlugin } = parseFlags(validateFlags, flags);
      await loadOptimizerPlugins(optimizerPlugin);
      const source = readConfigSource(file);
      const dropped: DroppedOptions[] = [];
      const config = resolveConfig(source, set.map((s) => parseOverride(s)), dropped);
      for (const line of droppedNotes(dropped)) terminal.stderr.write(`${line}
`);
      const facts = readFacts(config, file, source);
      if (config.data !== undefined) requireDatasetFiles(config.data, file);
      const init = initMatch(config, facts);
      const initNote = init === null ? '' : `\n model.init.from ${initLine(init.file, init)}`;
      // The summary goes into the leading comment, so that the output stays a config train accepts.
      const plan = config.objective === undefined ? planModel(config.model.layers, facts.data.inputShape) : planObjective(config.objective).plan;
      const summary = modelSummary(summarizeModel(plan), plan.inputShape)
        .split('\n')
        .map((row) => `\n ${row}`)
        .join('');
      terminal.stdout.write(formatConfig(config, ` ${file}: valid; resolved with every default filled in${initNote}\n${summary}`));
      done(EXIT.ok);
    });
}
