import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, writeConfig } from './run-cli.js';

/** A tiny character model on a generated text: trains in a second, then samples. */
function charConfig(text: string, head = 'linear: 10'): string {
  const dir = tempDir();
  const file = join(dir, 'tiny.txt');
  writeFileSync(file, text);
  return writeConfig(`name: tiny-charlm
seed: 0
data: {dataset: text, path: ${JSON.stringify(file)}, block_size: 8, batch_size: 8}
model:
  layers:
    - embedding: {num_embeddings: 10, embedding_dim: 8}
    - position_embedding: 8
    - residual: [layernorm, causal_self_attention: 2]
    - residual: [layernorm, linear: 16, gelu, linear: 8]
    - layernorm
    - ${head}
optimizer: {name: adamw, lr: 0.01}
train: {epochs: 5}
`);
}

const TEXT = 'the cat sat on the hat. '.repeat(40); // 10 distinct characters

function onlyRun(out: string, name: string): string {
  const ids = readdirSync(join(out, name)).filter((id) => id !== 'latest');
  expect(ids).toHaveLength(1);
  return join(out, name, ids[0]);
}

describe('a character language model from the command line', () => {
  it('trains, keeps its vocabulary with the run, and samples the same text for the same seed', async () => {
    const out = tempDir();
    const trained = await runCli('train', charConfig(TEXT), '--out', out, '--quiet');
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    const run = onlyRun(out, 'tiny-charlm');
    expect(JSON.parse(readFileSync(join(run, 'vocab.json'), 'utf8'))).toEqual({ characters: [' ', '.', 'a', 'c', 'e', 'h', 'n', 'o', 's', 't'].filter((c) => TEXT.includes(c)) });
    const epochs = readFileSync(join(run, 'epochs.csv'), 'utf8').trim().split('\n');
    expect(epochs[0]).toBe('epoch,step,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy,seconds,train_bpc,val_bpc,test_bpc');
    const last = epochs[epochs.length - 1].split(',');
    // Bits per character are the losses in nats over ln 2.
    for (const [nats, bits] of [[2, 9], [4, 10], [6, 11]]) expect(Number(last[bits])).toBeCloseTo(Number(last[nats]) / Math.LN2, 6);
    // The repeated sentence is learnt: next-character accuracy over every position well above chance.
    expect(Number(last[5])).toBeGreaterThan(0.5);
    const sample = (seed: string) => runCli('sample', run, '--prompt', 'the ', '--tokens', '40', '--temperature', '0.8', '--seed', seed);
    const [a, b, c] = [await sample('0'), await sample('0'), await sample('1')];
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.startsWith('the ')).toBe(true);
    expect(a.stdout.endsWith('\n')).toBe(true);
    expect(Array.from(a.stdout.slice(0, -1))).toHaveLength(44);
    expect(c.stdout).not.toBe(a.stdout);
  });

  it('says which characters a prompt may use, and that a head must score every character at every position', async () => {
    const out = tempDir();
    await runCli('train', charConfig(TEXT), '--out', out, '--quiet', '--set', 'train.epochs=1');
    const unknown = await runCli('sample', onlyRun(out, 'tiny-charlm'), '--prompt', 'DOG');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--prompt: "D" is not one of the run's 10 characters/);
    const config = charConfig(TEXT, 'linear: 5');
    const wrongHead = await runCli('train', config, '--out', tempDir());
    expect(wrongHead.code).toBe(2);
    expect(wrongHead.stderr).toMatch(new RegExp(`^${config}:11:7 model\\.layers\\.5: the model gives 40 output\\(s\\) per sample but the text needs \\[8, 10\\]`));
  });
});

describe('the names task (data.corpus: names) from the command line', () => {
  it('trains briefly and samples names, one per line, from a newline prompt', async () => {
    const out = tempDir();
    const config = writeConfig(`name: tiny-names
seed: 0
data: {dataset: text, corpus: names, block_size: 8, batch_size: 32}
model:
  layers:
    - embedding: {num_embeddings: 28, embedding_dim: 16}
    - lstm: {hidden_size: 32}
    - linear: 28
optimizer: {name: adam, lr: 0.01}
train: {max_steps: 60, eval_every: 60}
`);
    const trained = await runCli('train', config, '--out', out, '--quiet');
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    const run = onlyRun(out, 'tiny-names');
    expect(JSON.parse(readFileSync(join(run, 'vocab.json'), 'utf8')).characters).toEqual(['\n', '-', ...'abcdefghijklmnopqrstuvwxyz']);
    const sample = await runCli('sample', run, '--prompt', '\n', '--tokens', '200', '--temperature', '0.8', '--seed', '0');
    expect(sample.code).toBe(0);
    expect(sample).toEqual(await runCli('sample', run, '--prompt', '\n', '--tokens', '200', '--temperature', '0.8', '--seed', '0'));
    // Between the prompt's newline and the last, unfinished line: whole names.
    const names = sample.stdout.split('\n').slice(1, -2);
    for (const name of names) expect(name).toMatch(/^[a-z-]*$/);
    // An untrained model ends a line once in 28 characters; names are about 6 long.
    const meanLength = names.join('').length / names.length;
    expect(meanLength).toBeGreaterThan(3);
    expect(meanLength).toBeLessThan(10);
  });

  it('refuses corpus: names beside a path at the key, with exit code 2', async () => {
    const config = writeConfig(`name: both
data: {dataset: text, corpus: names, path: names.txt}
model: {layers: [{embedding: {num_embeddings: 28, embedding_dim: 4}}, {linear: 28}]}
optimizer: sgd
`);
    const refused = await runCli('validate', config);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`^${config}:2:\\d+ data\\.corpus: names a bundled text, and path names a file: give one of them`));
  });
});
