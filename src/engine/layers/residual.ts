/**
 * A residual block: y = x + f(x), where f is the block's own list of layers run in order (an inner
 * nn.Sequential). Its parameters are named as torch names a Sequential nested in a Sequential:
 * `<block index>.<inner index>.<name>`, e.g. `1.0.weight` for the first inner layer of layer 1, so
 * the weights load into `nn.Sequential(..., Residual(nn.Sequential(...)), ...)` whose Residual keeps
 * its inner Sequential's modules as its own children (see the fixture generator).
 *
 *   forward:   a_0 = x,  a_{i+1} = f_i(a_i),  y = x + a_n
 *   backward:  ∂L/∂a_n = dy, back through the inner layers, then dx = dy + ∂L/∂a_0
 *
 * The inner layers' plans are made by the caller (the layer registry, which this file cannot import
 * without a cycle) and handed in as planners. f must keep the shape of x.
 */
import { z } from 'zod';
import { ShapeMismatch, type Layer, type LayerPlan, type ModelBuffer, type Parameter, type ParameterSpec, type BufferSpec } from '../layer.js';
import { formatShape, sizeOf, type Shape } from '../../core/shape.js';
import { allocFloat32 } from '../../kernels/arena.js';

/** The inner layers are checked by the config schema, which knows every layer (config/schema.ts). */
export const residualOptions = z.strictObject({ layers: z.array(z.unknown()).min(1) });

export type Planner = (inShape: Shape) => LayerPlan;

export function planResidual(inner: readonly Planner[], inShape: Shape): LayerPlan {
  const plans: LayerPlan[] = [];
  let shape = inShape;
  inner.forEach((plan, index) => {
    try {
      plans.push(plan(shape));
    } catch (error) {
      if (error instanceof ShapeMismatch) throw new ShapeMismatch(`residual layer ${index}: ${error.problem}`);
      throw error;
    }
    shape = plans[index].outShape;
  });
  if (sizeOf(shape) !== sizeOf(inShape) || shape.length !== inShape.length || shape.some((n, i) => n !== inShape[i])) {
    throw new ShapeMismatch(`residual: the block turns ${formatShape(inShape)} into ${formatShape(shape)}; x + f(x) needs f to keep the shape`);
  }
  const named = <T extends { name: string }>(list: (p: LayerPlan) => readonly T[]): T[] => plans.flatMap((p, i) => list(p).map((s) => ({ ...s, name: `${i}.${s.name}` })));
  return {
    outShape: inShape,
    parameters: named<ParameterSpec>((p) => p.parameters),
    buffers: named<BufferSpec>((p) => p.buffers ?? []),
    build: (parameters, context, buffers) => {
      let nextParameter = 0;
      let nextBuffer = 0;
      const layers = plans.map((p) => {
        const own = parameters.slice(nextParameter, (nextParameter += p.parameters.length));
        const state = buffers.slice(nextBuffer, (nextBuffer += (p.buffers ?? []).length));
        return p.build(own as Parameter[], context, state as ModelBuffer[]);
      });
      return buildResidual(layers, sizeOf(inShape), plans.map((p) => sizeOf(p.outShape)), context.maxBatch);
    },
  };
}

function buildResidual(layers: readonly Layer[], width: number, widths: readonly number[], maxBatch: number): Layer {
  const acts = widths.map((w) => allocFloat32(maxBatch * w));
  // grads[i] = ∂L/∂acts[i]; the last one is dy itself.
  const grads = widths.slice(0, -1).map((w) => allocFloat32(maxBatch * w));
  const dInput = allocFloat32(maxBatch * width);
  const last = layers.length - 1;
  return {
    forward(x, y, batch, mode) {
      for (let i = 0; i <= last; i++) layers[i].forward(i === 0 ? x : acts[i - 1], acts[i], batch, mode);
      const f = acts[last];
      for (let i = 0, n = batch * width; i < n; i++) y[i] = x[i] + f[i];
    },
    backward(x, _y, dy, dx, batch) {
      for (let i = last; i >= 0; i--) {
        const below = i === 0 ? (dx === null ? null : dInput) : grads[i - 1];
        layers[i].backward(i === 0 ? x : acts[i - 1], acts[i], i === last ? dy : grads[i], below, batch);
      }
      if (dx !== null) for (let i = 0, n = batch * width; i < n; i++) dx[i] = dy[i] + dInput[i];
    },
  };
}
