import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TEXT_URL, startFeeder } from './feeder.js';
import type { UiOptions } from './ui-wiring.js';
import { runWordCount } from './wordcount.js';

/** Options of `chispa demo`. */
export interface DemoOptions {
  /** Batch interval, seconds. Default 1. */
  batch: number;
  /** Stop after this many seconds; default: on SIGINT/SIGTERM. */
  seconds?: number;
  /** Stop gracefully after this many completed batches; the UI then stays up until a signal. */
  batches?: number;
  /** One JSON line per completed batch to this file (`-`: stdout). */
  events?: string;
  /** Seconds a graceful stop may take (Spark's `gracefulStopTimeout`); default 10 × the batch interval. */
  gracefulStopTimeout?: number;
  /** Feeder pace, lines per second. Default 400. */
  rate: number;
  master: string;
  ui: UiOptions | false;
}

/**
 * `chispa demo`: the seed's *stateful* network WordCount with nothing outside the package. A
 * feeder serves the built-in KJV Genesis, looped, on a free local port; the WordCount runs in this
 * process against it, checkpointing in a temporary directory (removed at the end), with the
 * Streaming UI on. Returns the exit code.
 */
export async function demo(opts: DemoOptions): Promise<number> {
  const feeder = await startFeeder({ port: 0, text: await readFile(DEFAULT_TEXT_URL), linesPerSecond: opts.rate, loop: true });
  const checkpoint = await mkdtemp(join(tmpdir(), 'chispa-demo-'));
  const until = [opts.seconds === undefined ? '' : `for ${opts.seconds} s`, opts.batches === undefined ? '' : `for ${opts.batches} batches`].filter(Boolean).join(' or ') || 'until Ctrl-C';
  process.stderr.write(
    `chispa demo: feeding KJV Genesis on ${feeder.host}:${feeder.port} at ${opts.rate} lines/s; ` +
      `stateful WordCount, ${opts.batch} s batches, ${until}\n`,
  );
  try {
    return await runWordCount(
      {
        host: feeder.host,
        port: feeder.port,
        batch: opts.batch,
        master: opts.master,
        stateful: true,
        checkpoint,
        top: 10,
        seconds: opts.seconds,
        batches: opts.batches,
        events: opts.events,
        conf: { gracefulStopTimeout: opts.gracefulStopTimeout },
        appName: 'chispa demo',
        ui: opts.ui,
      },
      'demo',
    );
  } finally {
    await feeder.close();
    await rm(checkpoint, { recursive: true, force: true });
  }
}
