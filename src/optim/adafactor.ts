/**
 * Adafactor (Shazeer & Stern 2018) as torch.optim.Adafactor (torch ≥ 2.5) states it: no first
 * moment, second moments factored over the last two dimensions of every tensor of ≥ 2 dimensions,
 * a relative step size and update clipping. With t the step, R = shape[−2], C = shape[−1]:
 *   g ← −g                                         if maximize
 *   β̂2ᵗ ← 1 − t^c                                  c = beta2_decay (−0.8), so 1 − β̂2ᵗ = t^c
 *   ρ ← min(γ, 1/√t),   α ← max(ε2, RMS(θ))·ρ
 *   θ ← θ(1 − γλ)
 *   ≥ 2-D:  r ← lerp(r, mean over C of g², t^c),  c ← lerp(c, mean over R of g², t^c)
 *           v̂ ← r·cᵀ / mean over R of r
 *   else:   v ← lerp(v, g², t^c),  v̂ ← v
 *   u ← g / √max(v̂, ε1²)
 *   θ ← θ − α·u / max(1, RMS(u)/d)
 * Where torch and the paper differ: torch has no momentum β1 and no ε1 inside the moment (it
 * clamps v̂ at ε1² instead), takes ε1 = None as float32's machine epsilon, decays weights by
 * γλ (the paper has no decay) and scales by RMS(θ) before the decay; the paper's Algorithm 4
 * factors only matrices (torch batches the leading dimensions, as here).
 */
import { z } from 'zod';
import { allocFloat32 } from '../kernels/arena.js';
import { learningRate, maximize, weightDecay } from './options.js';
import { negate } from './pieces.js';
import { addDecayedWeightsAtRate, clipByBlockRms, descend, scaleByRelativeStepSize } from './tensor-pieces.js';
import { chain, type NamedState, type OptimizerSetup, type Transform } from './transform.js';

export const rule = 'θ ← θ(1−γλ) − max(ε2, RMS(θ))·min(γ, 1/√t)·u/max(1, RMS(u)/d),  u = g/√v̂, v̂ factored';

export const algorithm = `
g ← −g                                      if maximize
ρ ← min(γ, 1/√t),  α ← max(ε2, RMS(θ))·ρ
θ ← θ(1 − γλ)
r ← lerp(r, mean_C(g²), t^c),  c ← lerp(c, mean_R(g²), t^c)      ≥ 2-D, over the last two dims
v̂ ← r·cᵀ / mean_R(r)                                             (c = beta2_decay)
v ← lerp(v, g², t^c),  v̂ ← v                                     1-D
u ← g / √max(v̂, ε1²)
θ ← θ − α·u / max(1, RMS(u)/d)`;

/** float32's machine epsilon, torch.finfo(torch.float32).eps: torch's ε1 when it is None. */
const FLOAT32_EPS = 2 ** -23;

export const adafactorOptions = z.strictObject({
  lr: learningRate(1e-2),
  beta2_decay: z.number().max(0).finite().default(-0.8).describe('c: the second moment averages with weight t^c at step t'),
  eps: z
    .tuple([z.number().gt(0).finite().nullable(), z.number().min(0).finite()])
    .default([null, 1e-3])
    .describe('(ε1, ε2): floor of v̂ (squared; null: float32 machine epsilon) and of RMS(θ) in the step size'),
  d: z.number().gt(0).finite().default(1).describe('clipping threshold d of RMS(u)'),
  weight_decay: weightDecay(),
  foreach: z.boolean().nullable().default(null).describe("torch's foreach implementation switch: accepted, changes nothing here"),
  maximize: maximize(),
});

interface FactoredState {
  /** ≥ 2-D: one per row of each matrix, shape [..., R, 1]; empty otherwise. */
  readonly rowVar: Float32Array;
  /** ≥ 2-D: one per column of each matrix, shape [..., 1, C]; empty otherwise. */
  readonly colVar: Float32Array;
  /** < 2-D: one per element; empty otherwise. */
  readonly variance: Float32Array;
  readonly shape: readonly number[];
}

