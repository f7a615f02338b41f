/**
 * `npm run bench`: training speed of adam-lab's engine on fixed workloads (bench/workloads.ts),
 * its matrix product alone, and the whole job, next to peers measured in the same run, each
 * engine in a process of its own (bench/peers/): adam-lab at its default thread count and at one
 * other (1, or 2 when 1 is the default), on 2 threads with each batch in 2 shards (ADAM_LAB_SHARDS=2)
 * where there is a second core, on its relaxed-SIMD kernel path (ADAM_LAB_KERNEL=
 * wasm-relaxed-simd: fused multiply-adds in the products) at the same two thread counts, and on
 * its blas kernel path (ADAM_LAB_KERNEL=blas) where
 * a CBLAS library loads: with the environment's OPENBLAS_CORETYPE on 1 thread and with the core
 * OpenBLAS detects on 1 and 2 threads, as PyTorch's rows; PyTorch via /usr/bin/python3 when `import torch` works
 * there, in its best configurations (bench/torch.ts); TensorFlow.js with its cpu and wasm
 * backends (installed into bench/peers/ on first use). Not a test: it prints tables and writes
 * bench/results.md, then runs bench/sweep.ts (parallel trials: speed-up and memory).
 *
 *   --quick    a smoke run (6000 samples, one epoch, short budgets; writes no results file)
 *   --scaling  adds the scaling rows (bench/workloads.ts SCALING, 1 thread each — adam-lab on its
 *              default and, where a library loads, its blas path — on the first
 *              20 000 images, best of 2 epochs): a few more minutes
 *
 * Timed loop = gather batch + forward + backward + optimizer step, float32, data in memory:
 * PyTorch's images scaled to float32 once at load, adam-lab's kept as bytes and scaled per batch
 * as its training runs do (extra work on adam-lab's side). The machine may be shared with other work, so training
 * figures are the best of several epochs (3, or 1 with --quick), GEMM the best of 10 products
 * and whole jobs the best of 3 runs, on every side alike.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { bundledMnistFolder } from '../src/data/mnist.js';
import { machineLine, verdict } from './common.js';
import { ensurePeerPackages, PEERS_FOLDER } from './peer-packages.js';
import { plural, runPeer, type Row } from './rows.js';
import { describe, detectedCoreEnv, MALLOC_TUNABLES, mainConfigs, torchEnv, torchRow, torchSetup, type TorchSetup } from './torch.js';
import { adamLabJob, torchJob, type JobFigure } from './whole-job.js';
import { lowerIsBetter, MAIN, SCALING, W0, W1, W2, W3, type Workload } from './workloads.js';

const quick = process.argv.includes('--quick');
const scaling = process.argv.includes('--scaling');
const repeats = quick ? 1 : 3;
const samples = quick ? 6000 : 60000;
const scalingSamples = quick ? 2000 : 20000;
const scalingRepeats = quick ? 1 : 2;
const jobRepeats = quick ? 1 : 3;
const MAIN_NAMES = [...MAIN.map((w) => w.name), 'gemm'];

const notes: string[] = [];
const progress = (what: string): void => void process.stderr.write(`bench: ${what} (load ${loadavg()[0].toFixed(1)})\n`);

/** How adam-lab's process runs: the default kernels, relaxed SIMD, or the blas path with the environment's or the detected OpenBLAS core. */
type OurKernel = 'default' | 'relaxed-simd' | 'blas (environment)' | 'blas (detected)';

function ours(folder: string, threads: number | null, names: readonly string[], count: number, epochs: number, kernel: OurKernel = 'default', shards = 1): Row {
  const path = kernel === 'default' ? {} : { ADAM_LAB_KERNEL: kernel === 'relaxed-simd' ? 'wasm-relaxed-simd' : 'blas' };
  const env: NodeJS.ProcessEnv = { ...process.env, ...(threads === null ? {} : { ADAM_LAB_THREADS: String(threads) }), ...path, ADAM_LAB_SHARDS: String(shards) };
  const j = runPeer(process.execPath, ['dist/bench/peers/adam-lab.js', folder, String(count), String(epochs), ...names, ...(quick ? ['--quick'] : [])], kernel === 'blas (detected)' ? detectedCoreEnv(env) : env);
  if (typeof j.note === 'string' && !notes.some((n) => n.endsWith(j.note as string))) notes.push(`adam-lab kernel: ${j.note}`);
  const t = j.threads as number;
  const core = typeof j.blas_core === 'string' ? ` ${j.blas_core} ${kernel.replace('blas ', '')}` : '';
  const cut = shards === 1 ? '' : `, batch in ${shards} shards`;
  return { engine: 'adam-lab', label: `adam-lab ${j.kernel as string}${core}, ${plural(t)}${cut}${threads === null ? ' (default)' : ''}`, results: j.results, gemm: j.gemm_gflops, rss: j.peak_rss_mb, threads: t };
}

