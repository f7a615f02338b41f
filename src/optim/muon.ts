/**
 * Muon (Jordan et al. 2024, "Muon: An optimizer for hidden layers in neural networks") as
 * torch.optim.Muon (torch ≥ 2.9) states it, for 2-D weight matrices only (a param group with
 * another optimizer, usually AdamW, takes biases, norms and the first and last layers):
 *   B ← μ·B + (1−μ)·g                                  (torch: B.lerp_(g, 1−μ); B starts at 0)
 *   u ← (1−μ)·g + μ·B  if nesterov, else u ← B          (torch: g.lerp(B, μ))
 *   X ← u/max(‖u‖_F, ε), transposed when it has more rows than columns
 *   repeat ns_steps:  A ← XXᵀ,  B ← b·A + c·A²,  X ← a·X + B·X    (a, b, c) = ns_coefficients
 *   θ ← θ − γ·(s·X + λθ)                                 s = max(1, rows/cols)^½ ("original", None)
 *                                                        or 0.2·max(rows, cols)^½ ("match_rms_adamw")
 * Where this differs from torch: torch runs Newton–Schulz in bfloat16 (for GPU speed); here it
 * runs in double precision and the result is rounded to float32 once, which is the exact
 * iteration torch approximates. torch decays θ ← θ(1 − γλ) before adding −γs·X: the same step.
 */
import { z } from 'zod';
import { allocFloat32 } from '../kernels/arena.js';
import { flushSubnormal } from './moments.js';
import { learningRate, weightDecay } from './options.js';
import { addDecayedWeights, scaleByLearningRate } from './pieces.js';
import { chain, namedBy, type OptimizerSetup, type Transform } from './transform.js';

export const rule = 'θ ← θ − γ·(s·NewtonSchulz(nesterov ? lerp(g, B, μ) : B) + λθ),  B ← lerp(B, g, 1−μ)  (2-D only)';

export const algorithm = `
B ← μ·B + (1−μ)·g                            momentum buffer B
u ← (1−μ)·g + μ·B                            if nesterov, else u ← B
X ← u/max(‖u‖_F, ε)                          transposed if rows > cols
A ← XXᵀ,  X ← a·X + (b·A + c·A²)·X            ns_steps times, (a, b, c) = ns_coefficients
θ ← θ − γ·(s·X + λθ)                         s = √max(1, rows/cols)  (adjust_lr_fn: null | original)
                                             s = 0.2·√max(rows, cols)  (adjust_lr_fn: match_rms_adamw)`;

export const muonOptions = z.strictObject({
  lr: learningRate(1e-3),
  weight_decay: weightDecay(0.1),
  momentum: z.number().min(0).lt(1).default(0.95).describe('momentum factor μ'),
  nesterov: z.boolean().default(true).describe('orthogonalise the Nesterov look-ahead lerp(g, b, μ) instead of b'),
  ns_coefficients: z.tuple([z.number().finite(), z.number().finite(), z.number().finite()]).default([3.4445, -4.775, 2.0315]).describe('(a, b, c) of the quintic Newton–Schulz iteration'),
  eps: z.number().gt(0).finite().default(1e-7).describe('floor of ‖u‖_F before the iteration'),
  ns_steps: z.int().min(1).lt(100).default(5).describe('Newton–Schulz iterations'),
  adjust_lr_fn: z.enum(['original', 'match_rms_adamw']).nullable().default(null).describe('scale of the step per matrix shape: null or original √max(1, rows/cols); match_rms_adamw 0.2·√max(rows, cols)'),
});

/** Why Muon cannot step a tensor of this shape, or null. */
export function tensorProblem(shape: readonly number[]): string | null {
  return shape.length === 2 ? null : "Muon orthogonalises 2-D matrices only; give it to another optimizer with a param group, e.g. {params: ['*.bias'], optimizer: adamw}";
}

/** Muon's momentum, b ← lerp(b, g, 1−μ), u ← nesterov ? lerp(g, b, μ) : b, in float32 with μ from hyper.momentum. */
export function lerpMomentum(nesterov: boolean): Transform<{ buffer: Float32Array }> {
  return {
    init: (size) => ({ buffer: allocFloat32(size) }),
    named: namedBy({ buffer: 'momentum_buffer' }),
    update(u, { buffer }, { hyper }) {
      const f = Math.fround;
      const mu = hyper.momentum ?? 0;
      for (let i = 0; i < u.length; i++) {
        const g = u[i];
        const b = flushSubnormal(f(buffer[i] + f(f(1 - mu) * f(g - buffer[i]))));
        buffer[i] = b;
        u[i] = nesterov ? f(g + f(f(mu) * f(b - g))) : b;
      }
    },
  };
}

