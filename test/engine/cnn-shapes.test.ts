/**
 * Shape mistakes in a CNN config are reported against the config, before any data is read:
 * a ConfigError whose issue has the path ['model', 'layers', i] of the offending layer, the YAML
 * line of that layer, and a message naming the shapes involved.
 *
 * The datasets here are cifar10 or fashion-mnist with a data.path that does not exist: their
 * shapes are known without reading ([3, 32, 32], [1, 28, 28]), so getting a ConfigError about
 * shapes rather than a DataError about missing files shows that the check ran before loading.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigSource, resolveConfig } from '../../src/config/load.js';
import { layerSchema } from '../../src/config/schema.js';
import type { LayerConfig } from '../../src/engine/layers/registry.js';
import { Model, planModel } from '../../src/engine/model.js';
import { encodeSafetensors } from '../../src/engine/safetensors.js';
import { encodeModelWeights } from '../../src/engine/weights.js';
import { ConfigError, type ConfigIssue } from '../../src/core/errors.js';
import { thrown } from '../thrown.js';

const MISSING = join(tmpdir(), 'adam-lab-no-such-folder', 'data');
const CIFAR = `data: {dataset: cifar10, path: ${MISSING}}`;
const FASHION = `data: {dataset: fashion-mnist, path: ${MISSING}}`;

const issuesOf = (text: string): ConfigIssue[] => [...thrown(ConfigError, () => resolveConfig(parseConfigSource(text, 'exp.yaml'), [])).issues];

/** A config with one layer per line, so each layer's line is known. */
function config(data: string, layers: string[], extra = ''): { text: string; lineOf: (i: number) => number } {
  const head = [data, 'model:', '  layers:'];
  const text = [...head, ...layers.map((l) => `    - ${l}`), extra].join('\n') + '\n';
  return { text, lineOf: (i) => head.length + i + 1 };
}

/** Expects exactly one issue, at layer `index` (its line), and returns its message. */
function layerProblem(data: string, layers: string[], index: number): string {
  const { text, lineOf } = config(data, layers);
  const issues = issuesOf(text);
  expect(issues, JSON.stringify(issues)).toHaveLength(1);
  expect(issues[0].path).toEqual(['model', 'layers', index]);
  expect(issues[0].line).toBe(lineOf(index));
  return issues[0].problem;
}

