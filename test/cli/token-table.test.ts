/**
 * An embedding that reads a text's token ids must have a row for every character of the
 * vocabulary: a smaller table is bad input (exit 2, the key at its line:column) before training,
 * not an error at the first id past the table.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, writeConfig } from './run-cli.js';

function lstmConfig(numEmbeddings: number): string {
  const file = join(tempDir(), 'tiny.txt');
  writeFileSync(file, 'the cat sat on the hat. '.repeat(40)); // 10 distinct characters
  return writeConfig(`name: tiny-lstm
data: {dataset: text, path: ${JSON.stringify(file)}, block_size: 8, batch_size: 8}
model:
  layers:
    - embedding: {num_embeddings: ${numEmbeddings}, embedding_dim: 4}
    - lstm: 6
    - linear: 10
train: {epochs: 1}
`);
}

describe('an embedding over a text', () => {
  it('with fewer rows than the vocabulary has characters is reported at num_embeddings (validate and train exit 2)', async () => {
    const config = lstmConfig(6);
    for (const command of [['validate'], ['train', '--out', tempDir()]]) {
      const result = await runCli(command[0], config, ...command.slice(1));
      expect(result.code, command[0]).toBe(2);
      expect(result.stderr.trim(), command[0]).toBe(`${config}:5:35 model.layers.0.embedding.num_embeddings: 6 rows cannot look up the text's 10 characters: needs at least 10`);
    }
  });

  it('with a row per character trains', async () => {
    const result = await runCli('train', lstmConfig(10), '--out', tempDir(), '--quiet');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
