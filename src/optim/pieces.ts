/**
 * The building blocks optimizers are composed of. Each is one formula from torch.optim's
 * algorithm boxes, applied to the update vector u in place (u starts as the gradient g).
 * Symbols follow the torch docs: θ parameters, γ learning rate, λ weight decay, μ momentum.
 * The adaptive scalings (Adam's, RMSprop's, ...) live with their optimizer families.
 *
 * The hot pieces have a WebAssembly SIMD twin (kernels/optimizer-kernels.ts) that runs when
 * every array lives in the engine memory (state is allocated there); the loop written here
 * is the reference and the fallback, and the two give identical bits: negate, scale and
 * addScaled in float32, rounding every operation (Math.fround); trace in float64, rounding
 * once per stored value, as RMSprop's chain needs (kernels/wasm/optimizer-kernels.wat).
 */
import { addScaledWasm, negateWasm, scaleWasm, sumOfSquares, traceWasm } from '../kernels/optimizer-kernels.js';
import { allocFloat32 } from '../kernels/arena.js';
import { flushSubnormal } from './moments.js';
import { addScaledReference, chain, namedBy, type Hyperparams, type OptimizerSetup, type Transform } from './transform.js';

const noState = (): Record<string, never> => ({});

/** maximize: u ← −u (ascend instead of descend). */
export function negate(): Transform {
  return {
    init: noState,
    update(u) {
      if (!negateWasm(u)) negateReference(u);
    },
  };
}

/** u ← −u (exact: a sign flip). */
export function negateReference(u: Float32Array): void {
  for (let i = 0; i < u.length; i++) u[i] = -u[i];
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
      if (!addScaledWasm(u, params, weightDecay)) addScaledReference(u, params, weightDecay);
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
  const names = namedBy<{ buffer: Float32Array; started: Float32Array }>({ buffer: 'momentum_buffer' });
  return {
    init: (size) => ({ buffer: allocFloat32(size), started: new Float32Array(1) }),
    // The buffer is allocated up front (a schedule may raise μ from 0), but torch has none until a
    // step has used momentum (SGD's is None, RMSprop keeps none while μ = 0): named only from then.
    named(state) {
      const named = names(state);
      return state.started[0] === 0 ? { ...named, elements: [] } : named;
    },
    update(u, { buffer, started }, { hyper }) {
      const mu = momentumOf(hyper);
      if (mu === 0) return;
      const first = started[0] === 0;
      started[0] = 1;
      if (!traceWasm(u, buffer, mu, 1 - dampening, first, nesterov)) traceReference(u, buffer, mu, 1 - dampening, first, nesterov);
    },
  };
}

/**
 * trace's loop, c = 1 − τ: b ← first ? u : μ·b + c·u (stored as float32, flushed to 0 below
 * 2⁻¹²⁶), then u ← nesterov ? u + μ·b : b.
 */
export function traceReference(u: Float32Array, buffer: Float32Array, mu: number, c: number, first: boolean, nesterov: boolean): void {
  for (let i = 0; i < u.length; i++) {
    buffer[i] = flushSubnormal(Math.fround(first ? u[i] : mu * buffer[i] + c * u[i]));
    u[i] = nesterov ? u[i] + mu * buffer[i] : buffer[i];
  }
}

/** Adagrad's learning-rate decay: u ← u / (1 + (t−1)·η), so that γ becomes γ/(1 + (t−1)η). */
export function scaleByInverseTimeDecay(lrDecay: number): Transform {
  return {
    init: noState,
    update(u, _state, { step }) {
      const factor = 1 + (step - 1) * lrDecay;
      for (let i = 0; i < u.length; i++) u[i] /= factor;
    },
  };
}

/**
 * u ← −γu: the last link of every chain, γ read from hyper.lr so that schedules can move it.
 * Optimizer.apply folds it into θ ← θ + u (finalScale, deferScale).
 */
export function scaleByLearningRate(): Transform {
  return {
    init: noState,
    update(u, _state, { hyper }, deferScale = false) {
      if (deferScale) return;
      if (!scaleWasm(u, -hyper.lr)) scaleReference(u, -hyper.lr);
    },
    finalScale: ({ hyper }) => -hyper.lr,
  };
}

/** u ← s·u in float32 (s rounded to float32 first). */
export function scaleReference(u: Float32Array, s: number): void {
  const sf = Math.fround(s);
  for (let i = 0; i < u.length; i++) u[i] *= sf;
}

/**
 * torch.nn.utils.clip_grad_norm_: with the global L2 norm ‖g‖ over all parameters,
 * g ← g · min(1, max_norm / (‖g‖ + 1e-6)). It is the chain's first link (registry.ts), so u is
 * still the gradient: ‖g‖ is taken from the step context when Optimizer.apply's caller computed
 * it already, saving a pass over the vector, and computed here otherwise.
 */
export function clipByGlobalNorm(maxNorm: number): Transform {
  return {
    init: noState,
    update(u, _state, { gradNorm }) {
      const coefficient = maxNorm / ((gradNorm ?? Math.sqrt(sumOfSquares(u))) + 1e-6);
      if (coefficient < 1 && !scaleWasm(u, coefficient)) scaleReference(u, coefficient);
    },
  };
}

/** torch.nn.utils.clip_grad_value_: g ← clamp(g, −v, v). */
export function clipByValue(limit: number): Transform {
  return {
    init: noState,
    update(u) {
      for (let i = 0; i < u.length; i++) u[i] = Math.min(limit, Math.max(-limit, u[i]));
    },
  };
}

export interface TorchFrame {
  readonly maximize: boolean;
  readonly weight_decay: number;
  readonly decoupled_weight_decay?: boolean;
}

/**
 * The frame every torch.optim algorithm box shares, around the optimizer's own scaling:
 *   g ← −g                        if maximize
 *   g ← g + λθ                    if λ ≠ 0 and the decay is coupled (L2)
 *   u ← scaling(g)
 *   θ ← θ − γ(u + λθ)             with the λθ term only if the decay is decoupled (AdamW)
 */
export function torchChain(frame: TorchFrame, ...scaling: (Transform | false)[]): Transform {
  const decay = frame.weight_decay !== 0 && addDecayedWeights(frame.weight_decay);
  const decoupled = frame.decoupled_weight_decay === true;
  return chain(frame.maximize && negate(), !decoupled && decay, ...scaling, decoupled && decay, scaleByLearningRate());
}

/**
 * An Adam-family optimizer (Adam, AdamW, Adamax, NAdam, RAdam): the torch frame around its own
 * scaling, with β1 among the hyperparameters, where one_cycle_lr can cycle it.
 */
export function adamFamily(o: TorchFrame & { readonly lr: number; readonly betas: readonly number[] }, scaling: Transform): OptimizerSetup {
  return { hyper: { lr: o.lr, beta1: o.betas[0] }, transform: torchChain(o, scaling) };
}

function momentumOf(hyper: Hyperparams): number {
  return hyper.momentum ?? 0;
}

/** β1 of the Adam family, read each step so that one_cycle_lr can cycle it. */
export function beta1Of(hyper: Hyperparams): number {
  if (hyper.beta1 === undefined) throw new Error('this scaling needs hyper.beta1');
  return hyper.beta1;
}
