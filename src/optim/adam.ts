/**
 * Adam (Kingma & Ba 2015), with AMSGrad (Reddi et al. 2018) and AdamW's decoupled weight decay
 * (Loshchilov & Hutter 2019), as torch.optim.Adam and torch.optim.AdamW.
 */
import { z } from 'zod';
import { adamWasm } from '../kernels/optimizer-kernels.js';
import { allocFloat32 } from '../kernels/arena.js';
import { flushSubnormal, initMoments, MOMENT_NAMES, type Moments } from './moments.js';
import { adamFamilyOptions, decoupledWeightDecay, maximize } from './options.js';
import { adamFamily, beta1Of } from './pieces.js';
import { namedBy, type OptimizerSetup, type Transform } from './transform.js';

export const rule = 'θ ← θ − γ·m̂/(√v̂ + ε)  (amsgrad: running max of v)';
export const adamwRule = 'θ ← θ − γ·(m̂/(√v̂ + ε) + λθ)  (decoupled weight decay)';

export const algorithm = `
g ← −g                                      if maximize
g ← g + λθ                                  if λ ≠ 0, coupled (Adam's default: L2)
θ ← θ − γλθ                                 if λ ≠ 0, decoupled (AdamW)
m ← β1·m + (1−β1)g,   v ← β2·v + (1−β2)g²
v_max ← max(v_max, v), used in place of v   if amsgrad
θ ← θ − γ · (m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)            ε outside the square root`;

const amsgrad = () => z.boolean().default(false).describe('AMSGrad: divide by the running maximum of v');

export const adamOptions = z.strictObject({
  ...adamFamilyOptions({ lr: 1e-3 }),
  amsgrad: amsgrad(),
  maximize: maximize(),
  decoupled_weight_decay: decoupledWeightDecay(),
});

export const adamwOptions = z.strictObject({
  ...adamFamilyOptions({ lr: 1e-3, weight_decay: 1e-2 }),
  amsgrad: amsgrad(),
  maximize: maximize(),
});

/**
 * Adam's scaling, u ← (m/(1−β1ᵗ)) / (√v/√(1−β2ᵗ) + ε); with AMSGrad the running maximum of
 * the raw v replaces v (torch ≥ 1.13: the maximum is taken before bias correction).
 * Without biasCorrection (LAMB's variant without debiasing), u ← m/(√v + ε).
 * Computed in float32, on a WebAssembly SIMD twin when the arrays allow (adamReference).
 */
export function scaleByAdam(options: { beta2: number; eps: number; amsgrad: boolean; biasCorrection?: boolean }): Transform<Moments & { maxExpAvgSq: Float32Array }> {
  const { beta2, eps, amsgrad: useMax, biasCorrection = true } = options;
  return {
    init: (size) => ({ ...initMoments(size), maxExpAvgSq: allocFloat32(useMax ? size : 0) }),
    named: namedBy({ ...MOMENT_NAMES, maxExpAvgSq: 'max_exp_avg_sq' }),
    update(u, { expAvg, expAvgSq, maxExpAvgSq }, { step, hyper }) {
      const beta1 = beta1Of(hyper);
      const s1 = biasCorrection ? 1 - beta1 ** step : 1;
      const s2 = biasCorrection ? Math.sqrt(1 - beta2 ** step) : 1;
      const vmax = useMax ? maxExpAvgSq : null;
      if (!adamWasm(u, expAvg, expAvgSq, vmax, beta1, 1 - beta1, beta2, 1 - beta2, s1, s2, eps)) {
        adamReference(u, expAvg, expAvgSq, vmax, beta1, 1 - beta1, beta2, 1 - beta2, s1, s2, eps);
      }
    },
  };
}

/**
 * scaleByAdam's element loop in float32, every operation rounded in this order (the SIMD
 * twin's, kernels/wasm/optimizer-kernels.wat), c1 = 1 − β1, c2 = 1 − β2 and the bias
 * corrections s1 = 1 − β1ᵗ, s2 = √(1 − β2ᵗ), all rounded to float32:
 *   m ← β1·m + c1·g,   v ← β2·v + c2·(g·g)    (each flushed to 0 below 2⁻¹²⁶: flushSubnormal)
 *   v ← v_max ← max(v_max, v) with AMSGrad
 *   u ← (m / s1) / (√v / s2 + ε)
 */
export function adamReference(
  u: Float32Array,
  expAvg: Float32Array,
  expAvgSq: Float32Array,
  maxExpAvgSq: Float32Array | null,
  beta1: number,
  c1: number,
  beta2: number,
  c2: number,
  s1: number,
  s2: number,
  eps: number,
): void {
  const f = Math.fround;
  const b1f = f(beta1);
  const c1f = f(c1);
  const b2f = f(beta2);
  const c2f = f(c2);
  const s1f = f(s1);
  const s2f = f(s2);
  const epsf = f(eps);
  for (let i = 0; i < u.length; i++) {
    const g = u[i];
    const m = flushSubnormal(f(f(b1f * expAvg[i]) + f(c1f * g)));
    expAvg[i] = m;
    let v = flushSubnormal(f(f(b2f * expAvgSq[i]) + f(c2f * f(g * g))));
    expAvgSq[i] = v;
    if (maxExpAvgSq !== null) {
      v = Math.max(maxExpAvgSq[i], v); // Math.max keeps a NaN, as torch.maximum does
      maxExpAvgSq[i] = v;
    }
    u[i] = f(m / s1f) / f(f(f(Math.sqrt(v)) / s2f) + epsf);
  }
}

export function adam(o: z.output<typeof adamOptions>): OptimizerSetup {
  return adamFamily(o, scaleByAdam({ beta2: o.betas[1], eps: o.eps, amsgrad: o.amsgrad }));
}

/** AdamW is Adam with decoupled weight decay (and a default λ of 1e-2). */
export function adamw(o: z.output<typeof adamwOptions>): OptimizerSetup {
  return adam({ ...o, decoupled_weight_decay: true });
}
