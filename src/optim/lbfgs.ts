/**
 * L-BFGS (Nocedal 1980; Liu & Nocedal 1989), as torch.optim.LBFGS (1.13 and 2.x): several loss and
 * gradient evaluations per optimizer step, through the step's closure (StepContext.closure), with
 * the two-loop recursion over the last history_size curvature pairs and, optionally, torch's strong
 * Wolfe line search (its _strong_wolfe and _cubic_interpolate, ported line by line).
 *
 * torch.optim.LBFGS takes one parameter group, so this optimizer refuses param_groups; it steps the
 * whole parameter vector as one segment and moves the parameters itself (the line search evaluates
 * them), leaving the update Optimizer.apply adds zero. Vectors are float32 as torch's; dot products
 * and the scalars t, H_diag, ρ are float64 (torch's are float32 0-dim tensors), hence the fixture
 * tolerance rather than bits.
 *
 * History memory: 2·history_size vectors the size of the model, allocated up front (a step
 * allocates nothing); torch grows its lists to the same size.
 */
import { z } from 'zod';
import { allocFloat32 } from '../kernels/arena.js';
import { learningRate } from './options.js';
import type { NamedState, OptimizerSetup, StepContext, Transform } from './transform.js';

export const rule = 'θ ← θ + t·d,  d = −H·g by the two-loop recursion over the last history_size (s, y) pairs';

export const algorithm = `
each optimizer step, up to max_iter iterations (max_eval evaluations):
  stop if max|g| ≤ tolerance_grad
  y ← g − g_prev, s ← t·d;  keep (s, y, ρ = 1/yᵀs) if yᵀs > 1e-10;  H_diag ← yᵀs / yᵀy
  d ← −H·g (two-loop recursion, H₀ = H_diag·I);  d ← −g on the very first iteration
  t ← γ·min(1, 1/Σ|g|) on the very first iteration, else γ
  stop if gᵀd > −tolerance_change
  line_search_fn null:          θ ← θ + t·d, evaluate the closure again
  line_search_fn strong_wolfe:  t from torch's strong Wolfe search (c1 = 1e-4, c2 = 0.9, 25 trials), θ ← θ + t·d
  stop if max|t·d| ≤ tolerance_change or |loss − loss_prev| < tolerance_change
steps.csv: one row per optimizer step, with the loss and gradient norm of its first evaluation
(what step(closure) returns); manifest.json's function_evaluations counts the closure calls of the
run, and a checkpoint's optimizer.json keeps torch's func_evals and n_iter`;

export const lbfgsOptions = z
  .strictObject({
    lr: learningRate(1),
    max_iter: z.int().positive().default(20).describe('iterations per optimizer step'),
    max_eval: z.int().positive().nullable().default(null).describe('closure evaluations per optimizer step (null: max_iter · 5/4)'),
    tolerance_grad: z.number().min(0).finite().default(1e-7).describe('stop when max|g| is at most this'),
    tolerance_change: z.number().min(0).finite().default(1e-9).describe('stop when the step or the loss changes by less than this'),
    history_size: z.int().positive().default(100).describe('curvature pairs (s, y) kept'),
    line_search_fn: z.enum(['strong_wolfe']).nullable().default(null).describe('null (a fixed step lr) or strong_wolfe'),
  })
  .describe('torch.optim.LBFGS: full batch (batch_size ≥ the training set), one parameter group');

type LbfgsOptions = z.output<typeof lbfgsOptions>;

/** What persists between steps, under torch's state names (old_dirs.i, old_stps.i, ro.i as lists there). */
interface LbfgsState {
  readonly d: Float32Array;
  readonly prevFlatGrad: Float32Array;
  readonly oldDirs: Float32Array;
  readonly oldStps: Float32Array;
  readonly ro: Float64Array;
  /** t, H_diag, prev_loss, func_evals, n_iter and the number of pairs kept (SCALAR_NAMES). */
  readonly scalars: Float64Array;
  readonly scratch: Scratch;
}

