#!/usr/bin/env node
/**
 * The `chispa` command: `chispa --help`, `chispa <wordcount|feed|demo|bench> --help`.
 * Exit codes: 0 success, 1 a failed job, 2 bad usage.
 */
import { runCli } from './program.js';

try {
  process.exitCode = await runCli(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`chispa: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
