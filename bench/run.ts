/**
 * `npm run bench`: training speed of adam-lab's engine on fixed workloads, and its matrix
 * product alone, next to peers measured in the same run (PyTorch via /usr/bin/python3 when
 * `import torch` works there; again with Debian's OpenBLAS when it is installed and not
 * already the default libblas). Not a test: it prints tables and writes bench/results.md.
 * `--quick` for a smoke run.
 *
 *   W0    seed toy: Linear(2,4) ReLU Linear(4,1) Sigmoid, BCE, Adam, a fresh batch of 100 random points per step
 *   W1    MNIST MLP: 784→128→10 ReLU, cross entropy, Adam 1e-3, batch 64, one shuffled epoch
 *   W2    MNIST MLP: 784→256→256→10 ReLU, cross entropy, Adam 1e-3, batch 128, one shuffled epoch
 *   GEMM  C = A·B, n×n float32, n = 512 and 1024, GFLOP/s (2n³ flops)
 *
 * Timed loop = gather batch + forward + backward + optimizer step, float32, data in memory.
 * The machine is shared with other work, so W1 and W2 report the best of several epochs
 * (3, or 1 with --quick) and GEMM the best of several products, on both sides alike.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { optimizerSchema } from '../src/config/schema.js';
import type { Split } from '../src/data/dataset.js';
import { bundledMnistFolder, loadMnistLike } from '../src/data/mnist.js';
import { syntheticDataset } from '../src/data/synthetic.js';
import { arenaOffset } from '../src/engine/kernels/arena.js';
import { createTeam, KERNEL, KERNEL_NOTE, KERNEL_THREADS, kernelModule, matmulABReference } from '../src/engine/kernels/matmul.js';
import type { LayerConfig } from '../src/engine/layers/index.js';
import { lossKinds, type LossName } from '../src/engine/losses/index.js';
import { Model, planModel } from '../src/engine/model.js';
import { Rng } from '../src/engine/rng.js';
import { allocFloat32 } from '../src/engine/tensor.js';
import { createOptimizer } from '../src/optim/registry.js';
import { TrainStep } from '../src/train/step.js';

const quick = process.argv.includes('--quick');
const repeats = quick ? 1 : 3;
const GEMM_SIZES = [512, 1024] as const;
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

function trainer(layers: LayerConfig[], inputShape: number[], loss: LossName, batch: number, encoding: 'index' | 'value'): TrainStep {
  const model = new Model(planModel(layers, inputShape), batch, 0);
  const optimizer = createOptimizer(optimizerSchema.parse({ name: 'adam', lr: 1e-3 }) as never, model.values);
  return new TrainStep(model, optimizer, lossKinds[loss], encoding, 1, null);
}

function benchSeedToy(steps: number): number {
  const step = trainer([{ linear: { out_features: 4, bias: true } }, 'relu', { linear: { out_features: 1, bias: true } }, 'sigmoid'], [2], 'bce', 100, 'value');
  const data = syntheticDataset({ task: 'uniform', features: 2, targets: 1, n_train: 100, n_test: 1, resample: true }, 0);
  const order = Uint32Array.from({ length: 100 }, (_, i) => i);
  const run = (n: number, from: number): void => {
    for (let i = 0; i < n; i++) {
      data.beginEpoch(from + i);
      step.run(data.train, order, 0, 100);
    }
  };
  run(200, 2);
  const start = performance.now();
  run(steps, 202);
  return ((performance.now() - start) * 1000) / steps;
}

/** An MNIST MLP with ReLU between the given hidden widths; the best epoch's samples/s. */
function benchMnistMlp(train: Split, hidden: number[], batch: number): number {
  const layers: LayerConfig[] = [];
  for (const width of hidden) layers.push({ linear: { out_features: width, bias: true } }, 'relu');
  layers.push({ linear: { out_features: 10, bias: true } });
  const step = trainer(layers, [1, 28, 28], 'cross_entropy', batch, 'index');
  const order = Uint32Array.from({ length: train.size }, (_, i) => i);
  const rng = new Rng(0, 'shuffle');
  let best = 0;
  for (let epoch = 0; epoch < repeats; epoch++) {
    rng.shuffle(order);
    const start = performance.now();
    for (let s = 0; s < train.size; s += batch) step.run(train, order, s, Math.min(batch, train.size - s));
    best = Math.max(best, train.size / ((performance.now() - start) / 1000));
  }
  return best;
}