/** Working vectors of a step, not state: the gradient as last evaluated, y and s, θ before a line search, the search's clones. */
interface Scratch {
  readonly flat: Float32Array;
  readonly y: Float32Array;
  readonly s: Float32Array;
  readonly xInit: Float32Array;
  readonly pool: readonly Float32Array[];
  readonly al: Float64Array;
}

const T = 0;
const H_DIAG = 1;
const PREV_LOSS = 2;
const FUNC_EVALS = 3;
const N_ITER = 4;
const KEPT = 5;
const SCALAR_NAMES = ['t', 'H_diag', 'prev_loss', 'func_evals', 'n_iter', 'history'] as const;

export function lbfgsTransform(o: LbfgsOptions): Transform<LbfgsState> {
  const maxEval = o.max_eval ?? Math.floor((o.max_iter * 5) / 4);
  const history = o.history_size;
  return {
    init: (n) => ({
      d: allocFloat32(n),
      prevFlatGrad: allocFloat32(n),
      oldDirs: allocFloat32(history * n),
      oldStps: allocFloat32(history * n),
      ro: new Float64Array(history),
      scalars: new Float64Array(SCALAR_NAMES.length),
      scratch: {
        flat: allocFloat32(n),
        y: allocFloat32(n),
        s: allocFloat32(n),
        xInit: allocFloat32(n),
        pool: Array.from({ length: 5 }, () => allocFloat32(n)),
        al: new Float64Array(history),
      },
    }),
    named(state): NamedState {
      const n = state.d.length;
      const pairs = Array.from({ length: state.scalars[KEPT] }, (_, i) => i);
      return {
        // torch has d and prev_flat_grad once an iteration has run.
        elements: [
          ...(state.scalars[N_ITER] > 0 ? [['d', state.d] as const, ['prev_flat_grad', state.prevFlatGrad] as const] : []),
          ...pairs.map((i) => [`old_dirs.${i}`, state.oldDirs.subarray(i * n, (i + 1) * n)] as const),
          ...pairs.map((i) => [`old_stps.${i}`, state.oldStps.subarray(i * n, (i + 1) * n)] as const),
        ],
        scalars: [...SCALAR_NAMES.map((name, i) => [name, state.scalars.subarray(i, i + 1)] as const), ...pairs.map((i) => [`ro.${i}`, state.ro.subarray(i, i + 1)] as const)],
      };
    },
    update(u, state, context) {
      step(u, state, context, o, maxEval);
      u.fill(0);
    },
  };
}

