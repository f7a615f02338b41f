/**
 * What `sweep` and `compare` run: the config's expansion (or the expansion recorded in a folder
 * being resumed) and the sweep folder it runs in.
 */
import { readConfigSource, type ConfigSource } from '../config/load.js';
import { parseOverride, type Override } from '../config/overrides.js';
import type { Expansion } from '../config/trials.js';
import { UsageError } from '../core/errors.js';
import { defaultSweepDirectory, readSweepManifest, recordedExpansion, sweepManifest, withCheckedTrialConfigs } from '../runs/sweep-dir.js';

export type Expand = (source: ConfigSource, sets: readonly Override[]) => Expansion;

export interface LabPlan {
  readonly expansion: Expansion;
  readonly dir: string;
  /** The config the trials come from (the recorded one when resuming). */
  readonly configFile: string;
}

export interface LabRequest {
  readonly set: readonly string[];
  /** The runs root. */
  readonly out: string;
  /** The sweep folder to continue. */
  readonly resume?: string;
}

/** Resuming, the config given (if any) is expanded again; otherwise the folder's own record is. */
export function planLab(file: string | undefined, request: LabRequest, expand: Expand): LabPlan {
  const sets = (): Override[] => request.set.map((s) => parseOverride(s));
  if (request.resume !== undefined) {
    const recorded = readSweepManifest(request.resume);
    const expansion = file === undefined ? recordedExpansion(withCheckedTrialConfigs(request.resume, recorded)) : expand(readConfigSource(file), sets());
    return { expansion, dir: request.resume, configFile: recorded.config_file };
  }
  if (file === undefined) throw new UsageError('give a config file, or --resume <sweep folder>');
  const expansion = expand(readConfigSource(file), sets());
  return { expansion, dir: defaultSweepDirectory(request.out, sweepManifest(expansion, file)), configFile: file };
}
