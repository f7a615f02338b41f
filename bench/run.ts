/**
 * `npm run bench`: training speed of adam-lab's engine on fixed workloads, and its matrix
 * product alone, next to peers measured in the same run, each engine in a process of its own
 * (bench/peers/): adam-lab at its default thread count and at one other (1, or 2 when 1 is the default);
 * PyTorch via /usr/bin/python3 when `import torch` works there, on 1 and 2 threads, again
 * with Debian's OpenBLAS when that is installed and not already the default libblas;
 * TensorFlow.js with its cpu and wasm backends (installed into bench/peers/ on first use). Not a test: it prints tables and writes
 * bench/results.md, then runs bench/sweep.ts (parallel trials: speed-up and memory).
 * `--quick` for a smoke run (6000 samples, one epoch, short budgets).
 *
 *   W0    seed toy: Linear(2,4) ReLU Linear(4,1) Sigmoid, BCE, Adam, a fresh batch of 100 random points per step
 *   W1    MNIST MLP: 784→128→10 ReLU, cross entropy, Adam 1e-3, batch 64, one shuffled epoch
 *   W2    MNIST MLP: 784→256→256→10 ReLU, cross entropy, Adam 1e-3, batch 128, one shuffled epoch
 *   W3    MNIST CNN (configs/mnist-cnn-small.yaml): conv(1→8,3,p1) relu pool2 conv(8→16,3,p1) relu pool2 linear(784→10), batch 64
 *   GEMM  C = A·B, n×n float32, n = 512 and 1024, GFLOP/s (2n³ flops)
 *
 * Timed loop = gather batch + forward + backward + optimizer step, float32, data in memory.
 * The machine may be shared with other work, so W1–W3 report the best of several epochs (3,
 * or 1 with --quick) and GEMM the best of several products, on every side alike.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { bundledMnistFolder } from '../src/data/mnist.js';
import { machineLine, verdict } from './common.js';
import { ensurePeerPackages, PEERS_FOLDER } from './peer-packages.js';

const quick = process.argv.includes('--quick');
const repeats = quick ? 1 : 3;
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
/** A peer that has not answered by then is reported as failed rather than waited for. */
const PEER_TIMEOUT_MS = (quick ? 5 : 30) * 60_000;

type Workload = 'w0' | 'w1' | 'w2' | 'w3';
const WORKLOADS: readonly Workload[] = ['w0', 'w1', 'w2', 'w3'];

interface Row {
  readonly engine: 'adam-lab' | 'PyTorch' | 'TF.js';
  readonly label: string;
  /** W0 in µs per step, W1–W3 in samples/s; null where the engine cannot run the workload. */
  readonly value: Record<Workload, number | null>;
  readonly gemm: Record<string, number>;
  readonly rss: number;
  readonly openblas: boolean;
  readonly threads: number;
  readonly backend?: string;
}

interface PeerJson {
  w0_us_per_step: number;
  w1_samples_per_s: number;
  w2_samples_per_s: number;
  w3_samples_per_s: number | null;
  gemm_gflops: Record<string, number>;
  peak_rss_mb: number;
  [key: string]: unknown;
}

const notes: string[] = [];

/** Runs a peer and parses the JSON object on the last line of its output. */
function runPeer(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): PeerJson {
  const out = execFileSync(file, args, { encoding: 'utf8', env, timeout: PEER_TIMEOUT_MS, maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as PeerJson;
}

const values = (j: PeerJson): Record<Workload, number | null> => ({ w0: j.w0_us_per_step, w1: j.w1_samples_per_s, w2: j.w2_samples_per_s, w3: j.w3_samples_per_s });
const plural = (threads: number): string => `${threads} thread${threads > 1 ? 's' : ''}`;

function ours(folder: string, threads: number | null): Row {
  const env = { ...process.env, ...(threads === null ? {} : { ADAM_LAB_THREADS: String(threads) }) };
  const j = runPeer(process.execPath, ['dist/bench/peers/adam-lab.js', folder, String(repeats), ...(quick ? ['--quick'] : [])], env);
  if (typeof j.note === 'string') notes.push(`adam-lab kernel: ${j.note}`);
  const t = j.threads as number;
  return { engine: 'adam-lab', label: `adam-lab ${j.kernel as string} (${plural(t)}${threads === null ? ', default' : ''})`, value: values(j), gemm: j.gemm_gflops, rss: j.peak_rss_mb, openblas: false, threads: t };
}

function blasName(path: string): string {
  if (path.includes('openblas')) return 'OpenBLAS';
  if (path.includes('/blas/')) return 'reference BLAS';
  return path;
}

function torchPeer(folder: string, threads: number, libraryPath: string | null): Row {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), ...(libraryPath === null ? {} : { LD_LIBRARY_PATH: libraryPath }) };
  const j = runPeer('/usr/bin/python3', ['bench/peers/torch_peer.py', folder, String(threads), String(repeats), ...(quick ? ['--quick'] : [])], env);
  const blas = blasName(j.blas as string);
  return {
    engine: 'PyTorch',
    label: `PyTorch ${j.torch as string} + ${blas}${libraryPath === null ? '' : ' (LD_LIBRARY_PATH)'} (${plural(threads)})`,
    value: values(j),
    gemm: j.gemm_gflops,
    rss: j.peak_rss_mb,
    openblas: blas === 'OpenBLAS',
    threads,
  };
}

