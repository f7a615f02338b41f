/**
 * LayerNorm (torch.nn.LayerNorm(normalized_shape = last dimension)): every row x of the last
 * dimension (width N; a sequence [T, E] has T rows of N = E) is normalized on its own:
 *
 *   μ = mean(x),  σ² = mean((x − μ)²)  (biased, as torch),  x̂ = (x − μ)/√(σ² + ε),  y = γ·x̂ + β
 *
 * backward:  dγ = Σ_rows dy·x̂,  dβ = Σ_rows dy
 *            dx = 1/√(σ² + ε) · (g − mean(g) − x̂·mean(g·x̂)),  g = γ·dy
 *
 * The row statistics are computed in doubles (the accurate answer; float32 rounding of the
 * result only) and kept from forward for backward. Init as torch: γ = 1, β = 0.
 */
import { z } from 'zod';
import { ShapeMismatch, type Layer, type LayerPlan, type Parameter, type ParameterSpec } from '../layer.js';
import { sizeOf, type Shape } from '../../core/shape.js';

export const layerNormOptions = z.strictObject({
  eps: z.number().gt(0).default(1e-5),
  elementwise_affine: z.boolean().default(true).describe('learn a per-feature scale (weight) and shift (bias)'),
});
export type LayerNormOptions = z.output<typeof layerNormOptions>;

export function planLayerNorm(options: LayerNormOptions, inShape: Shape): LayerPlan {
  if (inShape.length < 1) throw new ShapeMismatch('layernorm needs at least one dimension to normalize');
  const width = inShape[inShape.length - 1];
  const rowsPerSample = sizeOf(inShape) / width;
  const parameters: ParameterSpec[] = options.elementwise_affine
    ? [
        { name: 'weight', shape: [width], init: { kind: 'constant', value: 1 } },
        { name: 'bias', shape: [width], init: { kind: 'constant', value: 0 } },
      ]
    : [];
  return {
    outShape: inShape,
    parameters,
    build: ([weight, bias]: readonly Parameter[], { maxBatch }): Layer => {
      const mean = new Float64Array(maxBatch * rowsPerSample);
      const inverseStd = new Float64Array(maxBatch * rowsPerSample);
      return {
        forward(x, y, batch) {
          for (let r = 0; r < batch * rowsPerSample; r++) {
            const at = r * width;
            let sum = 0;
            for (let j = 0; j < width; j++) sum += x[at + j];
            const mu = sum / width;
            let squares = 0;
            for (let j = 0; j < width; j++) squares += (x[at + j] - mu) ** 2;
            const rstd = 1 / Math.sqrt(squares / width + options.eps);
            mean[r] = mu;
            inverseStd[r] = rstd;
            for (let j = 0; j < width; j++) {
              const normalized = (x[at + j] - mu) * rstd;
              y[at + j] = weight === undefined ? normalized : normalized * weight.value[j] + bias.value[j];
            }
          }
        },
        backward(x, _y, dy, dx, batch) {
          if (weight !== undefined) {
            weight.grad.fill(0);
            bias.grad.fill(0);
          }
          for (let r = 0; r < batch * rowsPerSample; r++) {
            const at = r * width;
            const mu = mean[r];
            const rstd = inverseStd[r];
            let sumG = 0;
            let sumGx = 0;
            for (let j = 0; j < width; j++) {
              const normalized = (x[at + j] - mu) * rstd;
              const g = weight === undefined ? dy[at + j] : dy[at + j] * weight.value[j];
              sumG += g;
              sumGx += g * normalized;
              if (weight !== undefined) {
                weight.grad[j] += dy[at + j] * normalized;
                bias.grad[j] += dy[at + j];
              }
            }
            if (dx === null) continue;
            const meanG = sumG / width;
            const meanGx = sumGx / width;
            for (let j = 0; j < width; j++) {
              const normalized = (x[at + j] - mu) * rstd;
              const g = weight === undefined ? dy[at + j] : dy[at + j] * weight.value[j];
              dx[at + j] = rstd * (g - meanG - normalized * meanGx);
            }
          }
        },
      };
    },
  };
}