/** adam-lab's C = A·B on n×n engine buffers with the given thread count, best of several, GFLOP/s. */
function benchGemm(size: number, threads: number): number {
  const a = allocFloat32(size * size);
  const b = allocFloat32(size * size);
  const c = allocFloat32(size * size);
  const rng = new Rng(0, 'data');
  for (let i = 0; i < a.length; i++) {
    a[i] = rng.uniform();
    b[i] = rng.uniform();
  }
  const team = kernelModule === null ? null : createTeam(kernelModule, threads);
  const product = (): void => {
    if (team === null) matmulABReference(c, a, b, size, size, size);
    else team.run(arenaOffset(c), size, arenaOffset(a), size, false, arenaOffset(b), size, false, size, size, size, -1);
  };
  product(); // starts the workers and lets the engine optimize the kernel
  let best = Infinity;
  for (let r = 0; r < (team === null ? 1 : quick ? 3 : 10); r++) {
    const start = performance.now();
    product();
    best = Math.min(best, performance.now() - start);
  }
  return (2 * size ** 3) / (best / 1000) / 1e9;
}

interface Result {
  readonly label: string;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly gemm: Record<string, number>;
  readonly openblas: boolean;
  readonly threads: number;
}

interface PeerOutput {
  torch: string;
  threads: number;
  blas: string;
  w0_us_per_step: number;
  w1_samples_per_s: number;
  w2_samples_per_s: number;
  gemm_gflops: Record<string, number>;
}

function blasName(path: string): string {
  if (path.includes('openblas')) return 'OpenBLAS';
  if (path.includes('/blas/')) return 'reference BLAS';
  return path;
}

function torchPeer(folder: string, threads: number, libraryPath: string | null): Result {
  const args = ['bench/peers/torch_peer.py', folder, String(threads), String(repeats), ...(quick ? ['--quick'] : [])];
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), ...(libraryPath === null ? {} : { LD_LIBRARY_PATH: libraryPath }) };
  const out = JSON.parse(execFileSync('/usr/bin/python3', args, { encoding: 'utf8', env })) as PeerOutput;
  const blas = blasName(out.blas);
  return {
    label: `PyTorch ${out.torch} + ${blas}${libraryPath === null ? '' : ' (LD_LIBRARY_PATH)'} (${threads} thread${threads > 1 ? 's' : ''})`,
    w0: out.w0_us_per_step,
    w1: out.w1_samples_per_s,
    w2: out.w2_samples_per_s,
    gemm: out.gemm_gflops,
    openblas: blas === 'OpenBLAS',
    threads,
  };
}

/** PyTorch with its default BLAS, and again with OpenBLAS preloaded when that adds a different library. */
function torchPeers(folder: string): { results: Result[]; notes: string[] } {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return { results: [], notes: ['PyTorch skipped: /usr/bin/python3 cannot import torch (apt-get install python3-torch)'] };
  }
  const results = [1, 2].map((threads) => torchPeer(folder, threads, null));
  const notes: string[] = [];
  if (results.some((r) => r.openblas)) notes.push("PyTorch's default libblas.so.3 is already OpenBLAS (update-alternatives), so no separate OpenBLAS run");
  else if (existsSync(OPENBLAS_DIR)) results.push(...[1, 2].map((threads) => torchPeer(folder, threads, OPENBLAS_DIR)));
  else notes.push(`OpenBLAS run skipped: ${OPENBLAS_DIR} missing (apt-get install libopenblas0-pthread)`);
  return { results, notes };
}

