import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { alignedTable } from '../../src/cli/table.js';
import { formatFloat32 } from '../../src/runs/numbers.js';
import { runCli, tempDir, writeConfig } from './run-cli.js';

const TOY = `name: toy-check
seeds: [0, 1]
data: {dataset: synthetic, task: moons, n_train: 256, n_test: 256, batch_size: 32}
model: {layers: [{linear: 8}, tanh, {linear: 2}]}
optimizer: {name: sgd, lr: 0.3, momentum: 0.9}
train: {epochs: 4}
`;

/** Where each cell of a table line starts (cells are separated by two or more spaces). */
function cellStarts(line: string): number[] {
  return [...line.matchAll(/(?:^|(?<= {2}))\S/g)].map((m) => m.index);
}

describe('the verdict table', () => {
  it('aligns a column one way: right where every cell is a number, left where any is text', () => {
    const lines = alignedTable([
      ['expectation', 'measured', 'seeds'],
      ['final_train_loss', '80 ± 0 (2 seeds)', '2'],
      ['no_divergence', '0 of 2 diverged', '–'],
      ['steps_to test_loss ≤ 0.3', '1200 ± 40 (2 seeds)', '12'],
    ]).split('\n');
    expect(new Set(lines.map((l) => cellStarts(l)[1])).size).toBe(1); // measured: left, under its header
    expect(new Set(lines.map((l) => l.length)).size).toBe(1); // seeds: right, every line ends under "seeds"
    expect(lines[1]).toMatch(/ {4}2$/);
  });
});

describe('adam-lab check', () => {
  it('exits 0 when every expectation holds and 1 when one fails, with a table either way', async () => {
    const passing = writeConfig(`${TOY}expect:\n  final_train_loss: {max: 0.5}\n  test_accuracy: {min: 0.8}\n  no_divergence: true\n`);
    const ok = await runCli('check', passing, '--out', tempDir(), '--quiet');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^final_train_loss +≤ 0\.5 \(mean\) +[\d.]+ ± [\d.]+ \(2 seeds\) +PASS$/m);
    expect(ok.stdout).toContain('all expectations hold');
    // Each column starts at one place on every line (measured holds "x ± y (2 seeds)" and "0 of 2 diverged").
    const table = ok.stdout.split('\n').filter((l) => / (PASS|FAIL|verdict)$/.test(l));
    expect(table).toHaveLength(4);
    expect(new Set(table.map((l) => cellStarts(l).join(','))).size).toBe(1);
    const failing = writeConfig(`${TOY}expect:\n  test_accuracy: {min: 0.9999}\n`);
    const bad = await runCli('check', failing, passing, '--out', tempDir(), '--quiet');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^test_accuracy \(final\) .* FAIL$/m);
    expect(bad.stdout).toContain('1 expectation(s) failed');
  });

  it('writes JUnit XML that parses back, one test case per expectation', async () => {
    const out = tempDir();
    const config = writeConfig(`${TOY}expect:\n  final_train_loss: {max: 0.5}\n  test_accuracy: {min: 0.9999}\n`);
    const junit = join(out, 'report.xml');
    await runCli('check', config, '--out', out, '--quiet', '--junit', junit);
    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    const suite = parsed.testsuites.testsuite;
    expect(parsed.testsuites).toMatchObject({ tests: '2', failures: '1' });
    expect(suite.name).toBe('toy-check');
    // Named by what they check; the bound and the measured value are in the output and the failure.
    expect(suite.testcase.map((t: { name: string }) => t.name)).toEqual(['final_train_loss', 'test_accuracy (final)']);
    expect(suite.testcase[0]['system-out']).toMatch(/^expected final_train_loss ≤ 0\.5 \(mean\), measured [\d.]+ ± /);
    expect(suite.testcase[1].failure.message).toMatch(/^measured [\d.]+ ± [\d.]+ \(2 seeds\), expected ≥ 0\.9999 \(mean\)$/);
  });

  it('prints the verdict as JSON with --json', async () => {
    const config = writeConfig(`${TOY}expect:\n  no_divergence: true\n`);
    const result = await runCli('check', config, '--out', tempDir(), '--json');
    const verdict = JSON.parse(result.stdout);
    expect(verdict.pass).toBe(true);
    expect(verdict.suites[0].verdicts[0]).toMatchObject({ expectation: 'no_divergence', pass: true });
  });

  it('exits 2 on an unknown metric, a bound of the wrong type and a config without expectations', async () => {
    const unknown = await runCli('check', writeConfig(`${TOY}expect:\n  final_train_los: {max: 1}\n`), '--out', tempDir());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/exp\.yaml:8:3 expect\.final_train_los: unknown key 'final_train_los' \(did you mean 'final_train_loss'\?\)/);
    const wrongType = await runCli('check', writeConfig(`${TOY}expect:\n  test_accuracy: {min: high}\n`), '--out', tempDir());
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toMatch(/exp\.yaml:8:24 expect\.test_accuracy\.min: expected a number, got 'high'/);
    const none = await runCli('check', writeConfig(TOY), '--out', tempDir());
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/expect: is missing/);
  });

  it('exits 2 on bounds no run could meet, at the key', async () => {
    const result = await runCli('check', writeConfig(`${TOY}expect:\n  test_accuracy: {min: 1.5}\n  final_train_loss: {min: 0.5, max: 0.1}\n`), '--out', tempDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/exp\.yaml:8:24 expect\.test_accuracy\.min: must be <= 1, got 1\.5/);
    expect(result.stderr).toMatch(/exp\.yaml:9:27 expect\.final_train_loss\.min: must be ≤ max \(0\.1\), got 0\.5/);
  });

  it('reads and validates every config before running any, so bad input trains nothing', async () => {
    const ok = writeConfig(`${TOY}expect:\n  no_divergence: true\n`);
    const bounds = writeConfig(`${TOY}expect:\n  test_accuracy: {min: 1.5}\n`, 'bounds.yaml');
    for (const second of [join(dirname(ok), 'nope.yaml'), bounds]) {
      const out = tempDir();
      const junit = join(out, 'j.xml');
      const result = await runCli('check', ok, second, '--out', out, '--quiet', '--junit', junit);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(second === bounds ? /bounds\.yaml:8:24 expect\.test_accuracy\.min: / : /nope\.yaml: file not found/);
      expect(readdirSync(out)).toEqual([]); // no run folder: the first config did not run
      expect(existsSync(junit)).toBe(false);
    }
  });
});

