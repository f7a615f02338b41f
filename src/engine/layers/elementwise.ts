/**
 * Shape-preserving, parameter-free layers defined by a scalar function f and its derivative.
 * The derivative is given both the input x and the output y = f(x), because for several
 * activations (sigmoid, tanh) the cheapest exact form uses y.
 *
 *   forward:  y = f(x)
 *   backward: dx = dy · f'(x, y)
 */
import type { Layer, LayerPlan } from '../layer.js';
import { sizeOf, type Shape } from '../../core/shape.js';

export interface ScalarFunction {
  value(x: number): number;
  derivative(x: number, y: number): number;
  /** A WebAssembly twin of the forward loop, y ← f(x) over n elements, same bits; false when it cannot run. */
  forwardKernel?(x: Float32Array, y: Float32Array, n: number): boolean;
  /** A WebAssembly twin of the backward loop, dx ← dy · f'(x, y) over n elements, same bits; false when it cannot run. */
  backwardKernel?(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number): boolean;
}

export function planElementwise(fn: ScalarFunction, inShape: Shape): LayerPlan {
  const width = sizeOf(inShape);
  const layer: Layer = {
    forward(x, y, batch) {
      const n = batch * width;
      if (fn.forwardKernel?.(x, y, n) === true) return;
      for (let i = 0; i < n; i++) y[i] = fn.value(x[i]);
    },
    backward(x, y, dy, dx, batch) {
      if (dx === null) return;
      const n = batch * width;
      if (fn.backwardKernel?.(x, y, dy, dx, n) === true) return;
      for (let i = 0; i < n; i++) dx[i] = dy[i] * fn.derivative(x[i], y[i]);
    },
  };
  return { outShape: inShape, parameters: [], build: () => layer };
}
