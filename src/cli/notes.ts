/** Notes on what adam-lab decided for the user, one line each, for stderr. */
import type { DroppedOptions } from '../config/load.js';

/** "note: --set optimizer.name=sgd: the file's optimizer.betas, optimizer.eps are not options of it, so they are dropped". */
export function droppedNotes(dropped: readonly DroppedOptions[]): string[] {
  return dropped.map((d) => `note: ${d.origin}: the file's ${d.keys.join(', ')} ${d.keys.length === 1 ? 'is not an option of it, so it is' : 'are not options of it, so they are'} dropped`);
}
