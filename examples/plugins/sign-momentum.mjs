/**
 * sign_momentum: Signum, sign descent with momentum (Bernstein, Wang, Azizzadenesheli &
 * Anandkumar 2018, "signSGD: Compressed Optimisation for Non-Convex Problems", Algorithm 3),
 * with decoupled weight decay as Lion has it (Chen et al. 2023):
 *   m ← β·m + (1−β)·g
 *   θ ← θ − γ·(sign(m) + λθ)
 * Every element moves by γ whatever the gradient's scale, so γ is far smaller than SGD's
 * (1e-4 … 1e-2). An adam-lab optimizer plugin: adam-lab --optimizer-plugin examples/plugins/sign-momentum.mjs
 */
export const name = 'sign_momentum';

/** The options, under a function so that adam-lab hands over its own zod (the plugin needs no install). */
export const options = (z) =>
  z.strictObject({
    lr: z.number().gt(0).default(1e-3).describe('learning rate γ: the size of every element’s step'),
    beta: z.number().min(0).lt(1).default(0.9).describe('momentum β: decay of the running average m of g'),
    weight_decay: z.number().min(0).default(0).describe('decoupled weight decay λ'),
  });

export const rule = 'θ ← θ − γ·(sign(m) + λθ),  m ← βm + (1−β)g  (Signum)';
export const algorithm = `
m ← β·m + (1−β)·g
θ ← θ − γ·(sign(m) + λθ)                   sign(0) = 0`;

/** One tensor's state: its momentum, saved in checkpoints as <tensor>.momentum_buffer. */
export function init(size) {
  return { momentum_buffer: new Float32Array(size) };
}

/** Turns the gradient g into the step, in place: θ ← θ + g afterwards. */
export function update(g, { momentum_buffer: m }, { hyper, params }, { beta, weight_decay: decay }) {
  const lr = hyper.lr; // read each step: schedules move it
  for (let i = 0; i < g.length; i++) {
    m[i] = beta * m[i] + (1 - beta) * g[i];
    g[i] = -lr * (Math.sign(m[i]) + decay * params[i]);
  }
}
