import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/core/errors.js';
import type { DataConfig } from '../../src/config/schema.js';
import { Split, type Dataset } from '../../src/data/dataset.js';
import { buildTraining } from '../../src/train/build.js';
import { resolveText } from '../config/helpers.js';
import { thrown } from '../thrown.js';

const config = resolveText('data: {dataset: synthetic, task: moons, batch_size: 16}\nmodel: {layers: [{linear: 2}]}\n') as DataConfig;

/** A split of `size` two-feature samples with class targets. */
function split(size: number): Split {
  return new Split(size, new Float32Array(2 * size), [2], new Float32Array(size), 1, null);
}

function dataset(train: number, test: number | null): Dataset {
  return { inputShape: [2], targets: { kind: 'class', classes: 2 }, train: split(train), validation: null, test: test === null ? null : split(test), beginEpoch: () => {} };
}

describe('a dataset handed to buildTraining', () => {
  it('with an empty split is refused as what it is, not blamed on drop_last nor evaluated to a NaN loss', () => {
    expect(thrown(DataError, () => buildTraining(config, 'exp.yaml', dataset(0, 8))).problem).toBe('the training split has no samples: every split needs at least one');
    expect(thrown(DataError, () => buildTraining(config, 'exp.yaml', dataset(8, 0))).problem).toBe('the test split has no samples: every split needs at least one');
  });

  it('with too few samples for one batch under drop_last still says so', () => {
    const dropping = { ...config, data: { ...config.data, drop_last: true } };
    expect(thrown(DataError, () => buildTraining(dropping, 'exp.yaml', dataset(8, null))).problem).toBe('the training set has 8 samples: no full batch of 16 with drop_last');
  });
});
