import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, SparkContext, StreamingContext } from '../src/index.js';
import { waitFor } from './helpers/streaming.js';

// Receiver backpressure: lines not yet processed are bounded; past the bound the socket is not
// read, TCP slows the sender, and nothing is lost once batches catch up.

describe('socketTextStream backpressure', () => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master: 'local[2]' });
  });
  afterAll(() => sc.stop());

  it('stops reading past maxBufferedBytes and resumes as batches finish, losing nothing', async () => {
    const line = 'x'.repeat(99) + '\n';
    const lines = 300_000; // 30 MB, well past the bound
    const server = net.createServer((s) => {
      s.on('error', () => {});
      for (let i = 0; i < lines; i += 10_000) s.write(line.repeat(Math.min(10_000, lines - i)));
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const stream = ssc.socketTextStream('127.0.0.1', (server.address() as net.AddressInfo).port, { maxBufferedBytes: 1 << 20 });
    let counted = 0;
    let batches = 0;
    stream.count().foreachRDD(async (rdd) => {
      counted += (await rdd.collect())[0];
      batches++;
    });
    ssc.start();
    try {
      await waitFor(() => stream.receiverStats().pauses > 0, 'the receiver to pause');
      // No batch has run: what was read is bounded by the limit, a segment in progress and a chunk.
      const settled = stream.receiverStats().bytes;
      expect(settled).toBeLessThan((1 << 20) + 2 * 4 * 1024 * 1024);
      expect(settled).toBeLessThan(lines * 99);
      for (let i = 1; counted < lines; i++) {
        clock.advance(1000);
        await waitFor(() => batches === i, `batch ${i}`);
        if (i > 200) throw new Error(`only ${counted} of ${lines} lines after 200 batches`);
      }
      expect(counted).toBe(lines);
      expect(stream.receiverStats().pauses).toBeGreaterThan(1);
    } finally {
      await ssc.stop(false);
      await new Promise((r) => server.close(r));
    }
  }, 120_000); // 200 batches of real work: a loaded machine can take longer than 30 s
});