/** adam-lab's relaxed-SIMD rows at `threadCounts`, or none (with a note) where this Node.js cannot run relaxed SIMD. */
function relaxedRows(folder: string, threadCounts: readonly number[], names: readonly string[], count: number, epochs: number): Row[] {
  const rows: Row[] = [];
  for (const threads of threadCounts) {
    progress(`adam-lab relaxed SIMD, ${plural(threads)}`);
    const row = ours(folder, threads, names, count, epochs, 'relaxed-simd');
    if (!row.label.startsWith('adam-lab wasm-relaxed-simd')) return rows; // not available: the note says why
    rows.push(row);
  }
  return rows;
}

/** adam-lab's blas rows, or none (with a note) where no CBLAS library loads. */
function blasRows(folder: string, names: readonly string[], count: number, epochs: number): Row[] {
  const configs: [OurKernel, number][] = [
    ...(process.env.OPENBLAS_CORETYPE === undefined ? [] : [['blas (environment)', 1] as [OurKernel, number]]),
    ['blas (detected)', 1],
    ...(availableParallelism() >= 2 ? [['blas (detected)', 2] as [OurKernel, number]] : []),
  ];
  const rows: Row[] = [];
  for (const [kernel, threads] of configs) {
    progress(`adam-lab ${kernel}, ${plural(threads)}`);
    const row = ours(folder, threads, names, count, epochs, kernel);
    if (!row.label.startsWith('adam-lab blas')) return rows; // no library: the note says why
    rows.push(row);
  }
  return rows;
}

function tfjsPeer(folder: string, backend: 'cpu' | 'wasm'): Row | null {
  try {
    const j = runPeer(process.execPath, [`${PEERS_FOLDER}/tfjs-peer.mjs`, backend, folder, String(repeats), ...(quick ? ['--quick'] : [])]);
    for (const [workload, note] of Object.entries(j.notes as Record<string, string | null>)) {
      if (note !== null) notes.push(`TF.js ${backend} ${workload}: ${note}`);
    }
    const simd = j.simd === true ? ', SIMD' : '';
    return { engine: 'TF.js', label: `TF.js ${j.tfjs as string} ${backend}${simd}, 1 thread`, results: j.results, gemm: j.gemm_gflops, rss: j.peak_rss_mb, threads: 1 };
  } catch (error) {
    notes.push(`TF.js ${backend} failed: ${(error as Error).message.split('\n')[0]}`);
    return null;
  }
}

/** The row with the best figure of `w` (fastest toy, most samples/s otherwise); undefined when none ran it. */
function bestRow(rows: readonly Row[], w: Workload): Row | undefined {
  const ran = rows.filter((r) => typeof r.results[w.name] === 'number');
  const figure = (r: Row): number => r.results[w.name] as number;
  return ran.reduce<Row | undefined>((a, r) => (a === undefined || (lowerIsBetter(w) ? figure(r) < figure(a) : figure(r) > figure(a)) ? r : a), undefined);
}

/** How many times faster `ours` is than `theirs` on `w` (above 1: adam-lab faster). */
function speedup(w: Workload, ours: number, theirs: number): number {
  return lowerIsBetter(w) ? theirs / ours : ours / theirs;
}

/** The OpenBLAS variables the environment sets, as `NAME=value` (what an "(environment)" row ran with). */
const coreTypeVariables = (): string =>
  ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'].flatMap((name) => (process.env[name] === undefined ? [] : [`${name}=${process.env[name]}`])).join(' ') || 'settings';
const times = (x: number): string => `${x.toFixed(2)}×`;
const figureCell = (w: Workload, x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : lowerIsBetter(w) ? x.toFixed(1) : String(Math.round(x)));
const table = (header: readonly string[], body: readonly string[][]): string =>
  [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body.map((cells) => `| ${cells.join(' | ')} |`)].join('\n');

/** adam-lab's best against the best PyTorch row (all configurations) and the best with the environment's kernel, per workload. */
function versusTable(workloads: readonly Workload[], ourRows: readonly Row[], torchRows: readonly Row[], envRows: readonly Row[]): { text: string; ratios: Map<string, number> } {
  const ratios = new Map<string, number>();
  const body = workloads.map((w) => {
    const mine = bestRow(ourRows, w)!;
    const cells = [w.label, `${figureCell(w, mine.results[w.name])} (${mine.label.replace(/^adam-lab /, '').replace(/ \(default\)$/, '')})`];
    for (const [rows, overall] of [[envRows, false], [torchRows, true]] as const) {
      const theirs = bestRow(rows, w);
      if (theirs === undefined) {
        cells.push('n/a', '');
        continue;
      }
      const s = speedup(w, mine.results[w.name] as number, theirs.results[w.name] as number);
      if (overall) ratios.set(w.name, s);
      cells.push(`${figureCell(w, theirs.results[w.name])} (${theirs.label.replace(/^PyTorch \S+ \+ /, '')})`, times(s));
    }
    return cells;
  });
  const header = ['workload', 'adam-lab best', "PyTorch, environment's OpenBLAS kernel", 'adam-lab ×', 'best PyTorch', 'adam-lab ×'];
  return { text: table(header, body), ratios };
}