/** PyTorch with its default BLAS, and again with OpenBLAS preloaded when that adds a different library. */
function torchPeers(folder: string): Row[] {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    notes.push('PyTorch skipped: /usr/bin/python3 cannot import torch (apt-get install python3-torch)');
    return [];
  }
  const rows = [1, 2].map((threads) => torchPeer(folder, threads, null));
  if (rows.some((r) => r.openblas)) notes.push("PyTorch's default libblas.so.3 is already OpenBLAS (update-alternatives), so no separate OpenBLAS run");
  else if (existsSync(OPENBLAS_DIR)) rows.push(...[1, 2].map((threads) => torchPeer(folder, threads, OPENBLAS_DIR)));
  else notes.push(`OpenBLAS run skipped: ${OPENBLAS_DIR} missing (apt-get install libopenblas0-pthread)`);
  return rows;
}

function tfjsPeer(folder: string, backend: 'cpu' | 'wasm'): Row | null {
  try {
    const j = runPeer(process.execPath, [`${PEERS_FOLDER}/tfjs-peer.mjs`, backend, folder, String(repeats), ...(quick ? ['--quick'] : [])]);
    for (const [workload, note] of Object.entries(j.notes as Record<string, string | null>)) {
      if (note !== null) notes.push(`TF.js ${backend} ${workload.toUpperCase()}: ${note}`);
    }
    const simd = j.simd === true ? ', SIMD' : '';
    return { engine: 'TF.js', label: `TF.js ${j.tfjs as string} ${backend}${simd} (1 thread)`, value: values(j), gemm: j.gemm_gflops, rss: j.peak_rss_mb, openblas: false, threads: 1, backend };
  } catch (error) {
    notes.push(`TF.js ${backend} failed: ${(error as Error).message.split('\n')[0]}`);
    return null;
  }
}

const ratio = (x: number): string => `${x.toFixed(2)}×`;
const cell = (x: number | null, digits = 0): string => (x === null ? 'n/a' : digits === 0 ? String(Math.round(x)) : x.toFixed(digits));

const folder = bundledMnistFolder();
/** The machine's 1-minute load before the run: above 0 means other work shared its cores (the figures are then lower bounds, unevenly so). */
const loadBefore = loadavg()[0];
const defaultRow = ours(folder, null);
// The other thread count beside the default: 1 when the default shares products, else 2
// where there is a second core (the evidence for matmul.ts's default).
const other = defaultRow.threads !== 1 ? 1 : availableParallelism() >= 2 ? 2 : null;
const ourRows = [defaultRow, ...(other === null ? [] : [ours(folder, other)])];
const torchRows = torchPeers(folder);
const tfjsRows = ensurePeerPackages(notes) ? (['wasm', 'cpu'] as const).map((b) => tfjsPeer(folder, b)).filter((r): r is Row => r !== null) : [];
const rows = [...ourRows, ...torchRows, ...tfjsRows];

/** adam-lab's best figure of a workload (fastest W0, most samples/s otherwise), over its thread counts. */
function bestOurs(w: Workload): number {
  const figures = ourRows.map((r) => r.value[w] as number);
  return w === 'w0' ? Math.min(...figures) : Math.max(...figures);
}

