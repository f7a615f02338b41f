/**
 * The PyTorch peer in its best configurations (bench/peers/torch_peer.py, Debian's python3-torch
 * under /usr/bin/python3), each named in its row:
 *
 *   malloc     every run sets GLIBC_TUNABLES to a high mmap and trim threshold: without it the
 *              step's short-lived 50–200 KB tensors cross glibc's dynamic mmap threshold, and
 *              every step maps, faults in and unmaps fresh pages (half speed on W1)
 *   kernel     OpenBLAS with the environment's OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) as the
 *              machine sets them, and with both unset, where OpenBLAS detects the CPU and picks
 *              its best kernels (e.g. AVX-512); the row names the kernel OpenBLAS reports
 *   threads    torch's threads = OpenBLAS's threads = 1 and 2; for the CNN also 2 torch (OpenMP)
 *              threads with 1 OpenBLAS thread, as convolutions gain from torch's own threads
 *              while a second BLAS team fights them for the cores
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { plural, runPeer, type Row } from './rows.js';

const PYTHON = '/usr/bin/python3';
const PEER = 'bench/peers/torch_peer.py';
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
export const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=268435456';

/** Whether OpenBLAS keeps the environment's core type or detects the CPU itself. */
export type KernelChoice = 'environment' | 'detected';

export interface TorchConfig {
  readonly kernel: KernelChoice;
  readonly ompThreads: number;
  readonly blasThreads: number;
}

export interface TorchSetup {
  /** Set when torch's default libblas is not OpenBLAS but Debian's OpenBLAS is installed. */
  readonly libraryPath: string | null;
  readonly kernels: readonly KernelChoice[];
  /** The kernel OpenBLAS picks when left to detect the CPU (e.g. SkylakeX); null without OpenBLAS. */
  readonly detectedCore: string | null;
  readonly notes: readonly string[];
}

export function torchEnv(setup: TorchSetup, config: TorchConfig): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_NUM_THREADS: String(config.ompThreads),
    OPENBLAS_NUM_THREADS: String(config.blasThreads),
    GLIBC_TUNABLES: [process.env.GLIBC_TUNABLES, MALLOC_TUNABLES].filter((t) => t !== undefined && t !== '').join(':'),
    ...(setup.libraryPath === null ? {} : { LD_LIBRARY_PATH: setup.libraryPath }),
  };
  return config.kernel === 'detected' ? detectedCoreEnv(env) : env;
}

/** `env` without the machine's OpenBLAS settings (core type, L2 size), so that OpenBLAS picks its kernels for this CPU: every "(detected)" row, PyTorch's and adam-lab's blas path alike. */
export function detectedCoreEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { OPENBLAS_CORETYPE: _core, OPENBLAS_L2_SIZE: _l2, ...detected } = env;
  return detected;
}

/** Whether torch imports, which BLAS it maps, and which kernel choices differ on this machine; null without torch. */
export function torchSetup(folder: string): TorchSetup | null {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const kernels: KernelChoice[] = process.env.OPENBLAS_CORETYPE === undefined ? ['detected'] : ['environment', 'detected'];
  const core = (libraryPath: string | null): string | null =>
    runPeer(PYTHON, [PEER, folder, '0', '1'], torchEnv({ libraryPath, kernels, detectedCore: null, notes: [] }, { kernel: 'detected', ompThreads: 1, blasThreads: 1 })).blas_core as string | null;
  const ownCore = core(null);
  if (ownCore !== null) return { libraryPath: null, kernels, detectedCore: ownCore, notes: [] };
  if (existsSync(OPENBLAS_DIR)) {
    return { libraryPath: OPENBLAS_DIR, kernels, detectedCore: core(OPENBLAS_DIR), notes: [`PyTorch's default libblas.so.3 is not OpenBLAS: its rows preload ${OPENBLAS_DIR} (LD_LIBRARY_PATH)`] };
  }
  return { libraryPath: null, kernels: ['environment'], detectedCore: null, notes: ['PyTorch runs without OpenBLAS (apt-get install libopenblas0-pthread for its best kernels)'] };
}

/** The configurations of the main table: both kernel choices on 1 and 2 threads, and the CNN's 2 OpenMP + 1 BLAS thread. */
export function mainConfigs(setup: TorchSetup): { config: TorchConfig; cnnOnly: boolean }[] {
  return setup.kernels.flatMap((kernel) => [
    { config: { kernel, ompThreads: 1, blasThreads: 1 }, cnnOnly: false },
    { config: { kernel, ompThreads: 2, blasThreads: 2 }, cnnOnly: false },
    { config: { kernel, ompThreads: 2, blasThreads: 1 }, cnnOnly: true },
  ]);
}

/** `OpenBLAS SkylakeX (detected), 2 threads`: the kernel OpenBLAS reported, how it was chosen, the threads. */
export function describe(config: TorchConfig, core: string | null): string {
  const kernel = core === null ? 'reference BLAS' : `OpenBLAS ${core} (${config.kernel})`;
  const threads = config.ompThreads === config.blasThreads ? plural(config.ompThreads) : `${config.ompThreads} OpenMP threads, ${config.blasThreads} BLAS thread`;
  return `${kernel}, ${threads}`;
}

/** One run of the peer on `workloads` in `config`; a row labelled with the kernel it actually used. */
export function torchRow(folder: string, setup: TorchSetup, config: TorchConfig, samples: number, repeats: number, workloads: readonly string[], quick: boolean): Row {
  const j = runPeer(PYTHON, [PEER, folder, String(samples), String(repeats), ...workloads, ...(quick ? ['--quick'] : [])], torchEnv(setup, config));
  return {
    engine: 'PyTorch',
    label: `PyTorch ${j.torch as string} + ${describe(config, j.blas_core as string | null)}`,
    results: j.results,
    gemm: j.gemm_gflops,
    rss: j.peak_rss_mb,
    threads: config.ompThreads,
  };
}
