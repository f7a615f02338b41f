/**
 * The whole job as a user meets it, timed from process start to exit: start, load MNIST (train
 * and test), one shuffled epoch of W1 (784→128→10, Adam 1e-3, batch 64), evaluate on the test
 * set. adam-lab's side is the CLI itself (`train configs/mnist-mlp-adam.yaml --set
 * train.epochs=1`, which also writes its run folder); PyTorch's is bench/peers/torch_job.py.
 * Best of `repeats` wall times; the peak RSS is the fastest run's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface JobFigure {
  readonly label: string;
  readonly seconds: number;
  readonly rssMb: number;
}

const cli = fileURLToPath(new URL('../../bin/adam-lab.js', import.meta.url));
const peakRss = fileURLToPath(new URL('./peak-rss.js', import.meta.url));
const config = fileURLToPath(new URL('../../configs/mnist-mlp-adam.yaml', import.meta.url));

function timed(run: () => number): { seconds: number; rssMb: number } {
  const start = performance.now();
  const rssMb = run();
  return { seconds: (performance.now() - start) / 1000, rssMb };
}

function best(repeats: number, run: () => number): { seconds: number; rssMb: number } {
  let fastest = { seconds: Infinity, rssMb: 0 };
  for (let r = 0; r < repeats; r++) {
    const m = timed(run);
    if (m.seconds < fastest.seconds) fastest = m;
  }
  return fastest;
}

/** adam-lab's CLI on `threads` threads, in `env` (the blas path's rows set ADAM_LAB_KERNEL there). */
export function adamLabJob(label: string, threads: number, repeats: number, env: NodeJS.ProcessEnv = process.env): JobFigure {
  return {
    label,
    ...best(repeats, () => {
      const out = mkdtempSync(join(tmpdir(), 'adam-lab-job-'));
      const rssFile = join(out, 'peak-rss');
      execFileSync(process.execPath, ['--import', peakRss, cli, 'train', config, '--set', 'train.epochs=1', '--quiet', '--out', out], {
        env: { ...env, ADAM_LAB_THREADS: String(threads), ADAM_LAB_PEAK_RSS_FILE: rssFile },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const rssMb = Number(readFileSync(rssFile, 'utf8'));
      rmSync(out, { recursive: true, force: true });
      return rssMb;
    }),
  };
}

export function torchJob(label: string, folder: string, env: NodeJS.ProcessEnv, repeats: number): JobFigure {
  return {
    label,
    ...best(repeats, () => {
      const out = execFileSync('/usr/bin/python3', ['bench/peers/torch_job.py', folder], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] });
      return (JSON.parse(out.trim()) as { peak_rss_mb: number }).peak_rss_mb;
    }),
  };
}
