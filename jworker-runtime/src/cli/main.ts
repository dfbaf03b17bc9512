#!/usr/bin/env node
/**
 * The `jworker` command: enqueue tasks, queue stats and dead-letter tools. See `jworker --help` and docs/operations.md.
 */
import { processIo } from './io.js';
import { runCli } from './run.js';

runCli(process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
