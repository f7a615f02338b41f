/**
 * The first steps of real training on MNIST against PyTorch, through the whole CLI path:
 * IDX reading, ÷255 scaling, batching in file order, init from a safetensors file written by
 * torch, forward, loss, backward and the optimizer — compared on the steps.csv loss and lr.
 *
 * Fixtures: test/fixtures/torch/mnist_first_steps.py (run with /usr/bin/python3) wrote
 * mnist_first_steps.json and mnist_mlp_init.safetensors; CI only reads them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, writeConfig } from '../cli/run-cli.js';

interface FirstSteps {
  batch_size: number;
  steps: number;
  layers: number[];
  cases: { id: string; optimizer: Record<string, unknown>; loss: number[]; lr: number[] }[];
}

const fixtures = new URL('../fixtures/torch/', import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(fixtures, 'mnist_first_steps.json'), 'utf8')) as FirstSteps;

describe('the first MNIST steps match PyTorch', () => {
  for (const c of expected.cases) {
    it(`${c.id}: loss and lr of every step to 1e-5`, async () => {
      const config = writeConfig(`name: first-steps
data: {dataset: mnist, batch_size: ${expected.batch_size}, shuffle: false, limit: ${expected.steps * expected.batch_size}}
model:
  layers: [{linear: ${expected.layers[0]}}, relu, {linear: ${expected.layers[1]}}]
  init: {from: ${join(fixtures, 'mnist_mlp_init.safetensors')}}
optimizer: ${JSON.stringify(c.optimizer)}
train: {max_steps: ${expected.steps}}
`);
      const out = tempDir();
      const result = await runCli('train', config, '--out', out, '--quiet');
      expect(result.stderr).toBe('');
      const [runId] = readdirSync(join(out, 'first-steps')).filter((id) => id !== 'latest');
      const rows = readFileSync(join(out, 'first-steps', runId, 'steps.csv'), 'utf8').trim().split('\n').slice(1).map((r) => r.split(','));
      expect(rows).toHaveLength(expected.steps);
      rows.forEach(([, , loss, lr], i) => {
        expect(Math.abs(Number(loss) - c.loss[i])).toBeLessThanOrEqual(1e-5 * c.loss[i]);
        expect(Number(lr)).toBe(c.lr[i]);
      });
    });
  }
});
