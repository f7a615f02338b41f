/**
 * Preloaded into a process under measurement (`node --import …/peak-rss.js`): when the process
 * exits, writes its peak resident set size in MB — worker threads included, as they share the
 * process — to the file named by ADAM_LAB_PEAK_RSS_FILE. A parent cannot read a finished
 * child's peak from Node.js, so the child reports its own.
 */
import { writeFileSync } from 'node:fs';
import { peakRssMb } from './common.js';

const file = process.env.ADAM_LAB_PEAK_RSS_FILE;
if (file !== undefined) {
  process.on('exit', () => writeFileSync(file, String(peakRssMb())));
}
