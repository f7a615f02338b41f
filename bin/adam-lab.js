#!/usr/bin/env node
// The installed command: runs the compiled CLI and exits with its code.
import { main } from '../dist/src/cli/main.js';

// `adam-lab ... | head` closes the pipe early; that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await main(process.argv.slice(2));
