/**
 * Linear (torch.nn.Linear): y[B, out] = x[B, in] · Wᵀ + b, with W [out, in] and b [out].
 * Any per-sample input shape is flattened first (in = its size), as nn.Flatten + nn.Linear.
 *
 * backward:  dW = dyᵀ · x   [out, in]
 *            db = Σ_batch dy [out]
 *            dx = dy · W     [B, in]
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
});
export type LinearOptions = z.infer<typeof linearOptions>;

export function planLinear(options: LinearOptions, inShape: Shape): LayerPlan {
  const inFeatures = sizeOf(inShape);
  const outFeatures = options.out_features;
  const bound = 1 / Math.sqrt(inFeatures);
  const parameters: ParameterSpec[] = [{ name: 'weight', shape: [outFeatures, inFeatures], init: { kind: 'uniform', bound } }];
  if (options.bias) parameters.push({ name: 'bias', shape: [outFeatures], init: { kind: 'uniform', bound } });
  return {
    outShape: [outFeatures],
    parameters,
    build: ([weight, bias]: readonly Parameter[]): Layer => ({
      forward(x, y, batch) {
        matmulABt(y, x, weight.value, batch, inFeatures, outFeatures, bias === undefined ? null : bias.value);
      },
      backward(x, _y, dy, dx, batch) {
        matmulAtB(weight.grad, dy, x, outFeatures, batch, inFeatures);
        if (bias !== undefined) sumOverBatch(bias.grad, dy, batch, outFeatures);
        if (dx !== null) matmulAB(dx, dy, weight.value, batch, outFeatures, inFeatures);
      },
    }),
  };
}

function sumOverBatch(out: Float32Array, dy: Float32Array, batch: number, width: number): void {
  for (let j = 0; j < width; j++) {
    let sum = 0;
    for (let b = 0; b < batch; b++) sum += dy[b * width + j];
    out[j] = sum;
  }
}
