/**
 * `adam-lab optimizers verify`: a battery of checks that an optimizer — a built-in, or a plugin
 * (--optimizer-plugin) — behaves as the lab needs before it is compared with the others:
 *   determinism across threads   the same run with 1 and 2 GEMM threads writes the same bits
 *   checkpoint round-trip        a run interrupted and resumed from its checkpoint writes the
 *                                bits of the uninterrupted run (the whole state is in the state)
 *   convergence                  on the quadratic and on Rosenbrock (verify-problems.ts), at the
 *                                best learning rate of a log grid, as a tuned comparison would
 *                                pick it: an optimizer is not failed for a default lr
 *   AMSGrad counterexample       where x ends on Reddi et al. 2018's online problem (informative:
 *                                the right answer is −1, but plain Adam's going elsewhere is the
 *                                paper's finding, not a defect of the implementation)
 *   divergence handled           a far too large lr ends the run as `diverged`, not in a crash
 * The training checks run a small MLP on synthetic spirals in a scratch folder.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseConfigSource, resolveConfig } from '../config/load.js';
import { pluginsUsedBy } from '../config/optimizer-plugins.js';
import { parseOverride } from '../config/overrides.js';
import { optimizerSchema, type ExperimentConfig } from '../config/schema.js';
import { optimizerKind, type OptimizerConfig } from '../optim/registry.js';
import { readStepColumns } from '../runs/run-reader.js';
import { runExperiment } from '../train/experiment.js';
import { compiledWorker } from './trial-pool.js';
import { minimize, quadratic, reddiOnline, rosenbrock, type Problem } from './verify-problems.js';
import type { VerifyRun, VerifyRunResult } from './verify-worker.js';

export interface VerifyCheck {
  readonly check: string;
  /** 'info' for a check that reports a figure without a verdict. */
  readonly verdict: 'pass' | 'fail' | 'info';
  readonly figure: string;
  /** Why it failed; null when it did not. */
  readonly reason: string | null;
}

/** The learning rates the convergence checks try: half-decades from 1e-4 to 10 (LARS's trust ratio wants a few). */
export const LR_GRID = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10];

const CONVERGENCE = [
  { check: 'converges on the quadratic', problem: quadratic, steps: 5000, tolerance: 1e-6 },
  { check: 'converges on Rosenbrock', problem: rosenbrock, steps: 10000, tolerance: 0.1 },
] as const;

/** Steps on Reddi et al.'s problem: 1000 periods of three. */
const REDDI_STEPS = 3000;
/** The lr of the divergence check: no optimizer's step stays finite at it on this model. */
const DIVERGING_LR = 1e12;

const WORKLOAD = `# optimizers verify: a small MLP on synthetic spirals
name: verify
seed: 0
data: { dataset: synthetic, task: spirals, classes: 3, noise: 0.1, n_train: 256, n_test: 64, batch_size: 64, shuffle: true }
model: { layers: [ { linear: 64 }, relu, { linear: 64 }, relu, { linear: 3 } ] }
loss: cross_entropy
train: { epochs: 10, checkpoint_every: 100000 }
`;
/** The resumed run is stopped at the end of this epoch (4 steps each), from where it continues. */
const STOP_AFTER_STEP = 12;

/**
 * Runs every check on the optimizer `name` (a built-in or a plugin this process serves), with
 * its default options; training runs go under `scratch`, an empty folder.
 */
export async function verifyOptimizer(name: string, scratch: string, onCheck: (check: VerifyCheck) => void = () => {}): Promise<VerifyCheck[]> {
  const checks: VerifyCheck[] = [];
  const add = (check: VerifyCheck): void => {
    checks.push(check);
    onCheck(check);
  };
  const configFile = join(scratch, 'verify.yaml');
  writeFileSync(configFile, WORKLOAD);
  const config = workload(configFile, name);
  add(await threadDeterminism(config, configFile, scratch));
  add(await checkpointRoundTrip(config, configFile, scratch));
  for (const c of CONVERGENCE) add(convergence(name, c.check, c.problem, c.steps, c.tolerance));
  add(reddi(name));
  add(await divergence(workload(configFile, name, [`optimizer.lr=${DIVERGING_LR}`]), configFile, scratch));
  return checks;
}

/**
 * The training workload with this optimizer at its defaults. One that steps only matrices (Muon)
 * gives the biases to AdamW in a param group, as its reference usage does.
 */
function workload(configFile: string, name: string, sets: readonly string[] = []): ExperimentConfig {
  const matricesOnly = optimizerKind(name).tensorProblem([1]) !== null;
  const groups = matricesOnly ? ["optimizer.param_groups=[{params: ['*.bias'], optimizer: adamw}]"] : [];
  return resolveConfig(parseConfigSource(WORKLOAD, configFile), [`optimizer.name=${name}`, ...groups, ...sets].map((s) => parseOverride(s)));
}

/** steps.csv without its seconds column, row by row: what must be the same bits. */
function stepRows(runDir: string): string[] {
  return readStepColumns(runDir, ['step', 'epoch', 'loss', 'lr', 'grad_norm']).map((row) => row.join(','));
}

/** Where two runs' steps first differ, in words; null when they are the same bits (weights included). */
function firstDifference(a: string, b: string): string | null {
  const [rowsA, rowsB] = [stepRows(a), stepRows(b)];
  const at = rowsA.findIndex((row, i) => row !== rowsB[i]);
  if (at >= 0) return `steps.csv differs from step ${at + 1}: ${rowsA[at]} against ${rowsB[at] ?? 'no row'}`;
  if (rowsA.length !== rowsB.length) return `${rowsA.length} steps against ${rowsB.length}`;
  if (!readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(b, 'model.safetensors')))) return 'the steps agree but the final weights differ';
  return null;
}

