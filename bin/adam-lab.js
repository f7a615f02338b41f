#!/usr/bin/env node
// The installed command: runs the compiled CLI and exits with its code.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
