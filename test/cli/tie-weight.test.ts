/**
 * Weight tying from a config: a tied run resumes from its checkpoint exactly (the tensor stays one,
 * saved once under the embedding's name), and a tie that cannot hold is refused at its key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigSource, resolveConfig } from '../../src/config/load.js';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { runExperiment } from '../../src/train/experiment.js';
import { runCli, tempDir, writeConfig } from './run-cli.js';

function tiedConfig(layers: string): string {
  return writeConfig(`name: tied
seed: 3
data: {dataset: text, corpus: names, block_size: 8, batch_size: 16, validation: 0.01, test: 0.01}
model:
  layers:
${layers}
optimizer: {name: adamw, lr: 0.01}
train: {max_steps: 12, checkpoint_every: 4}
`);
}

const TIED = `    - embedding: {num_embeddings: 28, embedding_dim: 16}
    - lstm: 16
    - linear: {out_features: 28, bias: false, tie_weight: 0}`;

/** steps.csv without its `seconds` column. */
function stepsWithoutSeconds(runDir: string): string {
  return readFileSync(join(runDir, 'steps.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(',').slice(0, -1).join(','))
    .join('\n');
}

describe('linear: {tie_weight: <embedding index>} from a config', () => {
  it('saves the tied tensor once, and a run resumed from its checkpoint ends as the whole run', async () => {
    const file = tiedConfig(TIED);
    const config = resolveConfig(readConfigSource(file), []);
    const whole = await runExperiment(config, { configFile: file, outRoot: join(tempDir(), 'runs') });
    const names = decodeSafetensors(readFileSync(join(whole.runDir, 'model.safetensors')), 'model.safetensors').map((t) => t.name);
    expect(names).toContain('0.weight');
    expect(names.some((name) => name.startsWith('2.'))).toBe(false);

    const controller = new AbortController();
    const interrupted = await runExperiment(config, {
      configFile: file,
      outRoot: join(tempDir(), 'runs'),
      signal: controller.signal,
      // Aborted as it starts, so that it stops after its first step whatever the machine's speed
      // (progress events come at time intervals): the checkpoint is written as it stops.
      onEvent: (event) => {
        if (event.type === 'start') controller.abort();
      },
    });
    expect(interrupted.status).toBe('interrupted');
    const resumed = await runExperiment(config, { configFile: file, runDir: interrupted.runDir, resume: true });
    expect(resumed.status).toBe('completed');
    expect(stepsWithoutSeconds(resumed.runDir)).toBe(stepsWithoutSeconds(whole.runDir));
    expect(Buffer.compare(readFileSync(join(resumed.runDir, 'model.safetensors')), readFileSync(join(whole.runDir, 'model.safetensors')))).toBe(0);
  });

  it.each([
    ['an index that is not an embedding', TIED.replace('tie_weight: 0', 'tie_weight: 1'), /:8:\d+ model\.layers\.2\.linear\.tie_weight: is 1, a lstm layer: it must name an embedding/],
    ['a later layer', TIED.replace('tie_weight: 0', 'tie_weight: 2'), /:8:\d+ model\.layers\.2\.linear\.tie_weight: is 2: it must name an embedding before this layer \(index < 2\)/],
    ['another shape', TIED.replace('lstm: 16', 'lstm: 12'), /:8:\d+ model\.layers\.2\.linear\.tie_weight: ties a weight \[28, 12\] to embedding 0's \[28, 16\]/],
    ['a layer inside a residual block', TIED.replace('- lstm: 16', '- residual: [{linear: {out_features: 16, tie_weight: 0}}]'), /:7:\d+ model\.layers\.1: residual layer 0: tie_weight ties a layer of model\.layers itself, not one inside a residual block/],
  ])('refuses %s at its key, with exit code 2', async (_label, layers, message) => {
    const refused = await runCli('validate', tiedConfig(layers));
    expect(refused.stderr).toMatch(message);
    expect(refused.code).toBe(2);
  });
});