describe('baselines', () => {
  async function saved(): Promise<{ config: string; baseline: string; out: string }> {
    const out = tempDir();
    const config = writeConfig(`${TOY}targets: {test_accuracy: 0.8}\n`);
    const baseline = join(out, 'baseline.json');
    const result = await runCli('baseline', config, '--save', baseline, '--out', out, '--quiet');
    expect(result.code).toBe(0);
    return { config, baseline, out };
  }

  it('passes against itself, exactly and with no tolerance at all, and plots both loss curves', async () => {
    const { config, baseline, out } = await saved();
    const result = await runCli('check', config, '--baseline', baseline, '--exact', '--rtol', '0', '--out', out, '--quiet');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^baseline final_train_loss +≤ [\d.]+ \(baseline [\d.]+, rtol 0, atol 0\) .* PASS$/m);
    const dir = /^.*exp\.yaml \(2 seeds, [\d.]+s, (.+)\)$/m.exec(result.stdout)![1];
    const svg = readFileSync(join(dir, 'baseline.svg'), 'utf8');
    const lines = [...svg.matchAll(/<path aria-label="[^"]*group: (\w+)"[^>]*aria-roledescription="line mark" d="M[^"]+"/g)].map((m) => m[1]);
    // smoothed line and faint raw line per curve (the loss plot smooths by default)
    expect([...new Set(lines)].sort()).toEqual(['baseline', 'now']);
    expect(result.stdout).toMatch(/^exact trajectory, seed 0 +\d+ steps identical +identical +PASS$/m);
    expect(result.stdout).toMatch(/^baseline steps_to_test_accuracy /m);
    expect(result.stdout).toMatch(/^loss {2}baseline [▁▂▃▄▅▆▇█]+\n {6}now {6}[▁▂▃▄▅▆▇█]+$/m);
  });

  it('catches a one-ulp change in the trajectory with --exact', async () => {
    const { config, baseline, out } = await saved();
    const file = JSON.parse(readFileSync(baseline, 'utf8'));
    const original: string = file.seeds[0].steps[5][2];
    const next = Float32Array.of(Number(original));
    new Uint32Array(next.buffer)[0] += 1; // the neighbouring float32
    file.seeds[0].steps[5][2] = formatFloat32(next[0]);
    writeFileSync(baseline, JSON.stringify(file));
    const result = await runCli('check', config, '--baseline', baseline, '--exact', '--out', out, '--quiet');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`step 6 differs in loss: ${original} (baseline ${formatFloat32(next[0])})`);
    expect(result.stdout).toMatch(/^exact trajectory, seed 1 .* PASS$/m);
  });

  it('fails a metric worse than the baseline beyond the tolerance, from the flags or the file', async () => {
    const { config, baseline, out } = await saved();
    const file = JSON.parse(readFileSync(baseline, 'utf8'));
    const original: number[] = file.seeds.map((s: { metrics: Record<string, number> }) => s.metrics.final_train_loss);
    const check = async (...flags: string[]) => runCli('check', config, '--baseline', baseline, ...flags, '--out', out, '--quiet');
    const withLoss = (loss: (x: number) => number, tolerances?: object): void => {
      file.seeds.forEach((s: { metrics: Record<string, number> }, i: number) => (s.metrics.final_train_loss = loss(original[i])));
      file.tolerances = tolerances;
      writeFileSync(baseline, JSON.stringify(file));
    };
    // Pretend the baseline was better: current = baseline·1.10, so rtol 0.05 fails and 0.11 passes.
    withLoss((x) => x / 1.1);
    const strict = await check('--rtol', '0.05');
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/^baseline final_train_loss .* FAIL$/m);
    const loose = await check('--rtol', '0.11');
    expect(loose.code).toBe(0);
    expect(loose.stdout).toMatch(/^baseline final_train_loss .* \(mean of 2\) +PASS$/m);
    // The file's default tolerance wins over --rtol, a metric's own over the default.
    withLoss((x) => x / 1.1, { default: { rtol: 0.11 } });
    expect((await check('--rtol', '0.05')).code).toBe(0);
    withLoss((x) => x / 1.1, { default: { rtol: 0.11 }, final_train_loss: { rtol: 0.2, atol: 0 } });
    const perMetric = await check();
    expect(perMetric.code).toBe(0);
    expect(perMetric.stdout).toMatch(/^baseline final_train_loss +≤ [\d.]+ \(baseline [\d.]+, rtol 0\.2, atol 0\) .* PASS$/m);
    expect(perMetric.stdout).toMatch(/^baseline final_test_loss +≤ [\d.]+ \(baseline [\d.]+, rtol 0\.11, atol 0\) .* PASS$/m);
    // An absolute gap of 0.01: --atol 0.009 fails, --atol 0.011 passes.
    withLoss((x) => x - 0.01);
    const tight = await check('--rtol', '0', '--atol', '0.009');
    expect(tight.code).toBe(1);
    expect(tight.stdout).toMatch(/^baseline final_train_loss +≤ [\d.]+ \(baseline [\d.]+, rtol 0, atol 0\.009\) .* FAIL$/m);
    expect((await check('--rtol', '0', '--atol', '0.011')).code).toBe(0);
  });

  it('by default fails an accuracy 3.5 points below the baseline, which 5 % relative would pass', async () => {
    const { config, baseline, out } = await saved();
    const file = JSON.parse(readFileSync(baseline, 'utf8'));
    // Pretend the baseline was 3.5 points better (under 5 % of an accuracy near 0.9).
    for (const seed of file.seeds) seed.metrics.final_test_accuracy += 0.035;
    writeFileSync(baseline, JSON.stringify(file));
    const result = await runCli('check', config, '--baseline', baseline, '--out', out, '--quiet');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^baseline final_test_accuracy +≥ [\d.]+ \(baseline [\d.]+, rtol 0, atol 0\.01\) .* FAIL$/m);
    expect(result.stdout).toMatch(/^baseline final_train_loss +≤ [\d.]+ \(baseline [\d.]+, rtol 0\.05, atol 0\) .* PASS$/m);
    expect(result.stdout).toMatch(/^baseline steps_to_test_accuracy +≤ [\d.]+ \(baseline [\d.]+, rtol 0\.1, atol 0\) .* PASS$/m);
    expect(result.stdout).toContain('1 expectation(s) failed');
  });

  it('names JUnit test cases the same against baselines with different numbers', async () => {
    const { config, baseline, out } = await saved();
    const names = async (): Promise<string[]> => {
      const junit = join(out, 'report.xml');
      await runCli('check', config, '--baseline', baseline, '--out', out, '--quiet', '--junit', junit);
      const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8'));
      return parsed.testsuites.testsuite.testcase.map((t: { name: string }) => t.name);
    };
    const before = await names();
    const file = JSON.parse(readFileSync(baseline, 'utf8'));
    for (const seed of file.seeds) for (const metric of Object.keys(seed.metrics)) seed.metrics[metric] *= 1.5;
    writeFileSync(baseline, JSON.stringify(file));
    expect(await names()).toEqual(before);
    expect(before).toEqual(['baseline final_train_loss', 'baseline final_test_loss', 'baseline final_test_accuracy', 'baseline best_test_accuracy', 'baseline steps_to_test_accuracy']);
  });

  it('exits 2 on a missing or corrupt baseline file, naming it and the key', async () => {
    const { config, baseline, out } = await saved();
    const missing = await runCli('check', config, '--baseline', join(out, 'nope.json'), '--out', out);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toMatch(/nope\.json: file not found/);
    writeFileSync(baseline, '{"format": "adam-lab-baseline", "version": 2');
    const corrupt = await runCli('check', config, '--baseline', baseline, '--out', out);
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toMatch(/baseline\.json:1:\d+/);
    writeFileSync(baseline, JSON.stringify({ format: 'adam-lab-baseline', version: 2 }));
    const wrong = await runCli('check', config, '--baseline', baseline, '--out', out);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/baseline\.json:1:\d+ version: /);
    const directory = join(out, 'baselines');
    mkdirSync(directory);
    const folder = await runCli('check', config, '--baseline', directory, '--out', out);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/baselines: is a directory, expected a baseline file/);
  });

  it('exits 2 on a tolerance for a metric the baseline does not measure, naming the file and key', async () => {
    const { config, baseline, out } = await saved();
    const file = JSON.parse(readFileSync(baseline, 'utf8'));
    file.tolerances = { final_train_los: { rtol: 0.2 } };
    writeFileSync(baseline, JSON.stringify(file));
    const result = await runCli('check', config, '--baseline', baseline, '--out', out);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/baseline\.json:1:\d+ tolerances\.final_train_los: unknown key 'final_train_los' \(did you mean 'final_train_loss'\?\)/);
  });
});