interface NewtonSchulzState {
  readonly rows: number;
  readonly cols: number;
  /** X, [m, n] with m ≤ n (the matrix, transposed when it has more rows), and the next X. */
  readonly x: Float64Array;
  readonly next: Float64Array;
  /** A = XXᵀ and B = b·A + c·A², [m, m]. */
  readonly gram: Float64Array;
  readonly poly: Float64Array;
}

/** Muon's orthogonalisation of a matrix by the quintic Newton–Schulz iteration, in double precision. */
export function orthogonalizeByNewtonSchulz(options: { coefficients: readonly [number, number, number]; steps: number; eps: number }): Transform<NewtonSchulzState> {
  const [a, b, c] = options.coefficients;
  return {
    perTensor: true,
    init(size, shape = [size]) {
      const problem = tensorProblem(shape);
      if (problem !== null) throw new Error(problem);
      const [rows, cols] = shape;
      const m = Math.min(rows, cols);
      return { rows, cols, x: new Float64Array(size), next: new Float64Array(size), gram: new Float64Array(m * m), poly: new Float64Array(m * m) };
    },
    update(u, state) {
      const { rows, cols, gram, poly } = state;
      const transposed = rows > cols;
      const m = Math.min(rows, cols);
      const n = Math.max(rows, cols);
      let { x, next } = state;
      let sum = 0;
      for (let i = 0; i < u.length; i++) sum += u[i] * u[i];
      const scale = 1 / Math.max(Math.sqrt(sum), options.eps);
      for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) x[transposed ? k * rows + r : r * cols + k] = u[r * cols + k] * scale;
      for (let step = 0; step < options.steps; step++) {
        for (let i = 0; i < m; i++) {
          for (let j = 0; j <= i; j++) {
            let dot = 0;
            for (let k = 0; k < n; k++) dot += x[i * n + k] * x[j * n + k];
            gram[i * m + j] = dot;
            gram[j * m + i] = dot;
          }
        }
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < m; j++) {
            let dot = 0;
            for (let k = 0; k < m; k++) dot += gram[i * m + k] * gram[k * m + j];
            poly[i * m + j] = b * gram[i * m + j] + c * dot;
          }
        }
        for (let i = 0; i < m; i++) {
          const row = i * n;
          for (let j = 0; j < n; j++) next[row + j] = a * x[row + j];
          for (let k = 0; k < m; k++) {
            const p = poly[i * m + k];
            for (let j = 0; j < n; j++) next[row + j] += p * x[k * n + j];
          }
        }
        const done = next;
        next = x;
        x = done;
      }
      for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) u[r * cols + k] = x[transposed ? k * rows + r : r * cols + k];
    },
  };
}

/** torch's _adjust_lr as a scaling of the orthogonalised matrix: u ← s·u, s from the shape. */
export function scaleByShape(adjust: 'original' | 'match_rms_adamw' | null): Transform {
  return {
    perTensor: true,
    init: () => ({}),
    update(u, _state, { shape }) {
      const [rows, cols] = shape!;
      const s = adjust === 'match_rms_adamw' ? 0.2 * Math.sqrt(Math.max(rows, cols)) : Math.sqrt(Math.max(1, rows / cols));
      const sf = Math.fround(s);
      for (let i = 0; i < u.length; i++) u[i] *= sf;
    },
  };
}

export function muon(o: z.output<typeof muonOptions>): OptimizerSetup {
  return {
    hyper: { lr: o.lr, momentum: o.momentum },
    transform: chain(
      lerpMomentum(o.nesterov),
      orthogonalizeByNewtonSchulz({ coefficients: o.ns_coefficients, steps: o.ns_steps, eps: o.eps }),
      scaleByShape(o.adjust_lr_fn),
      o.weight_decay !== 0 && addDecayedWeights(o.weight_decay),
      scaleByLearningRate(),
    ),
  };
}
