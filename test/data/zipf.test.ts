import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { syntheticDataset, type SyntheticConfig } from '../../src/data/synthetic.js';
import { frequencyBuckets, zipfFrequencies } from '../../src/data/zipf.js';
import { runCli } from '../cli/run-cli.js';
import { issuesOf } from '../config/helpers.js';

const zipf: SyntheticConfig = { task: 'zipf_classes', classes: 16, exponent: 1, features: 4, noise: 0.5, mean: 2, buckets: 4, n_train: 40000, n_test: 2000, resample: false };

describe('zipf_classes', () => {
  it("class frequencies follow Zipf's law: π_k ∝ (k+1)^-s, summing to 1", () => {
    const pi = zipfFrequencies(100, 1.5);
    expect(pi.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (const k of [1, 9, 99]) expect(pi[0] / pi[k]).toBeCloseTo((k + 1) ** 1.5, 8);
    expect(Array.from(zipfFrequencies(4, 0))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('buckets hold about 1/B of the mass each, in frequency order, the rare one the most classes', () => {
    const pi = zipfFrequencies(1000, 1);
    const { count, ofClass } = frequencyBuckets(pi, 4);
    expect(count).toBe(4);
    const mass = [0, 0, 0, 0];
    const classes = [0, 0, 0, 0];
    for (let k = 0; k < pi.length; k++) {
      if (k > 0) expect(ofClass[k]).toBeGreaterThanOrEqual(ofClass[k - 1]);
      mass[ofClass[k]] += pi[k];
      classes[ofClass[k]]++;
    }
    // Each share is 1/4 up to the one class that straddles its boundary (π_0 ≈ 0.134 here).
    for (const m of mass) expect(Math.abs(m - 0.25)).toBeLessThan(pi[0]);
    expect(classes[3]).toBeGreaterThan(classes[2]);
    expect(classes[2]).toBeGreaterThan(classes[0]);
  });

  it('draws labels with the Zipf frequencies (every count within 5 standard deviations)', () => {
    const data = syntheticDataset(zipf, 3);
    const counts = new Array<number>(16).fill(0);
    for (const t of data.train.targets) counts[t]++;
    const pi = zipfFrequencies(16, 1);
    counts.forEach((c, k) => {
      const expected = pi[k] * zipf.n_train;
      expect(Math.abs(c - expected), `class ${k}: ${c} vs ${expected}`).toBeLessThan(5 * Math.sqrt(expected));
    });
    expect(data.targets).toEqual({ kind: 'class', classes: 16 });
    expect(data.classBuckets?.count).toBe(4);
  });

  it('samples of a class lie around its centroid (noise apart), the centroids around `mean`; seeded', () => {
    const data = syntheticDataset({ ...zipf, noise: 0.01 }, 5);
    const same = syntheticDataset({ ...zipf, noise: 0.01 }, 5);
    expect(Array.from(same.test!.features.slice(0, 40))).toEqual(Array.from(data.test!.features.slice(0, 40)));
    const { features, targets } = data.train;
    const first = new Map<number, number>();
    let sum = 0;
    for (let i = 0; i < 2000; i++) {
      const label = targets[i];
      if (!first.has(label)) first.set(label, i);
      const j = first.get(label)!;
      for (let f = 0; f < 4; f++) expect(Math.abs(features[i * 4 + f] - features[j * 4 + f])).toBeLessThan(0.1);
      for (let f = 0; f < 4; f++) sum += features[i * 4 + f];
    }
    expect(sum / 8000).toBeGreaterThan(1); // centred on mean 2 (a few centroids, so loosely)
    const other = syntheticDataset({ ...zipf, noise: 0.01 }, 6);
    expect(Array.from(other.test!.features.slice(0, 40))).not.toEqual(Array.from(data.test!.features.slice(0, 40)));
  });

  it('refuses more buckets than classes, at the key', () => {
    const [issue] = issuesOf('data: {dataset: synthetic, task: zipf_classes, classes: 3, buckets: 4}\nmodel: {layers: [{linear: 3}]}\nloss: cross_entropy\noptimizer: {name: adam}\n');
    expect(issue.path).toEqual(['data', 'buckets']);
  });

  it('epochs.csv has test_loss_bucket_0..3 after the usual columns; their sample-weighted mean is test_loss', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zipf-'));
    const data = { ...zipf, n_train: 2000, n_test: 1000 };
    writeFileSync(
      join(dir, 'zipf.yaml'),
      `name: zipf\nseed: 4\ndata: {dataset: synthetic, task: zipf_classes, classes: 16, exponent: 1, features: 4, noise: 0.5, mean: 2, buckets: 4, n_train: 2000, n_test: 1000}\nmodel: {layers: [{linear: 16}]}\nloss: cross_entropy\noptimizer: {name: adam, lr: 0.01}\ntrain: {epochs: 2}\n`,
    );
    const result = await runCli('train', join(dir, 'zipf.yaml'), '--out', join(dir, 'runs'), '--quiet');
    expect(result.code, result.stderr).toBe(0);
    const text = readFileSync(join(dir, 'runs', 'zipf', 'latest', 'epochs.csv'), 'utf8');
    expect(text.split('\n')[0]).toBe('epoch,step,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy,seconds,test_loss_bucket_0,test_loss_bucket_1,test_loss_bucket_2,test_loss_bucket_3');
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    const test = syntheticDataset(data, 4);
    const perBucket = [0, 0, 0, 0];
    for (const t of test.test!.targets) perBucket[test.classBuckets!.ofClass[t]]++;
    for (const row of rows) {
      const weighted = perBucket.reduce((sum, n, b) => sum + n * Number(row[`test_loss_bucket_${b}`]), 0) / 1000;
      expect(weighted).toBeCloseTo(Number(row.test_loss), 5);
    }
    // The rare classes' loss is the highest: they have the fewest samples to learn from.
    const last = rows.at(-1)!;
    expect(Number(last.test_loss_bucket_3)).toBeGreaterThan(Number(last.test_loss_bucket_0));
  });
});
