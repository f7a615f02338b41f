/**
 * Building blocks that work on one tensor at a time (Transform.perTensor): they read a norm or
 * the shape of the tensor they step, so the optimizer gives each its own segment. Norms are
 * accumulated in double precision (sumOfSquares) and the scalings applied in float32, as
 * pieces.ts scales. Names follow optax where optax has the block (scale_by_trust_ratio,
 * clip_by_block_rms, scale_by_param_block_rms).
 */
import { addScaledWasm, scaleWasm, sumOfSquares } from '../kernels/optimizer-kernels.js';
import { scaleReference } from './pieces.js';
import { addScaledReference, type Transform } from './transform.js';

const noState = (): Record<string, never> => ({});

/** ‖x‖₂ in double precision. */
export function norm(x: Float32Array): number {
  return Math.sqrt(sumOfSquares(x));
}

function scaleInPlace(u: Float32Array, s: number): void {
  if (!scaleWasm(u, s)) scaleReference(u, s);
}

/**
 * LAMB's layer-wise trust ratio (You et al. 2020, Algorithm 2, φ the identity), optax's
 * scale_by_trust_ratio: u ← (‖θ‖/‖u‖)·u per tensor, with a ratio of 1 when either norm is 0
 * (a fresh zero bias, a zero update), as tensorflow-addons' LAMB and optax do.
 */
export function scaleByTrustRatio(): Transform {
  return {
    perTensor: true,
    init: noState,
    update(u, _state, { params }) {
      const paramNorm = norm(params);
      const updateNorm = norm(u);
      if (paramNorm > 0 && updateNorm > 0) scaleInPlace(u, paramNorm / updateNorm);
    },
  };
}

/**
 * LARS's local rate (You et al. 2017, Algorithm 1) with its weight decay β, as timm's Lars and
 * NVIDIA's LARC compute it: with η the trust coefficient,
 *   r ← η‖θ‖ / (‖g‖ + β‖θ‖ + ε)     (1 when ‖θ‖ or ‖g‖ is 0)
 *   u ← r·(g + βθ)
 * The denominator is the paper's bound ‖g‖ + β‖θ‖, not ‖g + βθ‖ (optax's lars uses the latter).
 */
export function scaleByLarsTrustRatio(options: { trustCoefficient: number; weightDecay: number; eps: number }): Transform {
  const { trustCoefficient, weightDecay, eps } = options;
  return {
    perTensor: true,
    init: noState,
    update(u, _state, { params }) {
      const paramNorm = norm(params);
      const gradNorm = norm(u);
      const ratio = paramNorm > 0 && gradNorm > 0 ? (trustCoefficient * paramNorm) / (gradNorm + weightDecay * paramNorm + eps) : 1;
      if (weightDecay !== 0 && !addScaledWasm(u, params, weightDecay)) addScaledReference(u, params, weightDecay);
      if (ratio !== 1) scaleInPlace(u, ratio);
    },
  };
}

/** optax's clip_by_block_rms, in Adafactor's form: u ← u / max(1, RMS(u)/d), per tensor. */
export function clipByBlockRms(threshold: number): Transform {
  return {
    perTensor: true,
    init: noState,
    update(u) {
      const denominator = Math.max(1, norm(u) / Math.sqrt(u.length) / threshold);
      if (denominator !== 1) scaleInPlace(u, 1 / denominator);
    },
  };
}

/**
 * Adafactor's relative step size (Shazeer & Stern 2018, §8; torch.optim.Adafactor):
 * u ← max(ε2, RMS(θ))·ρ_t·u, ρ_t = min(γ, 1/√t), with θ before this step's decay.
 */
export function scaleByRelativeStepSize(eps2: number): Transform {
  return {
    perTensor: true,
    init: noState,
    update(u, _state, { params, step, hyper }) {
      const rho = Math.min(hyper.lr, 1 / Math.sqrt(step));
      scaleInPlace(u, Math.max(eps2, norm(params) / Math.sqrt(params.length)) * rho);
    },
  };
}

/**
 * Decoupled weight decay at the learning rate, where the step itself is not scaled by it
 * (Adafactor's θ ← θ(1 − γλ)): u ← u + γλθ, before a final descend().
 */
export function addDecayedWeightsAtRate(weightDecay: number): Transform {
  return {
    init: noState,
    update(u, _state, { params, hyper }) {
      if (!addScaledWasm(u, params, hyper.lr * weightDecay)) addScaledReference(u, params, hyper.lr * weightDecay);
    },
  };
}

/** θ ← θ − u: the last link of a chain whose update already carries its step size. */
export function descend(): Transform {
  return {
    init: noState,
    update(u, _state, _context, deferScale = false) {
      if (!deferScale) scaleInPlace(u, -1);
    },
    finalScale: () => -1,
  };
}
