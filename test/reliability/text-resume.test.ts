/**
 * A text run resumes exactly (DESIGN.md, checkpoints): killed between the renames that replace
 * checkpoint/, then `train --resume`d, it ends with the uninterrupted run's steps.csv and
 * epochs.csv (apart from `seconds`) and model.safetensors. Random windows (each epoch cut at an
 * offset drawn from the seed and the epoch), shuffling, attention dropout and AdamW all carry over.
 * A resumed run whose text now gives other ids is refused by name.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderWith, manifestOf, onlyFolder, spawnAdamLab } from './harness.js';

function withoutSeconds(file: string): string {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const at = lines[0].split(',').indexOf('seconds');
  return lines.map((line) => line.split(',').filter((_, i) => i !== at).join(',')).join('\n');
}

describe('a character model killed and resumed', () => {
  it('ends with the files of the uninterrupted run, and refuses a text that changed', async () => {
    const { folder, config, out } = folderWith('');
    const text = join(folder, 'text.txt');
    writeFileSync(text, 'the whale, the sea and the ship. '.repeat(30));
    writeFileSync(
      config,
      `name: text-resumed
seed: 5
data: {dataset: text, path: ${JSON.stringify(text)}, block_size: 8, batch_size: 8}
model:
  layers:
    - embedding: {num_embeddings: 14, embedding_dim: 8}
    - residual: [layernorm, {causal_self_attention: {num_heads: 2, dropout: 0.1}}]
    - linear: 14
optimizer: {name: adamw, lr: 0.01}
train: {epochs: 3, checkpoint_every: 7}
`,
    );
    const reference = await spawnAdamLab(['train', config, '--out', join(out, 'reference'), '-q']);
    expect(reference.code, reference.stderr).toBe(0);
    const referenceDir = onlyFolder(join(out, 'reference', 'text-resumed'));
    const killed = await spawnAdamLab(['train', config, '--out', join(out, 'killed'), '-q'], {
      faults: { kill: { event: 'rename', match: '/checkpoint$', torn: false, nth: 2, counter: join(folder, 'counter') } },
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const dir = onlyFolder(join(out, 'killed', 'text-resumed'));
    const resumed = await spawnAdamLab(['train', '--resume', dir, '-q']);
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const file of ['steps.csv', 'epochs.csv']) expect(withoutSeconds(join(dir, file)), file).toBe(withoutSeconds(join(referenceDir, file)));
    expect(Buffer.compare(readFileSync(join(dir, 'model.safetensors')), readFileSync(join(referenceDir, 'model.safetensors')))).toBe(0);
    expect(manifestOf(dir)?.status).toBe('completed');

    writeFileSync(text, 'the whale, the sea and the ship! '.repeat(30));
    const changed = await spawnAdamLab(['train', '--resume', dir, '--restart', '-q']);
    expect(changed.code).toBe(0); // a restart starts over with the new text
    writeFileSync(text, 'THE WHALE, THE SEA AND THE SHIP. '.repeat(30));
    const other = await spawnAdamLab(['train', '--resume', dir, '-q']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/vocab\.json: differs from the vocabulary of the text the config reads now/);
  }, 120_000);
});
