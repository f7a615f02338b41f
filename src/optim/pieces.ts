/**
 * The building blocks optimizers are composed of. Each is one formula from torch.optim's
 * algorithm boxes, applied to the update vector u in place (u starts as the gradient g).
 * Symbols follow the torch docs: θ parameters, γ learning rate, λ weight decay, μ momentum.
 */
import type { Hyperparams, Transform } from './transform.js';

const noState = (): Record<string, never> => ({});

/** maximize: u ← −u (ascend instead of descend). */
export function negate(): Transform {
  return {
    init: noState,
    update(u) {
      for (let i = 0; i < u.length; i++) u[i] = -u[i];
    },
  };
}

/**
 * u ← u + λθ. Placed before the adaptive scaling it is L2 regularization ("coupled", torch's
 * weight_decay in SGD/Adam); placed after it and before the learning rate it is AdamW's
 * decoupled decay, θ ← θ − γλθ (optax's add_decayed_weights, used the same two ways).
 */
export function addDecayedWeights(weightDecay: number): Transform {
  return {
    init: noState,
    update(u, _state, { params }) {
      for (let i = 0; i < u.length; i++) u[i] += weightDecay * params[i];
    },
  };
}

/**
 * Momentum with dampening τ and optional Nesterov look-ahead (torch.optim.SGD):
 *   b ← g on the first step with μ ≠ 0, else b ← μb + (1−τ)g
 *   u ← g + μb (nesterov) or u ← b
 * μ is read from hyper.momentum each step; μ = 0 passes u through, as torch does.
 */
export function trace(options: { dampening: number; nesterov: boolean }): Transform<{ buffer: Float32Array; started: Float32Array }> {
  const { dampening, nesterov } = options;
  return {
    init: (size) => ({ buffer: new Float32Array(size), started: new Float32Array(1) }),
    update(u, { buffer, started }, { hyper }) {
      const mu = momentumOf(hyper);
      if (mu === 0) return;
      const first = started[0] === 0;
      started[0] = 1;
      for (let i = 0; i < u.length; i++) {
        const b = first ? u[i] : mu * buffer[i] + (1 - dampening) * u[i];
        buffer[i] = b;
        u[i] = nesterov ? u[i] + mu * buffer[i] : buffer[i];
      }
    },
  };
}

/**
 * RMSprop's scaling (torch.optim.RMSprop), α the smoothing constant:
 *   v ← αv + (1−α)g²
 *   centered: ḡ ← αḡ + (1−α)g,  ṽ = v − ḡ²;  otherwise ṽ = v
 *   u ← g / (√ṽ + ε)
 */
export function scaleByRms(options: { alpha: number; eps: number; centered: boolean }): Transform<{
  squareAvg: Float32Array;
  gradAvg: Float32Array;
}> {
  const { alpha, eps, centered } = options;
  return {
    init: (size) => ({ squareAvg: new Float32Array(size), gradAvg: new Float32Array(centered ? size : 0) }),
    update(u, { squareAvg, gradAvg }) {
      for (let i = 0; i < u.length; i++) {
        const g = u[i];
        squareAvg[i] = alpha * squareAvg[i] + (1 - alpha) * g * g;
        let variance = squareAvg[i];
        if (centered) {
          gradAvg[i] = alpha * gradAvg[i] + (1 - alpha) * g;
          variance -= gradAvg[i] * gradAvg[i];
        }
        u[i] = g / (Math.sqrt(variance) + eps);
      }
    },
  };
}

/**
 * Adam's scaling (torch.optim.Adam, Kingma & Ba 2015), ε outside the square root:
 *   m ← β1·m + (1−β1)g,   v ← β2·v + (1−β2)g²
 *   AMSGrad: v_max ← max(v_max, v) and v_max replaces v below (the torch ≥ 1.13 form: the
 *   maximum of the raw second moments, bias-corrected afterwards)
 *   u ← (m / (1−β1ᵗ)) / (√v / √(1−β2ᵗ) + ε)
 * β1 is read from hyper.beta1 each step, so one_cycle_lr can cycle it.
 */
export function scaleByAdam(options: { beta2: number; eps: number; amsgrad: boolean }): Transform<{
  expAvg: Float32Array;
  expAvgSq: Float32Array;
  maxExpAvgSq: Float32Array;
}> {
  const { beta2, eps, amsgrad } = options;
  return {
    init: (size) => ({
      expAvg: new Float32Array(size),
      expAvgSq: new Float32Array(size),
      maxExpAvgSq: new Float32Array(amsgrad ? size : 0),
    }),
    update(u, { expAvg, expAvgSq, maxExpAvgSq }, { step, hyper }) {
      const beta1 = beta1Of(hyper);
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
      for (let i = 0; i < u.length; i++) {
        const g = u[i];
        expAvg[i] = beta1 * expAvg[i] + (1 - beta1) * g;
        expAvgSq[i] = beta2 * expAvgSq[i] + (1 - beta2) * g * g;
        let second = expAvgSq[i];
        if (amsgrad) {
          maxExpAvgSq[i] = Math.max(maxExpAvgSq[i], second); // Math.max keeps a NaN, as torch.maximum does
          second = maxExpAvgSq[i];
        }
        u[i] = expAvg[i] / biasCorrection1 / (Math.sqrt(second) / biasCorrection2Sqrt + eps);
      }
    },
  };
}

/**
 * The first two lines of every torch.optim algorithm box: g ← −g if maximize, then
 * g ← g + λθ if λ ≠ 0 (coupled weight decay, i.e. L2 regularization).
 */
export function torchGradient(options: { maximize: boolean; weight_decay: number }): (Transform | false)[] {
  return [options.maximize && negate(), options.weight_decay !== 0 && addDecayedWeights(options.weight_decay)];
}

/** u ← −γu: the last link of every chain, γ read from hyper.lr so that schedules can move it. */
export function scaleByLearningRate(): Transform {
  return {
    init: noState,
    update(u, _state, { hyper }) {
      const lr = hyper.lr;
      for (let i = 0; i < u.length; i++) u[i] = -lr * u[i];
    },
  };
}

function momentumOf(hyper: Hyperparams): number {
  return hyper.momentum ?? 0;
}

function beta1Of(hyper: Hyperparams): number {
  if (hyper.beta1 === undefined) throw new Error('scaleByAdam needs hyper.beta1');
  return hyper.beta1;
}
