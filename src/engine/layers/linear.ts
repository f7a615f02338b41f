/**
 * Linear (torch.nn.Linear): y[R, out] = x[R, in] · Wᵀ + b, with W [out, in] and b [out].
 * A sequence sample [T, C] is T rows of in = C features, and gives [T, out]: the layer applies
 * to the last dimension, as torch's does, so a head maps every position to the vocabulary.
 * Any other per-sample shape is flattened first (in = its size, one row per sample), as
 * nn.Flatten + nn.Linear — image models rely on that.
 *
 * backward:  dW = dyᵀ · x   [out, in]
 *            db = Σ_rows dy [out]
 *            dx = dy · W     [R, in]
 *
 * Init as torch: kaiming_uniform_(a=√5) gives W ~ U(±1/√in), and b ~ U(±1/√in).
 */
import { z } from 'zod';
import type { Layer, LayerPlan, Parameter, ParameterSpec } from '../layer.js';
import { matmulAB, matmulABt, matmulAtB } from '../../kernels/matmul.js';
import { sizeOf, type Shape } from '../../core/shape.js';

export const linearOptions = z.strictObject({
  out_features: z.int().positive(),
  bias: z.boolean().default(true),
  tie_weight: z
    .int()
    .min(0)
    .optional()
    .describe("index in model.layers of an earlier embedding whose weight this layer uses as its own (weight tying, Press & Wolf 2017; GPT-2's lm_head.weight = wte.weight)"),
});
export type LinearOptions = z.infer<typeof linearOptions>;

/** A per-sample shape [T, C] is a sequence: T positions of C features each. */
export function isSequence(shape: Shape): boolean {
  return shape.length === 2;
}

export function planLinear(options: LinearOptions, inShape: Shape): LayerPlan {
  const positions = isSequence(inShape) ? inShape[0] : 1;
  const inFeatures = isSequence(inShape) ? inShape[1] : sizeOf(inShape);
  const outFeatures = options.out_features;
  const bound = 1 / Math.sqrt(inFeatures);
  const parameters: ParameterSpec[] = [{ name: 'weight', shape: [outFeatures, inFeatures], init: { kind: 'uniform', bound } }];
  if (options.bias) parameters.push({ name: 'bias', shape: [outFeatures], init: { kind: 'uniform', bound } });
  return {
    outShape: isSequence(inShape) ? [positions, outFeatures] : [outFeatures],
    parameters,
    build: ([weight, bias]: readonly Parameter[]): Layer => ({
      forward(x, y, batch) {
        matmulABt(y, x, weight.value, batch * positions, inFeatures, outFeatures, bias === undefined ? null : bias.value);
      },
      backward(x, _y, dy, dx, batch) {
        const rows = batch * positions;
        matmulAtB(weight.grad, dy, x, outFeatures, rows, inFeatures);
        if (bias !== undefined) sumRows(bias.grad, dy, rows, outFeatures);
        if (dx !== null) matmulAB(dx, dy, weight.value, rows, outFeatures, inFeatures);
      },
    }),
  };
}

/** out[j] = Σ_r m[r, j]: a bias's gradient from the gradient of every row it was added to. */
export function sumRows(out: Float32Array, m: Float32Array, rows: number, width: number): void {
  for (let j = 0; j < width; j++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += m[r * width + j];
    out[j] = sum;
  }
}