/** How many times faster adam-lab's best is than `value`. */
function speedup(w: Workload, value: number | null): number | null {
  if (value === null) return null;
  return w === 'w0' ? value / bestOurs(w) : bestOurs(w) / value;
}

const header = ['engine', 'W0 seed toy µs/step', 'adam-lab ×', 'W1 MLP samples/s', 'adam-lab ×', 'W2 MLP samples/s', 'adam-lab ×', 'W3 CNN samples/s', 'adam-lab ×', 'peak RSS MB'];
const training = [
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...rows.map((r) => {
    const cells = WORKLOADS.flatMap((w) => [cell(r.value[w], w === 'w0' ? 1 : 0), r.engine === 'adam-lab' ? '' : ((s) => (s === null ? 'n/a' : ratio(s)))(speedup(w, r.value[w]))]);
    return `| ${r.label} | ${cells.join(' | ')} | ${r.rss} |`;
  }),
];

const single = ourRows.find((r) => r.threads === 1) ?? defaultRow;
const gemmTable = [
  '| GEMM C = A·B | 512³ GFLOP/s | adam-lab 1 thread / this | 1024³ GFLOP/s | adam-lab 1 thread / this |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.label} | ${r.gemm['512'].toFixed(1)} | ${ratio(single.gemm['512'] / r.gemm['512'])} | ${r.gemm['1024'].toFixed(1)} | ${ratio(single.gemm['1024'] / r.gemm['1024'])} |`),
];

/** The goals of the performance issue, each with the figure it is judged on. */
function goals(): string[] {
  const lines: string[] = [];
  if (torchRows.length > 0) {
    const fastest = Math.min(...torchRows.map((r) => r.value.w0 as number));
    const s = speedup('w0', fastest)!;
    lines.push(`W0 ≥ 20× PyTorch (its fastest, ${fastest.toFixed(1)} µs/step): ${ratio(s)} — ${verdict(s >= 20)}`);
  }
  const openblas = torchRows.filter((r) => r.openblas);
  for (const w of ['w1', 'w2', 'w3'] as const) {
    const parts: string[] = [];
    if (openblas.length > 0) {
      const best = Math.max(...openblas.map((r) => r.value[w] as number));
      const s = speedup(w, best)!;
      parts.push(`${ratio(s)} the best PyTorch + OpenBLAS (${Math.round(best)} samples/s, goal ≥ 1.00×) — ${verdict(s >= 1)}`);
    }
    const wasm = tfjsRows.find((r) => r.backend === 'wasm');
    if (wasm !== undefined) {
      const value = wasm.value[w];
      if (value === null) parts.push('TF.js wasm cannot train it (goal ≥ 10× not applicable)');
      else {
        const s = speedup(w, value)!;
        parts.push(`${ratio(s)} TF.js wasm (goal ≥ 10×) — ${verdict(s >= 10)}`);
      }
    }
    if (parts.length > 0) lines.push(`${w.toUpperCase()}: ${parts.join('; ')}`);
  }
  const blas1 = openblas.find((r) => r.threads === 1);
  if (blas1 !== undefined) {
    const share = single.gemm['512'] / blas1.gemm['512'];
    lines.push(`GEMM 512³ on one thread: ${(100 * share).toFixed(0)} % of OpenBLAS's single-thread sgemm (goal ≥ 35 %) — ${verdict(share >= 0.35)}`);
  }
  return lines;
}

const run = quick ? 'quick run (6000 samples, one epoch, short TF.js budgets: not for comparing)' : `full run (best of ${repeats} epochs)`;
const report = [
  training.join('\n'),
  gemmTable.join('\n'),
  `${machineLine(loadBefore)}; ${run}. "adam-lab ×": how many times faster adam-lab's best figure is than that row (above 1: adam-lab faster).`,
  goals().join('\n\n'),
  ...notes,
].join('\n\n');
process.stdout.write(`${report}\n`);
if (!quick) writeFileSync('bench/results.md', `# adam-lab benchmark (\`npm run bench\`)\n\n${report}\n`);
process.stdout.write('\nSweeps: --jobs 2 against --jobs 1, and the memory of parallel trials\n\n');
execFileSync(process.execPath, [fileURLToPath(new URL('./sweep.js', import.meta.url)), ...process.argv.slice(2)], { stdio: 'inherit' });