/** torch.optim.LBFGS.step(closure), `u` the gradient of the closure's first evaluation (and where it writes every later one). */
function step(u: Float32Array, state: LbfgsState, context: StepContext, o: LbfgsOptions, maxEval: number): void {
  const { closure, params, hyper } = context;
  if (closure === undefined) throw new Error('lbfgs needs a closure: Optimizer.apply(grads, norm, closure)');
  const { d, prevFlatGrad, oldDirs, oldStps, ro, scalars } = state;
  const { flat, y, s, xInit, al } = state.scratch;
  const n = d.length;
  const lr = hyper.lr;
  let loss = closure.loss;
  flat.set(u);
  let currentEvals = 1;
  scalars[FUNC_EVALS] += 1;
  if (maxAbs(flat) <= o.tolerance_grad) return;
  let t = scalars[T];
  let hDiag = scalars[H_DIAG];
  let prevLoss = scalars[PREV_LOSS];
  let iteration = 0;
  while (iteration < o.max_iter) {
    iteration++;
    scalars[N_ITER] += 1;
    if (scalars[N_ITER] === 1) {
      for (let i = 0; i < n; i++) d[i] = -flat[i];
      scalars[KEPT] = 0;
      hDiag = 1;
    } else {
      for (let i = 0; i < n; i++) {
        y[i] = flat[i] - prevFlatGrad[i];
        s[i] = d[i] * t;
      }
      const ys = dot(y, s);
      if (ys > 1e-10) {
        let kept = scalars[KEPT];
        if (kept === o.history_size) {
          oldDirs.copyWithin(0, n);
          oldStps.copyWithin(0, n);
          ro.copyWithin(0, 1);
          kept--;
        }
        oldDirs.set(y, kept * n);
        oldStps.set(s, kept * n);
        ro[kept] = 1 / ys;
        scalars[KEPT] = kept + 1;
        hDiag = ys / dot(y, y);
      }
      twoLoop(flat, d, oldDirs, oldStps, ro, al, scalars[KEPT], hDiag);
    }
    prevFlatGrad.set(flat);
    prevLoss = loss;
    t = scalars[N_ITER] === 1 ? Math.min(1, 1 / sumAbs(flat)) * lr : lr;
    const gtd = dot(flat, d);
    if (gtd > -o.tolerance_change) break;
    let lsEvals = 0;
    let optimal = false;
    if (o.line_search_fn === 'strong_wolfe') {
      xInit.set(params);
      const evaluate = (at: number): number => {
        addScaled(params, d, at);
        const value = closure.evaluate();
        params.set(xInit);
        return value;
      };
      const found = strongWolfe(evaluate, u, state.scratch.pool, t, d, loss, flat, gtd, o.tolerance_change);
      loss = found.f;
      flat.set(found.g);
      t = found.t;
      lsEvals = found.evals;
      addScaled(params, d, t);
      optimal = maxAbs(flat) <= o.tolerance_grad;
    } else {
      addScaled(params, d, t);
      if (iteration !== o.max_iter) {
        loss = closure.evaluate();
        flat.set(u);
        optimal = maxAbs(flat) <= o.tolerance_grad;
        lsEvals = 1;
      }
    }
    currentEvals += lsEvals;
    scalars[FUNC_EVALS] += lsEvals;
    if (iteration === o.max_iter || currentEvals >= maxEval || optimal) break;
    if (maxAbs(d) * Math.abs(t) <= o.tolerance_change || Math.abs(loss - prevLoss) < o.tolerance_change) break;
  }
  scalars[T] = t;
  scalars[H_DIAG] = hDiag;
  scalars[PREV_LOSS] = prevLoss;
}

/**
 * d ← −H·g by the two-loop recursion over the `kept` pairs, H₀ = H_diag·I (torch's loop, al its
 * scratch). Pair k is at offset k·n of dirs and stps (offsets rather than views: a step allocates nothing).
 */
function twoLoop(g: Float32Array, d: Float32Array, dirs: Float32Array, stps: Float32Array, ro: Float64Array, al: Float64Array, kept: number, hDiag: number): void {
  const n = g.length;
  for (let i = 0; i < n; i++) d[i] = -g[i];
  for (let k = kept - 1; k >= 0; k--) {
    al[k] = dotAt(stps, k * n, d) * ro[k];
    addScaledAt(d, dirs, k * n, -al[k]);
  }
  for (let i = 0; i < n; i++) d[i] *= hDiag;
  for (let k = 0; k < kept; k++) {
    const be = dotAt(dirs, k * n, d) * ro[k];
    addScaledAt(d, stps, k * n, al[k] - be);
  }
}

/** Σ a[from + i]·b[i] over b's length, in float64. */
function dotAt(a: Float32Array, from: number, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i++) sum += a[from + i] * b[i];
  return sum;
}

/** a[i] ← a[i] + s·b[from + i] in float32. */
function addScaledAt(a: Float32Array, b: Float32Array, from: number, s: number): void {
  for (let i = 0; i < a.length; i++) a[i] += s * b[from + i];
}

interface Found {
  readonly f: number;
  readonly g: Float32Array;
  readonly t: number;
  readonly evals: number;
}

/**
 * torch's _strong_wolfe (c1 = 1e-4, c2 = 0.9, max_ls = 25): a bracketing phase, then a zoom by
 * cubic interpolation. `evaluate(t)` is the loss at θ + t·d, its gradient left in `live`; clones of
 * gradients come from `pool` (torch's .clone() calls).
 */
