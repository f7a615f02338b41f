/**
 * `npm run bench` (second part): what running trials in parallel buys, through the CLI as a
 * user runs it. Not a test: prints a table and writes bench/sweep-results.md.
 *
 *   speed-up   a 20-trial sweep (Adam β1 × lr, one epoch of MNIST each) with --jobs 2 against
 *              --jobs 1: wall time of the whole command, best of `repeats`; once on a 10 000-image
 *              subset (trials of about 0.25 s) and once on all 60 000 images (about 1 s). The
 *              command's own start, data loading and final report (about 1.5 s together) do not
 *              run in parallel, so the short trials show what that fixed part costs.
 *   memory     peak RSS of a 2-trial sweep on the full MNIST with --jobs 2 against one `train`
 *              of the same config: the dataset is loaded once and shared with the workers, so
 *              the second trial should cost its model and buffers, not another copy of the data
 *
 * Every command writes into a fresh temporary runs root, so no trial is ever skipped as done.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineLine, verdict } from './common.js';

const quick = process.argv.includes('--quick');
const repeats = quick ? 1 : 3;
const cli = fileURLToPath(new URL('../../bin/adam-lab.js', import.meta.url));
const peakRss = fileURLToPath(new URL('./peak-rss.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'adam-lab-bench-'));

const model = `model: {layers: [{linear: 128}, relu, {linear: 10}]}
loss: cross_entropy
optimizer: {name: adam, lr: 0.001}
train: {epochs: 1}
`;
const sweepConfig = (limit: number): string => `name: bench-sweep
seed: 0
data: {dataset: mnist, batch_size: 64, limit: ${limit}}
${model}sweep:
  grid:
    optimizer.betas.0: [0.5, 0.8, 0.9, 0.95, 0.99]
    optimizer.lr: [1.0e-4, 3.0e-4, 1.0e-3, 3.0e-3]
`;
const mnistConfig = `name: bench-memory
seed: 0
data: {dataset: mnist, batch_size: 64${quick ? ', limit: 6000' : ''}}
${model}seeds: [0, 1]
`;

function configFile(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

interface Measured {
  readonly seconds: number;
  readonly rssMb: number;
}

/** Runs `adam-lab <args>` into a fresh runs root; its wall time and peak RSS. */
function measure(args: string[]): Measured {
  const out = mkdtempSync(join(scratch, 'runs-'));
  const rssFile = join(out, 'peak-rss');
  const start = performance.now();
  execFileSync(process.execPath, ['--import', peakRss, cli, ...args, '--quiet', '--out', out], {
    env: { ...process.env, ADAM_LAB_PEAK_RSS_FILE: rssFile },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const seconds = (performance.now() - start) / 1000;
  const rssMb = Number(readFileSync(rssFile, 'utf8'));
  rmSync(out, { recursive: true, force: true });
  return { seconds, rssMb };
}

function best(args: string[]): Measured {
  let fastest: Measured = { seconds: Infinity, rssMb: 0 };
  for (let r = 0; r < repeats; r++) {
    const m = measure(args);
    if (m.seconds < fastest.seconds) fastest = m;
  }
  return fastest;
}

interface Speedup {
  readonly images: number;
  readonly oneJob: Measured;
  readonly twoJobs: Measured;
}

function speedup(images: number): Speedup {
  const file = configFile(`sweep-${images}.yaml`, sweepConfig(images));
  return { images, oneJob: best(['sweep', file, '--jobs', '1']), twoJobs: best(['sweep', file, '--jobs', '2']) };
}

const loadBefore = loadavg()[0];
const sweeps = (quick ? [2000] : [10000, 60000]).map(speedup);
const memoryFile = configFile('memory.yaml', mnistConfig);
const single = measure(['train', memoryFile]);
const pair = measure(['sweep', memoryFile, '--grid', 'optimizer.lr=0.001', '--jobs', '2']);
rmSync(scratch, { recursive: true, force: true });

const memoryRatio = pair.rssMb / single.rssMb;
const count = (images: number): string => images.toLocaleString('en').replace(',', ' ');
const report = [
  '| command | wall time s | peak RSS MB |',
  '|---|---|---|',
  ...sweeps.flatMap(({ images, oneJob, twoJobs }) => [
    `| sweep, 20 trials of ${count(images)} images, --jobs 1 | ${oneJob.seconds.toFixed(1)} | ${oneJob.rssMb} |`,
    `| sweep, 20 trials of ${count(images)} images, --jobs 2 | ${twoJobs.seconds.toFixed(1)} | ${twoJobs.rssMb} |`,
  ]),
  `| train, ${quick ? '6 000-image' : 'full'} MNIST, 1 epoch | ${single.seconds.toFixed(1)} | ${single.rssMb} |`,
  `| sweep, same config × 2 seeds, --jobs 2 | ${pair.seconds.toFixed(1)} | ${pair.rssMb} |`,
  '',
  `${machineLine(loadBefore)}; sweep times best of ${repeats}.`,
  '',
  ...sweeps.flatMap(({ images, oneJob, twoJobs }) => {
    const ratio = oneJob.seconds / twoJobs.seconds;
    return [`--jobs 2 over --jobs 1, 20 trials of ${count(images)} images: ${ratio.toFixed(2)}× (goal ≥ 1.8× on 2 cores) — ${verdict(ratio >= 1.8)}`, ''];
  }),
  `peak RSS of the 2-job MNIST sweep over one run: ${memoryRatio.toFixed(2)}× (goal ≤ 1.5×) — ${verdict(memoryRatio <= 1.5)}`,
].join('\n');
process.stdout.write(`${report}\n`);
if (!quick) writeFileSync('bench/sweep-results.md', `# adam-lab sweep benchmark (\`npm run bench\`)\n\n${report}\n`);
