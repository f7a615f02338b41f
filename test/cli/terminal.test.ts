/**
 * The display in a real terminal: the CLI runs inside tmux at 80 and 120 columns, and the screen
 * (with its scrollback, wrapped rows joined back into the lines that were written) is read back.
 * A line longer than the terminal wraps, and the bars then overwrite what is above them; a trial
 * line logged just before the bars stop used to be lost.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { barLayout } from '../../src/cli/progress.js';
import { colourWanted, fitLine, paint } from '../../src/cli/screen.js';
import { tableForScreen } from '../../src/cli/table.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const socket = `adam-lab-test-${process.pid}`;
const root = join(import.meta.dirname, '..', '..');

/** Runs `adam-lab ...args` in a detached tmux window `width` columns wide; returns the screen's lines once it exits. */
async function onScreen(width: number, args: readonly string[]): Promise<string[]> {
  const session = `w${width}-${Math.random().toString(36).slice(2, 8)}`;
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const command = `cd '${root}' && env -u CI -u NO_COLOR -u FORCE_COLOR node bin/adam-lab.js ${quoted}; echo "exit $?"; echo __END__; sleep 600`;
  execFileSync('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', session, '-x', String(width), '-y', '50', command]);
  try {
    for (let waited = 0; waited < 240_000; waited += 500) {
      const screen = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-J', '-S', '-', '-t', session], { encoding: 'utf8' });
      if (screen.includes('__END__')) return screen.split('\n').map((line) => line.trimEnd());
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`adam-lab did not finish in tmux at ${width} columns`);
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-session', '-t', session]);
  }
}

afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['-L', socket, 'kill-server']);
});

describe('the training bar', () => {
  it.each([80, 120])('keeps samples/s and the ETA within %i columns', (width) => {
    const { format, barsize } = barLayout('epoch 10/10', 938, width);
    const widest = format
      .replace('{bar}', '#'.repeat(barsize))
      .replace('{value}', '938')
      .replace('{total}', '938')
      .replace('{loss}', '12.3456')
      .replace('{lr}', '1.00e-4')
      .replace('{rate}', '999,999')
      .replace('{eta_formatted}', '59m59s');
    expect(widest.length).toBeLessThan(width);
    expect(format).toContain('samples/s');
    expect(format).toContain('ETA');
    expect(format).toContain('loss');
  });
});

describe('colour', () => {
  it('is shown on a terminal only, unless NO_COLOR or FORCE_COLOR says otherwise', () => {
    expect(colourWanted({ isTTY: true }, {})).toBe(true);
    expect(colourWanted({ isTTY: false }, {})).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '' })).toBe(true); // no-color.org: an empty NO_COLOR is unset
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourWanted({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
    expect(paint({ width: null, colour: false }, 'red', 'FAIL')).toBe('FAIL');
    expect(paint({ width: null, colour: true }, 'red', 'FAIL')).toBe('\u001b[31mFAIL\u001b[0m');
  });
});

describe('fitting', () => {
  it('breaks a long line at its separators into rows that fit, losing nothing', () => {
    const line = '[25/25] optimizer.betas.0=0.99 optimizer.lr=0.0001 seed 0 (0123456789ab) completed: train_loss 1.2345, test_acc 91.08%, 1.2s';
    const rows = fitLine(line, 80);
    expect(rows.every((row) => row.length < 80)).toBe(true);
    expect(rows.map((row) => row.trim()).join(' ')).toBe(line);
    expect(fitLine(line, null)).toEqual([line]);
  });

  it('gives up the least important columns of a table first and says which', () => {
    const rows = [
      ['rank', 'variant', 'seeds', 'diverged', 'final_test_accuracy', 'final_train_loss'],
      ['1', 'adam', '3/3', '0', '0.9712 ± 0.0010', '0.1234 ± 0.0100'],
    ];
    const narrow = tableForScreen(rows, { width: 50, colour: false }, { titleColumns: 2, givenUpLast: ['final_test_accuracy', 'seeds'] });
    expect(narrow.split('\n')[0]).toBe('rank  variant  seeds  final_test_accuracy');
    expect(narrow).toContain('diverged, final_train_loss');
    expect(tableForScreen(rows, { width: null, colour: false }, { titleColumns: 2 }).split('\n')[0]).toContain('final_train_loss');
    const blocks = tableForScreen([['rank', 'variant', 'x'], ['1', 'v'.repeat(60), '1']], { width: 40, colour: false }, { titleColumns: 2 });
    expect(blocks.split('\n').every((line) => line.length < 40)).toBe(true);
  });
});

describe.skipIf(!hasTmux)(`in a real terminal${hasTmux ? '' : ' (skipped: tmux is not installed; apt-get install tmux)'}`, () => {
  const out = mkdtempSync(join(tmpdir(), 'adam-lab-terminal-'));

  it.each([80, 120])('train at %i columns: every epoch line, none longer than the terminal', async (width) => {
    const lines = await onScreen(width, ['train', 'configs/mnist-mlp-adam.yaml', '--out', out, '--set', 'data.limit=2000', '--set', 'train.epochs=2']);
    expect(lines).toContain('exit 0');
    for (const epoch of [1, 2]) expect(lines.some((line) => line.startsWith(`epoch ${epoch}/2  step`))).toBe(true);
    expect(lines.filter((line) => line.length >= width)).toEqual([]);
  });

  it.each([80, 120])('sweep at %i columns: every trial line, none longer than the terminal', async (width) => {
    const lines = await onScreen(width, ['sweep', 'configs/sweep-adam-beta-eta.yaml', '--out', join(out, String(width)), '--set', 'data.limit=640', '-j', '2']);
    expect(lines).toContain('exit 0');
    for (let trial = 1; trial <= 25; trial++) expect(lines.filter((line) => line.startsWith(`[${trial}/25] `))).toHaveLength(1);
    expect(lines.filter((line) => line.length >= width)).toEqual([]);
    expect(lines.some((line) => /^ +1 {2}betas\.0=/.test(line))).toBe(true); // the final table, as a table
  });
});
