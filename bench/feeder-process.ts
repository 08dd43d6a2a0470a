/**
 * A feeder in its own process, so that serving the corpus never competes with the consumer for
 * its event loop: `node --import tsx bench/feeder-process.ts FILE [--rate LINES_PER_SEC] [--loop]`.
 * Serves FILE once per connection at full speed (one write, with backpressure) on 127.0.0.1 and a
 * free port, prints `{"port":N}` on stdout, and exits on SIGTERM or SIGINT, or when its IPC channel
 * to the parent closes (if spawned with one), so that it cannot outlive a driver that died without
 * killing it. `--rate` paces it (`linesPerSecond`) and `--loop` repeats FILE forever (`loop`), as
 * in `startFeeder`; bench/latency.ts uses both.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startFeeder } from '../src/cli/feeder.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rate: { type: 'string' }, loop: { type: 'boolean', default: false } },
});
const file = positionals[0];
const rate = values.rate === undefined ? undefined : Number(values.rate);
if (!file || (rate !== undefined && !(rate > 0 && Number.isFinite(rate)))) {
  process.stderr.write('usage: feeder-process.ts FILE [--rate LINES_PER_SEC] [--loop]\n');
  process.exit(2);
}
const feeder = await startFeeder({ host: '127.0.0.1', port: 0, text: await readFile(file), loop: values.loop, linesPerSecond: rate });
process.stdout.write(JSON.stringify({ port: feeder.port }) + '\n');

const stop = async (): Promise<void> => {
  await feeder.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
if (process.connected) process.once('disconnect', stop);
