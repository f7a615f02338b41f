/** One engine's figures in one configuration, as `npm run bench` tabulates them, and how a peer process is run. */
import { execFileSync } from 'node:child_process';

export interface Row {
  readonly engine: 'adam-lab' | 'PyTorch' | 'TF.js';
  readonly label: string;
  /** By workload name (bench/workloads.ts): µs per step for the toy, samples/s otherwise; null where the engine cannot run it. */
  readonly results: Readonly<Record<string, number | null>>;
  readonly gemm: Readonly<Record<string, number>> | null;
  readonly rss: number;
  readonly threads: number;
}

/** The JSON object every peer prints as its last line. */
export interface PeerJson {
  readonly results: Record<string, number | null>;
  readonly gemm_gflops: Record<string, number> | null;
  readonly peak_rss_mb: number;
  readonly [key: string]: unknown;
}

/** A peer that has not answered by then is reported as failed rather than waited for. */
const PEER_TIMEOUT_MS = 30 * 60_000;

/** Runs a peer and parses the JSON object on the last line of its output. */
export function runPeer(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): PeerJson {
  const out = execFileSync(file, args, { encoding: 'utf8', env, timeout: PEER_TIMEOUT_MS, maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as PeerJson;
}

export const plural = (threads: number): string => `${threads} thread${threads > 1 ? 's' : ''}`;
