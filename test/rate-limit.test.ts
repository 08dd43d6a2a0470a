import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SparkContext, StreamingContext, type BatchInfo } from '../src/index.js';
import { waitFor } from './helpers/streaming.js';

// receiver.maxRate and backpressure: when the limit binds the receiver stops reading, TCP slows
// the sender, memory stays bounded, and every line sent is counted once.

/** `chispa feed -` as a child process: a real TCP feeder of what the test writes to its stdin. */
async function startFeedChild(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'feed', '-', '--port', '0'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  await waitFor(() => /on 127\.0\.0\.1:\d+\n/.test(err) || child.exitCode !== null, 'the feeder to listen', 60_000);
  const port = Number(/on 127\.0\.0\.1:(\d+)\n/.exec(err)?.[1]);
  if (!(port > 0)) throw new Error(`feeder did not start: ${err}`);
  return { child, port };
}

/** Writes `n` numbered lines of about `bytes` bytes, as fast as the pipe takes them. */
async function writeLines(out: NodeJS.WritableStream, n: number, bytes: number): Promise<void> {
  const pad = 'x'.repeat(bytes);
  for (let i = 0; i < n; i += 1000) {
    let chunk = '';
    for (let j = i; j < Math.min(n, i + 1000); j++) chunk += `${j} ${pad}\n`;
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  }
}

describe('receiver.maxRate', () => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master: 'local[2]' });
  });
  afterAll(() => sc.stop());

  it('never accepts more than maxRate lines per second (after one second of stored permits), and loses none', async () => {
    const lines = 3000;
    const server = net.createServer((s) => {
      s.on('error', () => {});
      s.write(Array.from({ length: lines }, (_, i) => `line ${i}`).join('\n') + '\n'); // all at once; kept open
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const ssc = new StreamingContext(sc, 0.2, { receiver: { maxRate: 2000 } });
    const stream = ssc.socketTextStream('127.0.0.1', (server.address() as net.AddressInfo).port);
    const got: string[] = [];
    stream.foreachRDD(async (rdd) => void got.push(...(await rdd.collect())));
    ssc.start();
    try {
      expect(stream.currentRateLimit).toBe(2000);
      await waitFor(() => stream.receiverStats().lines > 0, 'the first line');
      const t0 = performance.now();
      let over = 0;
      // An upper bound only: a slow machine receives less, never more.
      await waitFor(() => {
        const allowed = 2000 + (2000 * (performance.now() - t0)) / 1000 + 1; // one second of stored permits, as Spark's limiter
        if (stream.receiverStats().lines > allowed) over++;
        return got.length === lines;
      }, 'every line', 60_000);
      expect(over).toBe(0);
      expect(got).toEqual(Array.from({ length: lines }, (_, i) => `line ${i}`));
    } finally {
      await ssc.stop(false);
      await new Promise((r) => server.close(r));
    }
  });
});

describe('backpressure', () => {
  let feeder: { child: ChildProcess; port: number };
  beforeAll(async () => {
    feeder = await startFeedChild();
  }, 90_000);
  afterAll(() => {
    feeder?.child.kill('SIGTERM');
  });

  it('fed far faster than the job processes: the rate follows the job, memory and scheduling delay level off, every line counted once', async () => {
    const N = 150_000;
    const LINE_BYTES = 2000;
    const sc = new SparkContext({ master: 'local[2]' });
    const ssc = new StreamingContext(sc, 0.5, { backpressure: { enabled: true, initialRate: 500 } });
    const lines = ssc.socketTextStream('127.0.0.1', feeder.port);
    let count = 0;
    let sum = 0;
    const infos: BatchInfo[] = [];
    const pending: number[] = []; // lines received and not yet processed, at each batch end
    const rss: number[] = [];
    lines
      .map((l) => Number(l.slice(0, l.indexOf(' '))))
      .foreachRDD(async (rdd) => {
        const ids = await rdd.collect();
        count += ids.length;
        for (const id of ids) sum += id;
        // The job is slow on purpose, deterministically: 0.1 ms per line on top of its real work,
        // so it never processes more than 10 000 lines/s, however fast the machine.
        await new Promise((r) => setTimeout(r, ids.length * 0.1));
      });
    ssc.addStreamingListener({
      onBatchCompleted: (info) => {
        infos.push(info);
        pending.push(lines.receiverStats().lines - count);
        rss.push(process.memoryUsage().rss);
      },
    });
    ssc.start();
    const writing = writeLines(feeder.child.stdin!, N, LINE_BYTES);
    try {
      await waitFor(() => count === N, `all ${N} lines (counted ${count})`, 240_000);
      await writing;
      expect(sum).toBe((N * (N - 1)) / 2); // each id once: no line lost, none twice
      const fedBytes = N * (LINE_BYTES + 8);
      // What the receiver holds: lines received and not yet processed never came to more than a
      // small part of what was fed (without backpressure it reads everything within seconds).
      const maxPendingBytes = Math.max(...pending) * (LINE_BYTES + 8);
      expect(maxPendingBytes).toBeLessThan(fedBytes / 10);
      // RSS levels off: over the second half of the run it grows by far less than the half of the
      // input that went through meanwhile (the first half includes starting the worker pool).
      const half = Math.floor(rss.length / 2);
      expect(Math.max(...rss.slice(half)) - Math.max(...rss.slice(0, half))).toBeLessThan(fedBytes / 2 / 2);
      // The scheduling delay levels off: over the second half of the run it stays below what it was
      // in the first (where the worker pool's start makes the first batches wait), or a few seconds.
      const delays = infos.map((i) => i.schedulingDelay ?? 0);
      expect(Math.max(...delays.slice(half))).toBeLessThanOrEqual(Math.max(Math.max(...delays.slice(0, half)), 10 * 500));
      // And the rate followed the job: about the 10 000 lines/s it can process at most (timers are ms-grained).
      expect(lines.currentRateLimit).toBeLessThan(11_000);
    } finally {
      await ssc.stop(true);
    }
  }, 300_000);
});
