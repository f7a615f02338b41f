import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './run-cli.js';

/**
 * A problem whose best learning rate is known: fit y = 2x with one weight and MSE on x ∈ {−1, 1},
 * full-batch gradient descent. The loss is (w − 2)², curvature h = 2, so plain GD from any start
 * lands on w = 2 in one step exactly when lr = 1/h = 0.5. In 40 steps the grid's other rates do
 * worse: 0.03125 and 0.125 shrink the error by 0.94 and 0.75 a step, 2 triples it and 8
 * multiplies it by 15 until the weight overflows float32 (diverged).
 */
function quadraticConfig(): string {
  const folder = tempDir();
  const rows = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? '-1,-2' : '1,2'));
  writeFileSync(join(folder, 'line.csv'), `x,y\n${rows.join('\n')}\n`);
  const config = join(folder, 'exp.yaml');
  writeFileSync(
    config,
    `name: quadratic
data: {dataset: csv, csv: {train: line.csv, test: line.csv, label: y}, batch_size: 36, shuffle: false, validation: 0.1}
model: {layers: [{linear: {out_features: 1, bias: false}}]}
loss: mse
train: {max_steps: 40}
compare:
  gd: {optimizer: {name: sgd}}
protocol:
  tune: {metric: val_loss, budget: 5, space: {optimizer.lr: {log_uniform: [0.03125, 8.0]}}}
  rerun: {seeds: 3}
`,
  );
  return config;
}

