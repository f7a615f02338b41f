/**
 * model.init with strict: false (torch's load_state_dict(strict=False)) and exclude: a network
 * trained on one task carried over to another with a new head, through the CLI.
 */
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, type NamedTensor } from '../../src/engine/safetensors.js';
import { runCli, tempDir, writeConfig } from './run-cli.js';

/** The pre-training: a 2-class MLP on moons, whose weights every test below starts from. */
const PRETRAIN = `name: pretrain
data: {dataset: synthetic, task: moons, n_train: 200, n_test: 100, batch_size: 32}
model:
  layers: [{linear: 16}, tanh, {linear: 2}]
train: {epochs: 2}
`;

/** A 3-class task on the same inputs: the body (0.*) carries over, the head (2.*) has another shape. */
function finetune(layers: string, init: string, extra = ''): string {
  return `name: finetune
data: {dataset: synthetic, task: spirals, classes: 3, n_train: 120, n_test: 60, batch_size: 32}
model:
  layers: ${layers}
  init: ${init}
train: {epochs: 1}
${extra}`;
}

const NEW_HEAD = '[{linear: 16}, tanh, {linear: 3}]';

function onlyRun(out: string, name: string): string {
  const ids = readdirSync(join(out, name)).filter((id) => id !== 'latest');
  expect(ids).toHaveLength(1);
  return join(out, name, ids[0]);
}

function tensorsOf(file: string): Map<string, NamedTensor> {
  return new Map(decodeSafetensors(readFileSync(file), file).map((t) => [t.name, t]));
}

const bits = (t: NamedTensor | undefined): number[] => Array.from(new Uint32Array(new Float32Array(t!.data).buffer));

describe('model.init with strict: false', () => {
  let pretrained: string;
  /** A config written beside a copy of the pre-trained weights, read as `start.safetensors`. */
  const besideWeights = (text: string): string => {
    const config = writeConfig(text);
    copyFileSync(pretrained, join(dirname(config), 'start.safetensors'));
    return config;
  };

  beforeAll(async () => {
    const out = tempDir();
    const result = await runCli('train', writeConfig(PRETRAIN), '--out', out, '--quiet');
    expect(result.code).toBe(0);
    pretrained = join(onlyRun(out, 'pretrain'), 'model.safetensors');
  });

  it('loads the body bit for bit, leaves the new head fresh and says so at validation, at the start and in the manifest', async () => {
    const frozenBody = 'optimizer: {name: adam, lr: 0.01, param_groups: [{params: ["0.*"], frozen: true}]}\n';
    const config = besideWeights(finetune(NEW_HEAD, '{from: start.safetensors, strict: false, exclude: ["2.*"]}', frozenBody));
    const weights = join(dirname(config), 'start.safetensors');
    const report = `${weights}: loaded 0.weight, 0.bias; fresh 2.weight, 2.bias; ignored 2.weight, 2.bias`;

    const validated = await runCli('validate', config);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain(`# model.init.from ${report}\n`);

    const out = tempDir();
    const trained = await runCli('train', config, '--out', out);
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    expect(trained.stdout).toContain(`init    ${report}\n`);
    const dir = onlyRun(out, 'finetune');
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).init).toEqual({
      from: weights,
      strict: false,
      loaded: ['0.weight', '0.bias'],
      fresh: ['2.weight', '2.bias'],
      ignored: ['2.weight', '2.bias'],
    });
    // The frozen body is the file's, bit for bit; the head trained from its own fresh init.
    const before = tensorsOf(pretrained);
    const after = tensorsOf(join(dir, 'model.safetensors'));
    for (const name of ['0.weight', '0.bias']) expect(bits(after.get(name))).toEqual(bits(before.get(name)));
    expect(after.get('2.weight')!.shape).toEqual([3, 16]);
    // The stored config reruns: the init block keeps strict and exclude, its path made absolute.
    expect(readFileSync(join(dir, 'config.yaml'), 'utf8')).toContain(`  init:\n    from: ${weights}\n    strict: false\n    exclude: [ 2.* ]\n`);
  });

  it('initialises fresh the tensors the file lacks, and ignores the ones the model lacks', async () => {
    // The file's head 2.* fits the new layer 2; layer 4 is new.
    const deeper = '[{linear: 16}, tanh, {linear: 2}, tanh, {linear: 3}]';
    const config = besideWeights(finetune(deeper, '{from: start.safetensors, strict: false}'));
    const out = tempDir();
    expect((await runCli('train', config, '--out', out, '--quiet')).code).toBe(0);
    const init = JSON.parse(readFileSync(join(onlyRun(out, 'finetune'), 'manifest.json'), 'utf8')).init;
    expect(init).toMatchObject({ loaded: ['0.weight', '0.bias', '2.weight', '2.bias'], fresh: ['4.weight', '4.bias'], ignored: [] });

    const shallow = besideWeights(finetune('[{linear: 3}]', '{from: start.safetensors, strict: false, exclude: ["0.*"]}'));
    const validated = await runCli('validate', shallow);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain(': fresh 0.weight, 0.bias; ignored 0.weight, 0.bias, 2.weight, 2.bias\n');
  });

  it('refuses a tensor of another shape at exit 2, naming it, as torch does even with strict=False', async () => {
    const config = besideWeights(finetune(NEW_HEAD, '{from: start.safetensors, strict: false}'));
    const result = await runCli('train', config, '--out', tempDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/model\.layers\.2: "2\.weight" has shape \[2, 16\] in the file but \[3, 16\] in the config/);
    expect(result.stderr).toMatch(/model\.layers\.2: "2\.bias" has shape \[2\] in the file but \[3\] in the config/);
  });

  it('by default (strict) still refuses a tensor the file lacks, an excluded one included', async () => {
    const deeper = besideWeights(finetune('[{linear: 16}, tanh, {linear: 2}, tanh, {linear: 3}]', '{from: start.safetensors}'));
    const missing = await runCli('train', deeper, '--out', tempDir());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/model\.layers\.4: the file has no "4\.weight" \(shape \[3, 2\]\)/);

    const excluded = besideWeights(finetune(NEW_HEAD, '{from: start.safetensors, exclude: ["2.*"]}'));
    const strict = await runCli('validate', excluded);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/model\.layers\.2: "2\.weight" is excluded \(model\.init\.exclude\), and strict loading needs every tensor: set model\.init\.strict: false/);
  });

  it('refuses an exclude pattern that matches no tensor of the file, at its line:column', async () => {
    const config = besideWeights(finetune(NEW_HEAD, '{from: start.safetensors, strict: false, exclude: ["head.*"]}'));
    const result = await runCli('validate', config);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/:5:60 model\.init\.exclude\.0: 'head\.\*' matches no tensor of .*start\.safetensors, which holds 0\.weight, 0\.bias, 2\.weight, 2\.bias/);
  });

  it('configs/finetune-fashion.yaml: every variant resolves against the shipped pre-trained weights', async () => {
    const result = await runCli('compare', 'configs/finetune-fashion.yaml', '--dry-run', '--out', tempDir());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^12 trials/);
    for (const variant of ['scratch', 'frozen-body', 'body-0.1x', 'full']) expect(result.stdout).toContain(` ${variant} `);
  });
});
