/**
 * Headless Chromium (Debian's `chromium`) for the tests that look at report.html as a reader's
 * browser lays it out. Tests that need it skip where it is not installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const CANDIDATES = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter((c): c is string => !!c);

export const chromium: string | null =
  CANDIDATES.find((command) => {
    try {
      execFileSync(command, ['--version'], { stdio: 'ignore', timeout: 20_000 });
      return true;
    } catch {
      return false;
    }
  }) ?? null;

/** What the browser printed: the DOM after the page's scripts ran, and its log (console messages and errors). */
export interface BrowserRun {
  readonly dom: string;
  readonly log: string;
}

/** Runs Chromium once on a file, in a throw-away profile, with nothing fetched from the network. */
function run(file: string, width: number, height: number, extra: readonly string[]): BrowserRun {
  if (chromium === null) throw new Error('no chromium');
  const profile = mkdtempSync(join(tmpdir(), 'adam-lab-chromium-'));
  try {
    const result = spawnSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        '--enable-logging=stderr',
        '--v=0',
        `--user-data-dir=${profile}`,
        `--window-size=${width},${height}`,
        ...extra,
        pathToFileURL(file).href,
      ],
      { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    if (result.error) throw result.error;
    return { dom: result.stdout, log: result.stderr };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

export function dumpDom(file: string, width: number): BrowserRun {
  return run(file, width, 900, ['--dump-dom', '--virtual-time-budget=5000']);
}

export function screenshot(file: string, png: string, width: number, height: number): void {
  run(file, width, height, [`--screenshot=${png}`, '--virtual-time-budget=5000']);
}