const folder = bundledMnistFolder();
/** The machine's 1-minute load before the run: above 0 means other work shared its cores (the figures are then lower bounds, unevenly so). */
const loadBefore = loadavg()[0];

progress('adam-lab');
const defaultRow = ours(folder, null, MAIN_NAMES, samples, repeats);
// The other thread count beside the default: 1 when the default shares products, else 2
// where there is a second core (the evidence for matmul.ts's default).
const other = defaultRow.threads !== 1 ? 1 : availableParallelism() >= 2 ? 2 : null;
// Both cores for one run: each batch in 2 shards, one per thread (engine/batch-shards.ts).
const shardRows = availableParallelism() >= 2 ? [ours(folder, 2, MAIN_NAMES, samples, repeats, 'default', 2)] : [];
const ourRows = [
  defaultRow,
  ...(other === null ? [] : [ours(folder, other, MAIN_NAMES, samples, repeats)]),
  ...shardRows,
  ...relaxedRows(folder, other === null ? [defaultRow.threads] : [defaultRow.threads, other], MAIN_NAMES, samples, repeats),
  ...blasRows(folder, MAIN_NAMES, samples, repeats),
];

const setup: TorchSetup | null = torchSetup(folder);
const torchRows: Row[] = [];
if (setup === null) notes.push('PyTorch skipped: /usr/bin/python3 cannot import torch (apt-get install python3-torch)');
else {
  notes.push(...setup.notes);
  for (const { config, cnnOnly } of mainConfigs(setup)) {
    progress(`PyTorch, ${config.kernel} kernel, ${config.ompThreads} OpenMP / ${config.blasThreads} BLAS threads`);
    torchRows.push(torchRow(folder, setup, config, samples, repeats, cnnOnly ? [W3.name] : MAIN_NAMES, quick));
  }
}
const envRows = torchRows.filter((r) => r.label.includes('(environment)'));

progress('TF.js');
const tfjsRows = ensurePeerPackages(notes) ? (['wasm', 'cpu'] as const).map((b) => tfjsPeer(folder, b)).filter((r): r is Row => r !== null) : [];
const rows = [...ourRows, ...torchRows, ...tfjsRows];

progress('whole jobs');
const jobs: JobFigure[] = (other === null ? [defaultRow.threads] : [defaultRow.threads, other]).map((t) => adamLabJob(`adam-lab train, ${plural(t)}`, t, jobRepeats));
if (ourRows.some((r) => r.label.startsWith('adam-lab blas'))) {
  jobs.push(adamLabJob('adam-lab train, blas (detected core), 1 thread', 1, jobRepeats, { ...detectedCoreEnv(process.env), ADAM_LAB_KERNEL: 'blas' }));
}
const ourJobCount = jobs.length;
if (setup !== null) {
  for (const threads of [1, 2]) {
    const config = { kernel: 'detected' as const, ompThreads: threads, blasThreads: threads };
    jobs.push(torchJob(`PyTorch + ${describe(config, setup.detectedCore)}`, folder, torchEnv(setup, config), jobRepeats));
  }
}

let scalingText: string | null = null;
let scalingRatios = new Map<string, number>();
if (scaling) {
  progress('scaling rows');
  const scalingNames = SCALING.map((w) => w.name);
  // adam-lab's two kernel paths on one thread, as PyTorch's two OpenBLAS kernels: the scaling
  // rows are where large products dominate, which is what the blas path is for.
  const mine = [ours(folder, 1, scalingNames, scalingSamples, scalingRepeats)];
  if (ourRows.some((r) => r.label.startsWith('adam-lab blas'))) mine.push(ours(folder, 1, scalingNames, scalingSamples, scalingRepeats, 'blas (detected)'));
  const theirs = setup === null ? [] : setup.kernels.map((kernel) => torchRow(folder, setup, { kernel, ompThreads: 1, blasThreads: 1 }, scalingSamples, scalingRepeats, scalingNames, quick));
  const versus = versusTable(SCALING, mine, theirs, theirs.filter((r) => r.label.includes('(environment)')));
  scalingText = versus.text;
  scalingRatios = versus.ratios;
}

