/**
 * examples/slurm/sweep.sbatch run as Slurm runs it (bash, in the submission directory, with an
 * array task's variables): the SIGTERM Slurm sends at scancel or the time limit must reach
 * adam-lab, which then records its trial as interrupted and exits 130 within seconds, leaving no
 * node process behind. (Through `npx adam-lab`, npm got the signal and node trained on, orphaned.)
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNoStackTrace, folderWith, manifestOf, onlyFolder, partialRows, temporariesUnder, trialFolders } from './harness.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SBATCH = join(ROOT, 'examples/slurm/sweep.sbatch');
/** How long adam-lab may take to honour the signal: a step, writing the trial's files, the report. */
const HONOURED_MS = 15_000;

const LONG = `data: {dataset: synthetic, task: moons, n_train: 2000, n_test: 200, batch_size: 32}
model: {layers: [{linear: 16}, tanh, {linear: 2}]}
optimizer: {name: sgd, lr: 0.05}
sweep: {grid: {train.epochs: [1000]}}
`;

/** Task 2 of a two-task array (the first task would submit the report job with sbatch). */
const ARRAY_TASK = {
  SLURM_ARRAY_JOB_ID: '7',
  SLURM_ARRAY_TASK_ID: '2',
  SLURM_ARRAY_TASK_MIN: '1',
  SLURM_ARRAY_TASK_MAX: '2',
  SLURM_ARRAY_TASK_STEP: '1',
  SLURM_ARRAY_TASK_COUNT: '2',
  SLURM_CPUS_PER_TASK: '1',
};

/** The pids of running processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

describe('the Slurm launcher', () => {
  it.runIf(process.platform === 'linux')('lets SIGTERM reach adam-lab: the trial is interrupted within seconds and no node process is left', async () => {
    const { config, out } = folderWith(`name: slurm\nseeds: [0, 1]\n${LONG}`);
    const child = spawn('bash', [SBATCH, config, out], { cwd: ROOT, env: { ...process.env, ...ARRAY_TASK, ADAM_LAB: '', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const ended = new Promise<{ code: number | null; at: number }>((resolve) => child.on('close', (code) => resolve({ code, at: performance.now() })));
    let sentAt = 0;
    const watching = setInterval(() => {
      if (sentAt === 0 && partialRows(out) > 0) {
        sentAt = performance.now();
        child.kill('SIGTERM'); // what Slurm does: the batch script's process gets it
      }
    }, 100);
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const { code, at } = await ended;
    clearInterval(watching);
    clearTimeout(killer);
    expect(sentAt, `${stdout}\n${stderr}`).toBeGreaterThan(0);
    expectNoStackTrace({ code: code ?? 128, stdout, stderr });
    expect(code, stderr).toBe(130);
    expect(at - sentAt, 'the signal is honoured within seconds').toBeLessThan(HONOURED_MS);
    expect(stdout).toMatch(/^task 2 of array 7 \(1-2\) on .*: 1 trial\(s\) at a time in /m);
    expect(stderr).toMatch(/SIGTERM: finishing the running trials' current steps/);
    // shard 2/2: the second seed's trial, interrupted with its files whole
    const trials = trialFolders(onlyFolder(join(out, 'slurm')));
    expect(trials.map((t) => manifestOf(t)?.status)).toEqual(['interrupted']);
    expect(temporariesUnder(out)).toEqual([]);
    expect(processesMentioning(config), 'no adam-lab process is left running').toEqual([]);
  }, 120_000);

  it('refuses an ADAM_LAB that would keep the signal from node', async () => {
    const { config, out } = folderWith('name: npx\n');
    const child = spawn('bash', [SBATCH, config, out], { cwd: ROOT, env: { ...process.env, ...ARRAY_TASK, ADAM_LAB: 'npx adam-lab' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^ADAM_LAB=npx adam-lab: npx would keep Slurm's SIGTERM from reaching adam-lab; use ADAM_LAB="node \/path\/to\/adam-lab\/bin\/adam-lab\.js"$/m);
  });
});