describe('CNN shape errors are config errors at the layer', () => {
  it('a kernel larger than the padded input', () => {
    expect(layerProblem(FASHION, ['conv2d: {out_channels: 4, kernel_size: 31, padding: 1}', 'flatten', 'linear: 10'], 0)).toBe(
      'conv2d: the kernel spans 31×31 but the input is 28×28 (padded 30×30)',
    );
    // Dilation widens the span: 5 taps 8 apart cover 33 rows.
    expect(layerProblem(FASHION, ['conv2d: {out_channels: 4, kernel_size: [5, 3], dilation: [8, 1]}', 'flatten', 'linear: 10'], 0)).toBe(
      'conv2d: the kernel spans 33×3 but the input is 28×28 (padded 28×28)',
    );
    // Further down the stack, after the shape has shrunk: 32 → 16 → 8 → 4, then a 5×5 pool.
    expect(
      layerProblem(CIFAR, ['conv2d: {out_channels: 8, kernel_size: 3, stride: 2, padding: 1}', 'maxpool2d: 2', 'avgpool2d: 2', 'maxpool2d: 5', 'flatten', 'linear: 10'], 3),
    ).toBe('maxpool2d: the kernel spans 5×5 but the input is 4×4 (padded 4×4)');
  });

  it('conv2d after a flat [784] input', () => {
    expect(layerProblem(FASHION, ['flatten', 'conv2d: {out_channels: 4, kernel_size: 3}', 'flatten', 'linear: 10'], 1)).toBe(
      'conv2d needs [channels, height, width] input, got [784]',
    );
  });

  it('groups that do not divide the channels', () => {
    // 4 input channels, 6 outputs, 3 groups: 3 divides 6 but not 4.
    expect(
      layerProblem(CIFAR, ['conv2d: {out_channels: 4, kernel_size: 3}', 'conv2d: {out_channels: 6, kernel_size: 3, groups: 3}', 'flatten', 'linear: 10'], 1),
    ).toBe('conv2d: groups = 3 must divide both the 4 input and the 6 output channels');
    // 3 input channels (cifar10) and 3 groups, but 4 outputs.
    expect(layerProblem(CIFAR, ['conv2d: {out_channels: 4, kernel_size: 3, groups: 3}', 'flatten', 'linear: 10'], 0)).toBe(
      'conv2d: groups = 3 must divide both the 3 input and the 4 output channels',
    );
  });

  it('pool padding more than half the kernel (torch refuses it too)', () => {
    expect(layerProblem(FASHION, ['maxpool2d: {kernel_size: 2, padding: 2}', 'flatten', 'linear: 10'], 0)).toBe(
      'maxpool2d: padding 2×2 is more than half the kernel 2×2 (torch refuses it too)',
    );
    expect(layerProblem(CIFAR, ['avgpool2d: {kernel_size: [3, 2], padding: [1, 2]}', 'flatten', 'linear: 10'], 0)).toBe(
      'avgpool2d: padding 1×2 is more than half the kernel 3×2 (torch refuses it too)',
    );
    // Exactly half is allowed, as in torch.
    const { text } = config(CIFAR, ['maxpool2d: {kernel_size: 2, padding: 1}', 'avgpool2d: {kernel_size: 3, padding: 1}', 'flatten', 'linear: 10']);
    expect(() => resolveConfig(parseConfigSource(text, 'exp.yaml'), [])).not.toThrow();
  });

  it('batchnorm2d on a flat input, batchnorm1d on an image', () => {
    expect(layerProblem(FASHION, ['flatten', 'batchnorm2d', 'linear: 10'], 1)).toBe('batchnorm2d needs [channels, height, width] input, got [784]');
    expect(layerProblem(CIFAR, ['batchnorm1d', 'flatten', 'linear: 10'], 0)).toBe('batchnorm1d needs [features] or [channels, length] input, got [3, 32, 32]');
  });

  it('global_avg_pool and dropout2d need images too', () => {
    expect(layerProblem(FASHION, ['flatten', 'global_avg_pool', 'linear: 10'], 1)).toBe('global_avg_pool needs [channels, height, width] input, got [784]');
    expect(layerProblem(FASHION, ['flatten', 'dropout2d: 0.2', 'linear: 10'], 1)).toBe('dropout2d needs [channels, height, width] input, got [784]');
  });
});