/** The leading (batch) size, rows and columns a tensor is factored over. */
function factoring(shape: readonly number[]): { batch: number; rows: number; cols: number } | null {
  if (shape.length < 2) return null;
  const rows = shape[shape.length - 2];
  const cols = shape[shape.length - 1];
  return { batch: shape.slice(0, -2).reduce((a, b) => a * b, 1), rows, cols };
}

/**
 * Adafactor's second-moment scaling, u ← g/√max(v̂, ε1²), with v̂ factored for ≥ 2-D tensors
 * (torch's row_var, col_var) and kept whole otherwise (variance). Means and v̂ in double
 * precision, stored state in float32.
 */
export function scaleByFactoredRms(options: { beta2Decay: number; eps1: number }): Transform<FactoredState> {
  const { beta2Decay, eps1 } = options;
  const floor = eps1 * eps1;
  return {
    perTensor: true,
    init(size, shape = [size]) {
      const f = factoring(shape);
      return {
        rowVar: allocFloat32(f === null ? 0 : f.batch * f.rows),
        colVar: allocFloat32(f === null ? 0 : f.batch * f.cols),
        variance: allocFloat32(f === null ? size : 0),
        shape,
      };
    },
    named({ rowVar, colVar, variance, shape }): NamedState {
      if (variance.length > 0 || rowVar.length === 0) return { elements: [['variance', variance]], scalars: [] };
      const lead = shape.slice(0, -2);
      return {
        elements: [
          ['row_var', rowVar, [...lead, shape[shape.length - 2], 1]],
          ['col_var', colVar, [...lead, 1, shape[shape.length - 1]]],
        ],
        scalars: [],
      };
    },
    update(u, { rowVar, colVar, variance, shape }, { step }) {
      const weight = step ** beta2Decay;
      const f = factoring(shape);
      if (f === null) {
        for (let i = 0; i < u.length; i++) {
          variance[i] = lerp(variance[i], u[i] * u[i], weight);
          u[i] = u[i] / Math.sqrt(Math.max(variance[i], floor));
        }
        return;
      }
      const { batch, rows, cols } = f;
      for (let b = 0; b < batch; b++) {
        const base = b * rows * cols;
        for (let r = 0; r < rows; r++) {
          let sum = 0;
          for (let c = 0; c < cols; c++) sum += u[base + r * cols + c] ** 2;
          rowVar[b * rows + r] = lerp(rowVar[b * rows + r], sum / cols, weight);
        }
        for (let c = 0; c < cols; c++) {
          let sum = 0;
          for (let r = 0; r < rows; r++) sum += u[base + r * cols + c] ** 2;
          colVar[b * cols + c] = lerp(colVar[b * cols + c], sum / rows, weight);
        }
        let rowMean = 0;
        for (let r = 0; r < rows; r++) rowMean += rowVar[b * rows + r];
        rowMean = Math.max(rowMean / rows, eps1);
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            const estimate = (rowVar[b * rows + r] * colVar[b * cols + c]) / rowMean;
            u[base + r * cols + c] /= Math.sqrt(Math.max(estimate, floor));
          }
        }
      }
    },
  };
}

/** torch.lerp: a + w·(b − a). */
function lerp(a: number, b: number, weight: number): number {
  return a + weight * (b - a);
}

export function adafactor(o: z.output<typeof adafactorOptions>): OptimizerSetup {
  const [eps1, eps2] = o.eps;
  return {
    hyper: { lr: o.lr },
    transform: chain(
      o.maximize && negate(),
      scaleByFactoredRms({ beta2Decay: o.beta2_decay, eps1: eps1 ?? FLOAT32_EPS }),
      clipByBlockRms(o.d),
      scaleByRelativeStepSize(eps2),
      o.weight_decay !== 0 && addDecayedWeightsAtRate(o.weight_decay),
      descend(),
    ),
  };
}