function strongWolfe(evaluate: (t: number) => number, live: Float32Array, pool: readonly Float32Array[], t0: number, d: Float32Array, f: number, g0: Float32Array, gtd: number, toleranceChange: number): Found {
  const c1 = 1e-4;
  const c2 = 0.9;
  const maxLs = 25;
  const dNorm = maxAbs(d);
  // The vectors a bracket entry or g_prev may point at, as torch's references share tensors.
  const g = clone(g0, pool, []);
  let t = t0;
  let fNew = evaluate(t);
  let evals = 1;
  let gtdNew = dot(live, d);
  let tPrev = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: Float32Array[] = [];
  let bracketGtd: number[] = [];
  const inUse = (): Float32Array[] => [g, gPrev, ...bracketG];
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, clone(live, pool, inUse())];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      bracket = [t];
      bracketF = [fNew];
      bracketG = [clone(live, pool, inUse())];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, clone(live, pool, inUse())];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const previous = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = previous;
    fPrev = fNew;
    gPrev = clone(live, pool, [g, ...bracketG]);
    gtdPrev = gtdNew;
    fNew = evaluate(t);
    evals++;
    gtdNew = dot(live, d);
    lsIter++;
  }
  if (lsIter === maxLs) {
    bracket = [0, t];
    bracketF = [f, fNew];
    bracketG = [g, clone(live, pool, [g])];
  }
  let insufficientProgress = false;
  let [low, high] = bracketF[0] <= bracketF[bracketF.length - 1] ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
    t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
    const top = Math.max(...bracket);
    const bottom = Math.min(...bracket);
    const eps = 0.1 * (top - bottom);
    if (Math.min(top - t, t - bottom) < eps) {
      if (insufficientProgress || t >= top || t <= bottom) {
        t = Math.abs(t - top) < Math.abs(t - bottom) ? top - eps : bottom + eps;
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }
    fNew = evaluate(t);
    evals++;
    gtdNew = dot(live, d);
    lsIter++;
    if (fNew > f + c1 * t * gtd || fNew >= bracketF[low]) {
      bracket[high] = t;
      bracketF[high] = fNew;
      bracketG[high] = clone(live, pool, [g, bracketG[low]]);
      bracketGtd[high] = gtdNew;
      [low, high] = bracketF[0] <= bracketF[1] ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) done = true;
      else if (gtdNew * (bracket[high] - bracket[low]) >= 0) {
        bracket[high] = bracket[low];
        bracketF[high] = bracketF[low];
        bracketG[high] = bracketG[low];
        bracketGtd[high] = bracketGtd[low];
      }
      bracket[low] = t;
      bracketF[low] = fNew;
      bracketG[low] = clone(live, pool, [g, bracketG[high]]);
      bracketGtd[low] = gtdNew;
    }
  }
  return { f: bracketF[low], g: bracketG[low], t: bracket[low], evals };
}

/** torch's _cubic_interpolate: the minimiser of the cubic through two points with their slopes, within bounds. */
function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lower, upper] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square < 0) return (lower + upper) / 2;
  const d2 = Math.sqrt(d2Square);
  const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return Math.min(Math.max(minPos, lower), upper);
}

/** A copy of `source` in a pool vector none of `busy` is. */
function clone(source: Float32Array, pool: readonly Float32Array[], busy: readonly Float32Array[]): Float32Array {
  const free = pool.find((v) => v !== source && !busy.includes(v));
  if (free === undefined) throw new Error('lbfgs: no free line-search vector');
  free.set(source);
  return free;
}

function dot(a: Float32Array, b: Float32Array): number {
  return dotAt(a, 0, b);
}

function maxAbs(a: Float32Array): number {
  let most = 0;
  for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i]));
  return most;
}

function sumAbs(a: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]);
  return sum;
}

function addScaled(a: Float32Array, b: Float32Array, s: number): void {
  addScaledAt(a, b, 0, s);
}

export function lbfgs(o: LbfgsOptions): OptimizerSetup {
  return { hyper: { lr: o.lr }, transform: lbfgsTransform(o) };
}
