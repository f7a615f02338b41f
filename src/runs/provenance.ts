/** What a manifest records about where a run came from: versions and the git commit, if any. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';

export interface Provenance {
  readonly adam_lab: string;
  readonly node: string;
  readonly platform: string;
  /** Commit of the git work tree holding the config, with whether it had uncommitted changes. */
  readonly git: { readonly commit: string; readonly dirty: boolean } | null;
}

/** The version in adam-lab's package.json, found upwards from this file (src/ or dist/src/). */
export function adamLabVersion(): string {
  for (let up = '../'; up.length <= 12; up += '../') {
    try {
      const manifest = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (manifest.name === 'adam-lab') return manifest.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

export function collectProvenance(folder: string): Provenance {
  return { adam_lab: adamLabVersion(), node: process.version, platform: `${platform()}-${arch()}`, git: gitState(folder) };
}

function gitState(folder: string): Provenance['git'] {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: folder, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8', timeout: 5000 }).trim();
  try {
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return null; // not a git work tree, no commits yet, or no git installed
  }
}