const main = versusTable(MAIN, ourRows, torchRows, envRows);
const bestOurs = (w: Workload): number => bestRow(ourRows, w)!.results[w.name] as number;
const allRows = table(
  ['engine', ...MAIN.flatMap((w) => [w.label.replace(/, (µs\/step|samples\/s)$/, ' $1'), 'adam-lab ×']), 'peak RSS MB'],
  rows.map((r) => [
    r.label,
    ...MAIN.flatMap((w) => {
      const x = r.results[w.name];
      return [figureCell(w, x), r.engine === 'adam-lab' || typeof x !== 'number' ? '' : times(speedup(w, bestOurs(w), x))];
    }),
    String(r.rss),
  ]),
);

const single = ourRows.find((r) => r.threads === 1) ?? defaultRow;
const gemmRows = rows.filter((r) => r.gemm !== null);
const gemmTable = table(
  ['GEMM C = A·B', '512³ GFLOP/s', 'adam-lab 1 thread / this', '1024³ GFLOP/s', 'adam-lab 1 thread / this'],
  gemmRows.map((r) => [r.label, r.gemm!['512']!.toFixed(1), times(single.gemm!['512']! / r.gemm!['512']!), r.gemm!['1024']!.toFixed(1), times(single.gemm!['1024']! / r.gemm!['1024']!)]),
);

const fastestJob = (figures: readonly JobFigure[]): JobFigure => figures.reduce((a, j) => (j.seconds < a.seconds ? j : a));
const ourJob = fastestJob(jobs.slice(0, ourJobCount));
const torchJobs = jobs.slice(ourJobCount);
const jobTable = table(
  ['whole job: start, load MNIST, 1 epoch of W1, evaluate', 'wall time s', 'adam-lab ×', 'peak RSS MB'],
  jobs.map((j, i) => [j.label, j.seconds.toFixed(2), i < ourJobCount ? '' : times(j.seconds / ourJob.seconds), String(j.rssMb)]),
);

/** The goals of the performance issue, each with the figure it is judged on (against the best PyTorch configuration). */
function goals(): string[] {
  if (torchRows.length === 0) return [];
  const lines: string[] = [];
  const goal = (what: string, s: number, target: number): string => `${what}: ${times(s)} the best PyTorch (goal ≥ ${times(target)}) — ${verdict(s >= target)}`;
  lines.push(goal('W0', main.ratios.get(W0.name)!, 20));
  for (const w of [W1, W2, W3]) lines.push(goal(w.label.split(' ')[0]!, main.ratios.get(w.name)!, 1.5));
  for (const w of SCALING) if (scalingRatios.has(w.name)) lines.push(goal(`scaling ${w.label}`, scalingRatios.get(w.name)!, 1));
  if (torchJobs.length > 0) {
    const theirs = fastestJob(torchJobs);
    lines.push(goal('whole job', theirs.seconds / ourJob.seconds, 2));
    const memory = ourJob.rssMb / Math.min(...torchJobs.map((j) => j.rssMb));
    lines.push(`whole job's peak memory: ${times(memory)} PyTorch's (goal ≤ 0.60×) — ${verdict(memory <= 0.6)}`);
  }
  return lines;
}

const run = quick ? 'quick run (6000 samples, one epoch, short TF.js budgets: not for comparing)' : `full run (training figures best of ${repeats} epochs, whole jobs best of ${jobRepeats} runs)`;
const report = [
  '## adam-lab against PyTorch',
  main.text,
  ...(scalingText === null ? [] : [`## Scaling (1 thread each; the first ${scalingSamples.toLocaleString('en')} images, best of ${scalingRepeats} epoch${scalingRepeats > 1 ? 's' : ''})`, scalingText]),
  '## Whole job',
  jobTable,
  '## Every configuration',
  allRows,
  gemmTable,
  `${machineLine(loadBefore)}; ${run}. "adam-lab ×": how many times faster adam-lab's best figure is than that one (above 1: adam-lab faster). Every PyTorch run sets GLIBC_TUNABLES=${MALLOC_TUNABLES}; "(environment)": OpenBLAS with the machine's own ${coreTypeVariables()}; "(detected)": those unset, so OpenBLAS picks its kernels for this CPU. PyTorch scales the images to float32 once at load and gathers each batch's rows per step; adam-lab gathers the rows as bytes and scales them per step, as its runs do.`,
  '## Goals',
  goals().join('\n\n'),
  ...notes,
].join('\n\n');
process.stdout.write(`${report}\n`);
if (!quick) writeFileSync('bench/results.md', `# adam-lab benchmark (\`npm run bench${scaling ? ' -- --scaling' : ''}\`)\n\n${report}\n`);
process.stdout.write('\nSweeps: --jobs 2 against --jobs 1, and the memory of parallel trials\n\n');
execFileSync(process.execPath, [fileURLToPath(new URL('./sweep.js', import.meta.url)), ...process.argv.slice(2)], { stdio: 'inherit' });
