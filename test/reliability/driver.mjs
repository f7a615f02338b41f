// A long-lived adam-lab for the fuzz tests. It reads one JSON request per line from stdin
// ({"args": [...]}) and answers each with one JSON line ({"code", "stdout", "stderr", "polluted"})
// after running the CLI's main() on it, exactly as bin/adam-lab.js does. `polluted` names the
// members of Object.prototype and Array.prototype that the request added or replaced: a config
// key that reached a prototype, which every later object of the process would inherit.
//
// Why not one `node bin/adam-lab.js` per generated config: starting node and importing adam-lab
// costs about 0.3 s, and the fuzz suite tries hundreds of configs. One process answering them in
// turn keeps the attack outside the test runner (its own process, its own working directory, its
// own worker threads) while the parent still sees a hang (no answer before its deadline) and a
// crash (the process dies: an exception that escaped main()).
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { main } from '../../dist/src/cli/main.js';

function capture() {
  const chunks = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const PROTOTYPES = { Object: Object.prototype, Array: Array.prototype };

function members() {
  return new Map(Object.entries(PROTOTYPES).flatMap(([name, prototype]) => Reflect.ownKeys(prototype).map((key) => [`${name}.prototype.${String(key)}`, Object.getOwnPropertyDescriptor(prototype, key).value])));
}

const pristine = members();

function polluted() {
  const now = members();
  return [...new Set([...pristine.keys(), ...now.keys()])].filter((key) => !pristine.has(key) || !now.has(key) || pristine.get(key) !== now.get(key));
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') continue;
  const { args } = JSON.parse(line);
  const stdout = capture();
  const stderr = capture();
  const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream });
  process.stdout.write(`${JSON.stringify({ code, stdout: stdout.text(), stderr: stderr.text(), polluted: polluted() })}\n`);
}