const ratio = (x: number): string => `${x.toFixed(2)}×`;

const folder = bundledMnistFolder();
const train = loadMnistLike('mnist', folder, { channels: 1, scale: Float64Array.of(1 / 255), shift: Float64Array.of(0) }).train.limit(quick ? 6000 : 60000);
const gemmThreads = [...new Set([1, KERNEL_THREADS])];
const ourGemm = gemmThreads.map((threads) => Object.fromEntries(GEMM_SIZES.map((size) => [String(size), benchGemm(size, threads)])));
const ours: Result = {
  label: `adam-lab (${KERNEL}, ${KERNEL_THREADS} thread${KERNEL_THREADS > 1 ? 's' : ''})`,
  w0: benchSeedToy(quick ? 2000 : 20000),
  w1: benchMnistMlp(train, [128], 64),
  w2: benchMnistMlp(train, [256, 256], 128),
  gemm: ourGemm[ourGemm.length - 1],
  openblas: false,
  threads: KERNEL_THREADS,
};
const peers = torchPeers(folder);
const rows = [ours, ...peers.results];

const training = [
  '| engine | W0 seed toy µs/step | W0 speed-up of adam-lab | W1 MNIST MLP samples/s | W1 adam-lab / peer | W2 MNIST MLP samples/s | W2 adam-lab / peer |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.label} | ${r.w0.toFixed(1)} | ${ratio(r.w0 / ours.w0)} | ${Math.round(r.w1)} | ${ratio(ours.w1 / r.w1)} | ${Math.round(r.w2)} | ${ratio(ours.w2 / r.w2)} |`),
];
const gemmRows = [
  ...gemmThreads.map((threads, i) => ({ label: `adam-lab ${KERNEL} (${threads} thread${threads > 1 ? 's' : ''})`, gemm: ourGemm[i] })),
  ...peers.results.map((r) => ({ label: r.label.replace('PyTorch', 'PyTorch torch.mm'), gemm: r.gemm })),
];
const ourSingle = ourGemm[0];
const gemmTable = [
  '| GEMM C = A·B | 512³ GFLOP/s | adam-lab 1 thread / this | 1024³ GFLOP/s | adam-lab 1 thread / this |',
  '|---|---|---|---|---|',
  ...gemmRows.map((r) => `| ${r.label} | ${r.gemm['512'].toFixed(1)} | ${ratio(ourSingle['512'] / r.gemm['512'])} | ${r.gemm['1024'].toFixed(1)} | ${ratio(ourSingle['1024'] / r.gemm['1024'])} |`),
];

const openblas = peers.results.filter((r) => r.openblas);
const best = (pick: (r: Result) => number): number => Math.max(...openblas.map(pick));
const goals =
  openblas.length === 0
    ? []
    : [
        `Against the best PyTorch + OpenBLAS figure: W1 ${ratio(ours.w1 / best((r) => r.w1))}, W2 ${ratio(ours.w2 / best((r) => r.w2))} (goal ≥ 1.00×); ` +
          `GEMM 512³ on one thread ${((100 * ourSingle['512']) / (openblas.find((r) => r.threads === 1)?.gemm['512'] ?? NaN)).toFixed(0)} % of OpenBLAS's single-thread sgemm (goal ≥ 35 %).`,
      ];
const notes = [
  `node ${process.version}, ${quick ? 'quick run (W1, W2 on 6000 samples, one epoch)' : `full run (best of ${repeats} epochs)`}, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
  ...(KERNEL_NOTE === null ? [] : [`kernel: ${KERNEL_NOTE}`]),
  ...goals,
  ...peers.notes,
];
const report = `${training.join('\n')}\n\n${gemmTable.join('\n')}\n\n${notes.join('\n\n')}\n`;
process.stdout.write(report);
if (!quick) writeFileSync('bench/results.md', `# adam-lab benchmark (\`npm run bench\`)\n\n${report}`);
