/**
 * Loading --optimizer-plugin files: read, hash (SHA-256 of the bytes), import, check
 * (optim/plugins.ts), and serve them to the registry and the config schema. A plugin is code, so
 * it comes only from the command line, never from a YAML file; a run, a sweep folder and a
 * checkpoint record each plugin they use by path and hash (PluginRecord), and what continues them
 * (a resume, a shard, a worker thread) loads the same file and refuses one whose bytes changed.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PluginError, UnreadableFileError } from '../core/errors.js';
import { readFileBounded } from '../core/read-file.js';
import { activePlugins, pluginKind, usePlugins, type PluginKind, type PluginRecord } from '../optim/plugins.js';
import { optimizerNames, pluginOf } from '../optim/registry.js';

/** A PluginRecord as a file (manifest.json, sweep.json, state.json) holds it. */
export const pluginRecordSchema = z.object({ name: z.string(), path: z.string(), sha256: z.string() });

/** Loads the plugin files (paths as given) and serves exactly them; returns their records. */
export async function loadOptimizerPlugins(files: readonly string[]): Promise<PluginRecord[]> {
  const kinds: PluginKind[] = [];
  for (const file of files) kinds.push(await loadPlugin(resolve(file)));
  usePlugins(kinds);
  return kinds.map((k) => k.plugin);
}

/**
 * Serves the plugins a sweep or run recorded (in a worker thread, or resuming), each loaded from
 * its path and refused when its bytes are not the recorded ones. Plugins served already with
 * the same bytes are kept, so a worker loads each file once.
 */
export async function requireOptimizerPlugins(records: readonly PluginRecord[]): Promise<void> {
  const served = activePlugins();
  if (records.length === served.length && records.every((r) => served.some((k) => samePlugin(k.plugin, r)))) return;
  const kinds: PluginKind[] = [];
  for (const record of records) {
    const kind = await loadPlugin(record.path);
    if (!samePlugin(kind.plugin, record)) throw changedPlugin(record, kind.plugin);
    kinds.push(kind);
  }
  usePlugins(kinds);
}

/**
 * Refuses to continue what `recorded` plugins made with the plugins served now: the same
 * optimizer name must come from a file with the same bytes. `what` names the record (a file).
 */
export function checkRecordedPlugins(what: string, recorded: readonly PluginRecord[], hint: string): void {
  for (const record of recorded) {
    const served = pluginOf(record.name);
    if (served === undefined) throw new PluginError(what, `was made with the optimizer plugin '${record.name}' (${record.path}): give --optimizer-plugin ${record.path}`);
    if (served.sha256 !== record.sha256) throw new PluginError(what, `was made with another version of the optimizer plugin '${record.name}': sha256 ${record.sha256} there (${record.path}), ${served.sha256} here (${served.path})`, hint);
  }
}

/** The records of the plugins whose optimizers these configs use. */
export function pluginsUsedBy(optimizerNamesUsed: Iterable<string>): PluginRecord[] {
  const used = new Set(optimizerNamesUsed);
  return activePlugins()
    .filter((k) => used.has(k.plugin.name))
    .map((k) => k.plugin);
}

function samePlugin(a: PluginRecord, b: PluginRecord): boolean {
  return a.name === b.name && a.sha256 === b.sha256;
}

function changedPlugin(record: PluginRecord, now: PluginRecord): PluginError {
  return new PluginError(record.path, `has changed since it was recorded (sha256 ${record.sha256}, now ${now.sha256}${now.name === record.name ? '' : `, and it is now '${now.name}'`})`, 'restore the file, or start over with the new one');
}

async function loadPlugin(path: string): Promise<PluginKind> {
  let bytes: Uint8Array;
  try {
    bytes = readFileBounded(path);
  } catch (error) {
    if (error instanceof UnreadableFileError) throw new PluginError(path, `cannot be read as an optimizer plugin: ${error.problem}`);
    throw error;
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let exports: Record<string, unknown>;
  try {
    // The hash in the URL makes a changed file a new module (import() caches by URL).
    exports = (await import(`${pathToFileURL(path).href}?sha256=${sha256}`)) as Record<string, unknown>;
  } catch (error) {
    throw new PluginError(path, `cannot be imported as an ES module: ${error instanceof Error ? error.message : String(error)}`, 'an optimizer plugin is an ES module (.mjs, or .js in a "type": "module" package)');
  }
  return pluginKind(exports, { path, sha256 }, optimizerNames);
}