describe('model.init.from is checked against the model, before any data is loaded', () => {
  const folder = mkdtempSync(join(tmpdir(), 'adam-lab-cnn-init-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  /** Writes the weights of `layers` on cifar10's [3, 32, 32] (encodeModelWeights) and returns the absolute path. */
  function weightsFor(name: string, layers: unknown[]): string {
    const plan = planModel(layers.map((l) => layerSchema.parse(l) as LayerConfig), [3, 32, 32]);
    const file = join(folder, name);
    writeFileSync(file, encodeModelWeights(new Model(plan, 1, 0)));
    return file;
  }

  const CONFIG_LAYERS = ['conv2d: {out_channels: 4, kernel_size: 3, padding: 1}', 'batchnorm2d', 'relu', 'maxpool2d: 2', 'flatten', 'linear: 10'];
  const initLine = (file: string): string => `  init: {from: ${file}}`;

  it('accepts the weights of the same model', () => {
    const file = weightsFor('same.safetensors', [{ conv2d: { out_channels: 4, kernel_size: 3, padding: 1 } }, 'batchnorm2d', 'relu', { maxpool2d: 2 }, 'flatten', { linear: 10 }]);
    const { text } = config(CIFAR, CONFIG_LAYERS, initLine(file));
    expect(resolveConfig(parseConfigSource(text, 'exp.yaml'), []).model!.init).toEqual({ from: file });
  });

  it('a channel mismatch: every layer whose tensors differ, with both shapes', () => {
    // The file's conv has 8 output channels; the config's has 4, so batch norm and the linear layer differ too.
    const file = weightsFor('wide.safetensors', [{ conv2d: { out_channels: 8, kernel_size: 3, padding: 1 } }, 'batchnorm2d', 'relu', { maxpool2d: 2 }, 'flatten', { linear: 10 }]);
    const { text, lineOf } = config(CIFAR, CONFIG_LAYERS, initLine(file));
    const issues = issuesOf(text);
    const at = (layer: number) => issues.filter((i) => i.path[2] === layer).map((i) => i.problem);
    expect(issues.every((i) => i.path[0] === 'model' && i.path[1] === 'layers' && i.line === lineOf(i.path[2] as number))).toBe(true);
    expect(at(0)).toEqual([
      `"0.weight" has shape [8, 3, 3, 3] in the file but [4, 3, 3, 3] in the config (model.init.from: ${file})`,
      `"0.bias" has shape [8] in the file but [4] in the config (model.init.from: ${file})`,
    ]);
    expect(at(1)).toEqual(
      ['weight', 'bias', 'running_mean', 'running_var'].map((n) => `"1.${n}" has shape [8] in the file but [4] in the config (model.init.from: ${file})`),
    );
    expect(at(5)).toEqual([
      `"5.weight" has shape [10, 2048] in the file but [10, 1024] in the config (model.init.from: ${file})`,
    ]);
    expect(issues).toHaveLength(7); // num_batches_tracked ([] I64) and 5.bias ([10]) match
  });

  it('a kernel-size mismatch at the same channel count', () => {
    const file = weightsFor('k5.safetensors', [{ conv2d: { out_channels: 4, kernel_size: 5, padding: 2 } }, 'batchnorm2d', 'relu', { maxpool2d: 2 }, 'flatten', { linear: 10 }]);
    const { text, lineOf } = config(CIFAR, CONFIG_LAYERS, initLine(file));
    expect(issuesOf(text)).toEqual([
      {
        path: ['model', 'layers', 0],
        problem: `"0.weight" has shape [4, 3, 5, 5] in the file but [4, 3, 3, 3] in the config (model.init.from: ${file})`,
        line: lineOf(0),
        column: expect.any(Number),
      },
    ]);
  });

  it('missing buffers, an extra tensor and a wrong dtype (num_batches_tracked must be I64)', () => {
    // Batch norm without running statistics has no buffers; the file has a "6.weight" the model lacks.
    const noStats = weightsFor('no-stats.safetensors', [
      { conv2d: { out_channels: 4, kernel_size: 3, padding: 1 } },
      { batchnorm2d: { track_running_stats: false } },
      'relu',
      { maxpool2d: 2 },
      'flatten',
      { linear: 10 },
    ]);
    const { text, lineOf } = config(CIFAR, CONFIG_LAYERS, initLine(noStats));
    const issues = issuesOf(text);
    expect(issues.map((i) => [i.path, i.line, i.problem])).toEqual(
      [
        ['running_mean', '[4]'],
        ['running_var', '[4]'],
        ['num_batches_tracked', '[]'],
      ].map(([n, shape]) => [['model', 'layers', 1], lineOf(1), `the file has no "1.${n}" (shape ${shape}) (model.init.from: ${noStats})`]),
    );

    const bytes = (tensors: { name: string; shape: number[]; dtype?: 'F32' | 'I64' }[]) =>
      encodeSafetensors(tensors.map((t) => ({ ...t, data: t.dtype === 'I64' ? new Float64Array(t.shape.reduce((a, b) => a * b, 1)) : new Float32Array(t.shape.reduce((a, b) => a * b, 1)) })));
    const state = [
      { name: '0.weight', shape: [4, 3, 3, 3] },
      { name: '0.bias', shape: [4] },
      { name: '1.weight', shape: [4] },
      { name: '1.bias', shape: [4] },
      { name: '1.running_mean', shape: [4] },
      { name: '1.running_var', shape: [4] },
      { name: '1.num_batches_tracked', shape: [], dtype: 'F32' as const },
      { name: '5.weight', shape: [10, 1024] },
      { name: '5.bias', shape: [10] },
      { name: '6.weight', shape: [3] },
    ];
    const odd = join(folder, 'odd.safetensors');
    writeFileSync(odd, bytes(state));
    const second = config(CIFAR, CONFIG_LAYERS, initLine(odd));
    expect(issuesOf(second.text).map((i) => [i.path, i.problem])).toEqual([
      [['model', 'layers', 1], `"1.num_batches_tracked" is F32 in the file, expected I64 (model.init.from: ${odd})`],
      [['model', 'init', 'from'], `the file has "6.weight", which the model does not (model.init.from: ${odd})`],
    ]);
  });
});
