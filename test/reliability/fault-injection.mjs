// Fault injection for adam-lab run as a child process: `node --import <this file> bin/adam-lab.js ...`
// with ADAM_LAB_FAULTS set to a JSON object. Nothing of this is in src/: the program under test
// is the shipped one, and these faults reach it the way real ones do, through node:fs.
//
//   trace: "<file>"   append one line per file-system event: "<event> <path>"
//   kill:  {event, match, nth, counter, torn}
//          SIGKILL the whole process at the nth event whose path matches the regex `match`
//          (counted across the main thread and the trial workers in the folder `counter`);
//          with `torn`, a write first writes half of its bytes: a write cut off mid-file.
//   fail:  {events, match, from, counter, code}
//          from the `from`-th matching event on, every matching event fails with `code`
//          (ENOSPC: the disk is full and stays full).
//
// Events: open (for writing), write, fsync, rename (the target path), link (the new path),
// mkdir, rm. --import runs in every worker thread as well, so trial workers are covered too.
// The builtin module is patched and syncBuiltinESMExports() makes adam-lab's
// `import { writeSync } from 'node:fs'` see the patched functions.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';

const spec = JSON.parse(process.env.ADAM_LAB_FAULTS ?? '{}');
const original = {
  openSync: fs.openSync,
  writeSync: fs.writeSync,
  closeSync: fs.closeSync,
  fsyncSync: fs.fsyncSync,
  renameSync: fs.renameSync,
  linkSync: fs.linkSync,
  mkdirSync: fs.mkdirSync,
  rmSync: fs.rmSync,
};
/** Paths of the files this thread opened for writing, by descriptor. */
const paths = new Map();
let busy = false;

function writable(flags) {
  if (typeof flags === 'number') return (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR)) !== 0;
  return typeof flags === 'string' && /[wa+]/.test(flags);
}

function appendLine(file, text) {
  const fd = original.openSync(file, 'a');
  try {
    original.writeSync(fd, text);
  } finally {
    original.closeSync(fd);
  }
}

/** This event's number among the matching ones of every thread: the first free name in `folder`. */
const next = new Map();
function ordinal(folder) {
  original.mkdirSync(folder, { recursive: true });
  for (let k = next.get(folder) ?? 1; ; k++) {
    try {
      original.closeSync(original.openSync(join(folder, String(k)), 'wx'));
      next.set(folder, k + 1);
      return k;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
  }
}

function injected(code, path) {
  const error = new Error(`${code}: injected fault, ${path}`);
  error.code = code;
  error.errno = -({ ENOSPC: 28, EROFS: 30, EACCES: 13, EIO: 5 }[code] ?? 5);
  error.syscall = 'write';
  error.path = path;
  return error;
}

/** Records the event, then decides: 'kill' (after an optional torn write), 'fail', or nothing. */
function observe(event, path) {
  if (busy || path === undefined) return null;
  busy = true;
  try {
    if (spec.trace) appendLine(spec.trace, `${event} ${path}\n`);
    const kill = spec.kill;
    if (kill && kill.event === event && new RegExp(kill.match).test(path) && ordinal(kill.counter) === kill.nth) return 'kill';
    const fail = spec.fail;
    if (fail && fail.events.includes(event) && new RegExp(fail.match).test(path) && ordinal(fail.counter) >= fail.from) return 'fail';
    return null;
  } finally {
    busy = false;
  }
}

function die() {
  process.kill(process.pid, 'SIGKILL');
}

fs.openSync = function openSync(path, flags, mode) {
  const target = String(path);
  const verdict = writable(flags) ? observe('open', target) : null;
  if (verdict === 'kill') die();
  if (verdict === 'fail') throw injected(spec.fail.code, target);
  const fd = original.openSync(path, flags, mode);
  if (writable(flags)) paths.set(fd, target);
  return fd;
};

fs.writeSync = function writeSync(fd, buffer, ...rest) {
  const verdict = observe('write', paths.get(fd));
  if (verdict === 'fail') throw injected(spec.fail.code, paths.get(fd));
  if (verdict === 'kill') {
    if (spec.kill.torn) {
      const bytes = typeof buffer === 'string' ? Buffer.from(buffer) : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      const offset = typeof rest[0] === 'number' && typeof buffer !== 'string' ? rest[0] : 0;
      const length = typeof rest[1] === 'number' && typeof buffer !== 'string' ? rest[1] : bytes.length - offset;
      original.writeSync(fd, bytes, offset, Math.floor(length / 2));
    }
    die();
  }
  return original.writeSync(fd, buffer, ...rest);
};

fs.closeSync = function closeSync(fd) {
  paths.delete(fd);
  return original.closeSync(fd);
};

fs.fsyncSync = function fsyncSync(fd) {
  const verdict = observe('fsync', paths.get(fd));
  if (verdict === 'kill') die();
  if (verdict === 'fail') throw injected(spec.fail.code, paths.get(fd));
  return original.fsyncSync(fd);
};

for (const [name, event, pathArg] of [
  ['renameSync', 'rename', 1],
  ['linkSync', 'link', 1],
  ['mkdirSync', 'mkdir', 0],
  ['rmSync', 'rm', 0],
]) {
  fs[name] = function (...args) {
    const verdict = observe(event, String(args[pathArg]));
    if (verdict === 'kill') die();
    if (verdict === 'fail') throw injected(spec.fail.code, String(args[pathArg]));
    return original[name](...args);
  };
}

syncBuiltinESMExports();
