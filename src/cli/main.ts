#!/usr/bin/env node
/**
 * The `chispa` command.
 *
 *   chispa feed [FILE] [--port 9999] [--rate LINES_PER_SEC] [--loop]   serve a text over TCP, like `nc -lk`
 *   chispa demo [--seconds 10] [--batch 1]                             the network WordCount on a built-in feeder
 */
import { feedCommand } from './feeder.js';
import { demoCommand } from './demo.js';

const USAGE = `usage:
  chispa feed [FILE] [--port 9999] [--host 127.0.0.1] [--rate LINES_PER_SEC] [--loop]
  chispa demo [--seconds 10] [--batch 1]`;

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'feed') await feedCommand(rest);
  else if (command === 'demo') await demoCommand(rest);
  else {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = command === undefined || command === '--help' || command === '-h' ? 0 : 2;
  }
} catch (e) {
  process.stderr.write(`chispa ${command}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
