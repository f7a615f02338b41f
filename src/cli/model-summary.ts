/**
 * The model as Keras's model.summary() shows it: each layer, one sample's output shape and its
 * parameters, then the total. `train` prints it at the start and `validate` with the config.
 */
import type { Shape } from '../core/shape.js';
import type { LayerSummary } from '../engine/model.js';
import { alignedTable } from './table.js';

export function modelSummary(layers: readonly LayerSummary[], input: Shape): string {
  const count = (n: number): string => n.toLocaleString('en-US');
  const total = layers.reduce((n, l) => n + l.parameters, 0);
  return alignedTable([
    ['layer', 'output shape', 'parameters'],
    ['input', outputShape(input), ''],
    ...layers.map((l) => [l.layer, outputShape(l.outShape), count(l.parameters)]),
    ['total', '', count(total)],
  ]);
}

/** "(batch, 1, 28, 28)": the batch dimension first, as torch prints a tensor's size. */
function outputShape(shape: Shape): string {
  return `(batch, ${shape.join(', ')})`;
}
