import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { attachStatusLine, ManualClock, SparkContext, StreamingContext } from '../src/index.js';
import { sparkline } from '../src/ui/status-line.js';
import { setLogLevel } from '../src/log.js';
import { waitFor } from './helpers/streaming.js';

/** A stream that says it is (or is not) a terminal and keeps what is written to it. */
class FakeStream extends Writable {
  readonly chunks: string[] = [];
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }
}

let sc: SparkContext | undefined;
afterEach(async () => {
  setLogLevel('WARN');
  await sc?.stop();
  sc = undefined;
});

/**
 * Runs `n` one-second batches of three records each on a manual clock; while each batch's output
 * runs the test moves the clock 250 ms, so every processing time is exactly 250 ms.
 */
async function run(n: number, stream: FakeStream, everyBatches?: number): Promise<void> {
  sc = new SparkContext({ master: 'local' });
  const clock = new ManualClock(0);
  const ssc = new StreamingContext(sc, 1, { clock });
  const status = attachStatusLine(ssc, { stream, everyBatches });
  let done = 0;
  let release: (() => void) | undefined;
  ssc.addStreamingListener({ onBatchCompleted: () => void done++ });
  ssc.queueStream(Array.from({ length: n }, () => ['a', 'b', 'c'])).foreachRDD(async (rdd) => {
    await rdd.count();
    await new Promise<void>((r) => (release = r));
  });
  ssc.start();
  for (let i = 1; i <= n; i++) {
    clock.advance(i === 1 ? 1000 : 750);
    await waitFor(() => release !== undefined, `batch ${i} running`);
    clock.advance(250);
    release!();
    release = undefined;
    await waitFor(() => done >= i, `batch ${i}`);
  }
  status.detach();
  await ssc.stop(false);
}

describe('attachStatusLine', () => {
  it('on a terminal redraws one line per batch: batches, records/s, processing vs interval, scheduling delay, sparkline', async () => {
    const tty = new FakeStream(true);
    await run(3, tty);
    const out = tty.chunks.join('');
    const lines = out.split('\r\x1b[2K').filter((l) => l.length > 0);
    expect(lines).toEqual([
      'batches 1 | 3 records/s | processing 250 ms / 1000 ms | scheduling delay 0 ms | ▂',
      'batches 2 | 3 records/s | processing 250 ms / 1000 ms | scheduling delay 0 ms | ▂▂',
      'batches 3 | 3 records/s | processing 250 ms / 1000 ms | scheduling delay 0 ms | ▂▂▂\n',
    ]);
  });

  it('when not a terminal writes a plain log line every N batches', async () => {
    const plain = new FakeStream(false);
    await run(5, plain, 2);
    expect(plain.chunks).toHaveLength(2);
    expect(plain.chunks[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO chispa: batches 2 \| 3 records\/s \| processing 250 ms \/ 1000 ms \| scheduling delay 0 ms \| ▂▂\n$/);
    expect(plain.chunks[1]).toContain('batches 4 |');
    expect(plain.chunks.join('')).not.toContain('\r');
  });

  it("is silent under setLogLevel('ERROR')", async () => {
    setLogLevel('ERROR');
    const tty = new FakeStream(true);
    const plain = new FakeStream(false);
    await run(2, tty, 1);
    await sc!.stop();
    sc = undefined;
    await run(2, plain, 1);
    expect(tty.chunks).toEqual([]);
    expect(plain.chunks).toEqual([]);
  });

  it('sparkline: a full bar is one batch interval, or the largest value when larger', () => {
    expect(sparkline([0, 500, 1000, 2000], 1000)).toBe('▁▂▄█');
    expect(sparkline([0, 1000], 1000)).toBe('▁█');
  });
});
