import { describe, expect, it } from 'vitest';
import { dataSchema, loadDataset } from '../../src/data/registry.js';

function heldOut(config: object, seed = 0) {
  const data = dataSchema.parse(config);
  const dataset = loadDataset(data, 'exp.yaml', 'class', seed);
  const ids = (split: NonNullable<typeof dataset.validation>): number[] => Array.from(split.samples ?? Array.from({ length: split.size }, (_, i) => i)).slice(0, split.size);
  return { dataset, train: ids(dataset.train), validation: dataset.validation === null ? [] : ids(dataset.validation) };
}

describe('data.validation', () => {
  it('holds out a share of the training data, disjoint from what trains, together all of it', () => {
    const { train, validation } = heldOut({ dataset: 'mnist', limit: 1000, validation: 0.1 });
    expect(validation).toHaveLength(100);
    expect(train).toHaveLength(900);
    expect(validation.filter((i) => train.includes(i))).toEqual([]);
    expect([...train, ...validation].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(validation).toEqual([...validation].sort((a, b) => a - b)); // stored order kept
  });

  it('is the same for every run seed and changes only with validation_seed', () => {
    const a = heldOut({ dataset: 'mnist', limit: 500, validation: 0.2 }, 0).validation;
    expect(heldOut({ dataset: 'mnist', limit: 500, validation: 0.2 }, 7).validation).toEqual(a);
    expect(heldOut({ dataset: 'mnist', limit: 500, validation: 0.2, validation_seed: 1 }).validation).not.toEqual(a);
  });

  it('gathers the held-out samples themselves', () => {
    const { dataset, validation } = heldOut({ dataset: 'mnist', limit: 200, validation: 0.05 });
    const whole = loadDataset(dataSchema.parse({ dataset: 'mnist', limit: 200 }), 'exp.yaml', 'class', 0);
    const order = Uint32Array.from({ length: 10 }, (_, i) => i);
    const x = new Float32Array(10 * 784);
    const y = new Float32Array(10);
    dataset.validation!.gather(order, 0, 10, x, y, 'index', 1);
    const xs = new Float32Array(784);
    const ys = new Float32Array(1);
    whole.train.gather(Uint32Array.of(validation[3]), 0, 1, xs, ys, 'index', 1);
    expect(Array.from(x.subarray(3 * 784, 4 * 784))).toEqual(Array.from(xs));
    expect(y[3]).toBe(ys[0]);
  });

  it('holds out a fixed part of synthetic data, even when the training points are redrawn', () => {
    const config = { dataset: 'synthetic', task: 'moons', n_train: 200, resample: true, validation: 0.25 };
    const { dataset } = heldOut(config);
    expect(dataset.validation!.size).toBe(50);
    expect(dataset.train.size).toBe(150);
    dataset.beginEpoch(2);
    expect(dataset.train.size).toBe(200);
    expect(dataset.validation!.size).toBe(50);
  });
});