function runFolder(scratch: string, name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function threadDeterminism(config: ExperimentConfig, configFile: string, scratch: string): Promise<VerifyCheck> {
  const check = 'same bits with 1 and 2 GEMM threads';
  const [one, two] = [runFolder(scratch, 'threads-1'), runFolder(scratch, 'threads-2')];
  const plugins = pluginsUsedBy([config.optimizer.name]);
  const results = await Promise.all([
    onThread({ config, configFile, runDir: one, plugins }, 1),
    onThread({ config, configFile, runDir: two, plugins }, 2),
  ]);
  const failed = results.find((r) => r.error !== null);
  if (failed !== undefined) return { check, verdict: 'fail', figure: '-', reason: `the run failed: ${failed.error}` };
  const difference = firstDifference(one, two);
  const steps = stepRows(one).length;
  return difference === null
    ? { check, verdict: 'pass', figure: `${steps} steps, weights equal`, reason: null }
    : { check, verdict: 'fail', figure: `${steps} steps`, reason: difference };
}

function onThread(run: VerifyRun, threads: number): Promise<VerifyRunResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(compiledWorker('verify-worker'), { workerData: run, env: { ...process.env, ADAM_LAB_THREADS: String(threads) } });
    worker.once('message', (result: VerifyRunResult) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`the verify worker exited with code ${code}`))));
  });
}

async function checkpointRoundTrip(config: ExperimentConfig, configFile: string, scratch: string): Promise<VerifyCheck> {
  const check = 'state round-trip through a checkpoint';
  const whole = runFolder(scratch, 'uninterrupted');
  const resumed = runFolder(scratch, 'resumed');
  try {
    await runExperiment(config, { configFile, runDir: whole });
    const stop = new AbortController();
    const first = await runExperiment(config, {
      configFile,
      runDir: resumed,
      signal: stop.signal,
      onEvent: (event) => {
        if (event.type === 'progress' && event.step >= STOP_AFTER_STEP) stop.abort();
      },
    });
    if (first.status !== 'interrupted') return { check, verdict: 'fail', figure: '-', reason: `the run to interrupt ended ${first.status} at step ${first.steps}` };
    await runExperiment(config, { configFile, runDir: resumed, resume: true });
    const difference = firstDifference(whole, resumed);
    const figure = `stopped after step ${first.steps}, resumed to ${stepRows(resumed).length}`;
    return difference === null ? { check, verdict: 'pass', figure, reason: null } : { check, verdict: 'fail', figure, reason: `${difference} (is all of its state in init's arrays?)` };
  } catch (error) {
    return { check, verdict: 'fail', figure: '-', reason: error instanceof Error ? error.message : String(error) };
  }
}

function optimizerAt(name: string, lr: number): OptimizerConfig {
  return optimizerSchema.parse({ name, lr }) as OptimizerConfig;
}

function convergence(name: string, check: string, problem: Problem, steps: number, tolerance: number): VerifyCheck {
  let best = { lr: NaN, value: Infinity };
  for (const lr of LR_GRID) {
    const { value } = minimize(optimizerAt(name, lr), problem, steps);
    if (value < best.value) best = { lr, value };
  }
  const figure = best.value === Infinity ? 'diverged at every lr' : `f = ${best.value.toExponential(2)} at lr ${best.lr} (${steps} steps)`;
  if (best.value <= tolerance) return { check, verdict: 'pass', figure, reason: null };
  return { check, verdict: 'fail', figure, reason: `no lr in ${LR_GRID[0]}…${LR_GRID.at(-1)} brought f to ${tolerance} or below in ${steps} steps` };
}

function reddi(name: string): VerifyCheck {
  const defaults = optimizerSchema.parse({ name }) as OptimizerConfig & { lr: number };
  const { x } = minimize(defaults, reddiOnline, REDDI_STEPS);
  return {
    check: 'AMSGrad counterexample (Reddi et al. 2018)',
    verdict: 'info',
    figure: `x ends at ${x[0].toFixed(3)} after ${REDDI_STEPS} steps at lr ${defaults.lr} (optimum −1)`,
    reason: null,
  };
}

async function divergence(config: ExperimentConfig, configFile: string, scratch: string): Promise<VerifyCheck> {
  const check = `divergence handled (lr ${DIVERGING_LR})`;
  try {
    const result = await runExperiment(config, { configFile, runDir: runFolder(scratch, 'diverging') });
    const losses = readStepColumns(result.runDir, ['loss']).map(([loss]) => Number(loss));
    const firstBad = losses.findIndex((loss) => !Number.isFinite(loss));
    if (result.status === 'diverged' && firstBad === losses.length - 1) return { check, verdict: 'pass', figure: `diverged at step ${result.divergedAtStep}`, reason: null };
    if (result.status === 'completed' && firstBad < 0) return { check, verdict: 'pass', figure: `stayed finite for ${result.steps} steps`, reason: null };
    return { check, verdict: 'fail', figure: `${result.status} after ${result.steps} steps`, reason: firstBad < 0 ? 'the run stopped with every loss finite' : `a non-finite loss at step ${firstBad + 1} was not recorded as the divergence` };
  } catch (error) {
    return { check, verdict: 'fail', figure: '-', reason: `the run crashed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