describe('compare --protocol tuned', () => {
  it('picks the true best learning rate of a known quadratic, on validation data', async () => {
    const out = tempDir();
    const result = await runCli('compare', quadraticConfig(), '--out', out, '--quiet');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/3 tuning trials|5 tuning trials/);
    const [folder] = result.stdout.match(/\/\S*tuned-[0-9a-f]{8}/)!;
    const rows = parse(readFileSync(join(folder, 'comparison.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(1);
    expect(Number(rows[0]['tuned_optimizer.lr'])).toBe(0.5);
    expect(rows[0].tuning_diverged_share).toBe('0.2'); // lr 8 diverges
    expect(Number(rows[0].tuning_score)).toBeLessThan(1e-10);
    const tuning = parse(readFileSync(join(folder, 'tuning', 'summary.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(tuning.map((r) => Number(r['optimizer.lr']))).toEqual([0.03125, 0.125, 0.5, 2, 8]);
    expect(readFileSync(join(folder, 'plots', 'lr-sensitivity.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('lists the tuning trials on --dry-run, and says the reruns depend on them', async () => {
    const out = tempDir();
    const result = await runCli('compare', quadraticConfig(), '--out', out, '--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^5 trials → \S*tuned-[0-9a-f]{8}\/tuning$/m);
    // Labelled to 3 significant digits (0.03125 trains as it is: see the summary in the first test).
    for (const lr of ['0\\.0313', '0\\.125', '0\\.5', '2', '8']) expect(result.stdout).toMatch(new RegExp(`^\\d +[0-9a-f]{12} +gd optimizer\\.lr=${lr} +0$`, 'm'));
    expect(result.stdout).toMatch(/rerun with 3 seeds \(3 trials\).*depends on the tuning results/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('reopens its folder: report rebuilds the comparison and report.html, --resume continues it', async () => {
    const config = quadraticConfig();
    const first = await runCli('compare', config, '--out', tempDir(), '--quiet');
    expect(first.code).toBe(0);
    const [folder] = first.stdout.match(/\/\S*tuned-[0-9a-f]{8}/)!;
    const before = readFileSync(join(folder, 'comparison.csv'), 'utf8');
    for (const file of ['comparison.csv', 'comparison.md', 'report.html', 'plots/lr-sensitivity.svg']) rmSync(join(folder, file));
    const report = await runCli('report', folder);
    expect(report.stderr).toBe('');
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/^ +1 +gd +optimizer\.lr=0\.5 /m);
    expect(readFileSync(join(folder, 'comparison.csv'), 'utf8')).toBe(before);
    const html = readFileSync(join(folder, 'report.html'), 'utf8');
    expect(html).toContain(readFileSync(join(folder, 'plots', 'lr-sensitivity.svg'), 'utf8'));
    expect(html).toContain(readFileSync(join(folder, 'rerun', 'plots', 'loss.svg'), 'utf8'));
    expect(html).toMatch(/<td>gd<\/td><td>optimizer\.lr=0\.5<\/td>/);
    const resumed = await runCli('compare', '--resume', folder);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('5 trials: 5 done, 0 to run');
    expect(resumed.stdout).toContain('3 trials: 3 done, 0 to run');
    writeFileSync(config, readFileSync(config, 'utf8').replace('seeds: 3', 'seeds: 4'));
    const changed = await runCli('compare', '--resume', folder);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/tuned\.json: records tuned-[0-9a-f]{8}, but \S+exp\.yaml now expands to tuned-[0-9a-f]{8}: the config or --set changed since/);
  });

  it('never evaluates its tuning trials on the test set, only the reruns; shows tuned values to 3 digits and the space as YAML', async () => {
    const folder = tempDir();
    const config = join(folder, 'exp.yaml');
    writeFileSync(
      config,
      `name: tiny
data: {dataset: synthetic, task: moons, n_train: 200, n_test: 200, batch_size: 20, validation: 0.2}
model: {layers: [{linear: 8}, tanh, {linear: 2}]}
train: {epochs: 2}
compare:
  adam: {optimizer: {name: adam}}
protocol:
  tune: {metric: val_accuracy, search: random, budget: 3, space: {optimizer.lr: {log_uniform: [1.0e-3, 1.0e-1]}}}
  rerun: {seeds: 2}
`,
    );
    const result = await runCli('compare', config, '--out', join(folder, 'runs'));
    expect(result.code).toBe(0);
    const [dir] = result.stdout.match(/\/\S*tuned-[0-9a-f]{8}/)!;
    const lines = (phase: string): string[] => result.stdout.split('\n').filter((l) => /^\[\d\/\d\]/.test(l) && (phase === 'rerun') === !l.includes('optimizer.lr='));
    // Halton points 1/4, 1/2, 3/4 of the log range: 10^-2.5, 10^-2, 10^-1.5 (lines in the order trials finish).
    expect(lines('tuning').map((l) => /optimizer\.lr=(\S+)/.exec(l)![1]).sort()).toEqual(['0.00316', '0.01', '0.0316']);
    for (const line of lines('tuning')) expect(line).toMatch(/completed: train_loss [\d.]+, val_acc [\d.]+%, [\d.]+s$/);
    expect(lines('rerun')).toHaveLength(2);
    for (const line of lines('rerun')) expect(line).toMatch(/completed: train_loss [\d.]+, test_acc [\d.]+%, [\d.]+s$/);
    const epochs = (phase: string): Record<string, string>[] =>
      readdirSync(join(dir, phase, 'trials'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).flatMap((id) => parse(readFileSync(join(dir, phase, 'trials', id, 'epochs.csv'), 'utf8'), { columns: true }) as Record<string, string>[]);
    expect(epochs('tuning').length).toBeGreaterThan(0);
    for (const row of epochs('tuning')) expect([row.test_loss, row.test_accuracy, row.val_accuracy === '']).toEqual(['', '', false]);
    for (const row of epochs('rerun')) expect(Number(row.test_accuracy)).toBeGreaterThan(0);
    const yaml = 'optimizer.lr: {log_uniform: [0.001, 0.1]}';
    expect(result.stdout).toContain(`search space:\n  ${yaml}\n`);
    expect(readFileSync(join(dir, 'comparison.md'), 'utf8')).toContain(`\`\`\`yaml\n${yaml}\n\`\`\``);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain(`<pre><code>${yaml}\n</code></pre>`);
    expect(result.stdout).toMatch(/^ +1 +adam +optimizer\.lr=0\.0316 /m);
  });

  it('refuses to tune without held-out data', async () => {
    const config = quadraticConfig();
    writeFileSync(config, readFileSync(config, 'utf8').replace(', validation: 0.1', ''));
    const result = await runCli('compare', config, '--out', tempDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/data\.validation: is needed by the tuned protocol: tuning must not look at the test set/);
  });

  it('ranks variants, tests them against the best and says so in words', async () => {
    const folder = tempDir();
    const config = join(folder, 'exp.yaml');
    writeFileSync(
      config,
      `name: two
data: {dataset: synthetic, task: spirals, classes: 3, noise: 0.1, n_train: 600, n_test: 600, batch_size: 25, validation: 0.2}
model: {layers: [{linear: 64}, relu, {linear: 64}, relu, {linear: 3}]}
optimizer: {name: adam}
train: {epochs: 10}
targets: {test_accuracy: 0.6}
compare:
  mlp: {}
  linear: {model: {layers: [{linear: 3}]}}
protocol:
  tune: {metric: val_accuracy, budget: 3, space: {optimizer.lr: {log_uniform: [3.0e-3, 3.0e-2]}}}
  rerun: {seeds: 4}
`,
    );
    const result = await runCli('compare', config, '--out', join(folder, 'runs'), '--quiet');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ +1 +mlp /m);
    expect(result.stdout).toMatch(/^mlp vs linear: mlp is significantly better, p[<=]/m);
    const [dir] = result.stdout.match(/\/\S*tuned-[0-9a-f]{8}/)!;
    const rows = parse(readFileSync(join(dir, 'comparison.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.variant)).toEqual(['mlp', 'linear']);
    expect(Number(rows[1].p_value_vs_best)).toBeLessThan(0.05);
    expect(Number(rows[0].final_test_accuracy_ci_low)).toBeLessThan(Number(rows[0].final_test_accuracy_mean));
    expect(rows[0]).toHaveProperty('seconds_to_test_accuracy_mean');
  });
});

describe('a tuned comparison over several workloads', () => {
  it('writes a performance profile of steps to target', async () => {
    const folder = tempDir();
    const workload = (name: string, task: string): string => {
      const file = join(folder, `${name}.yaml`);
      writeFileSync(
        file,
        `name: ${name}
data: {dataset: synthetic, task: ${task}, n_train: 300, n_test: 300, batch_size: 30, validation: 0.2}
model: {layers: [{linear: 16}, tanh, {linear: ${task === 'spirals' ? 3 : 2}}]}
train: {epochs: 3}
targets: {test_accuracy: 0.5}
compare:
  adam: {optimizer: {name: adam}}
  sgd: {optimizer: {name: sgd, momentum: 0.9}}
protocol:
  tune: {metric: val_accuracy, budget: 2, space: {optimizer.lr: {log_uniform: [1.0e-2, 1.0e-1]}}}
  rerun: {seeds: 2}
`,
      );
      return file;
    };
    const out = join(folder, 'runs');
    const result = await runCli('compare', workload('moons-w', 'moons'), workload('spirals-w', 'spirals'), '--protocol', 'tuned', '--out', out, '--quiet');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/performance profile over 2 workloads/);
    const [dir] = result.stdout.match(/\S*performance-profile-[0-9a-f]{8}/)!;
    const rows = parse(readFileSync(join(dir, 'performance-profile.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual(['tau', 'adam', 'sgd']);
    expect(Number(rows.at(-1)!.adam) + Number(rows.at(-1)!.sgd)).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'plots', 'performance-profile.svg'), 'utf8')).toMatch(/^<svg/);
  });
});
