import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IllegalStateError, ManualClock, SparkContext, StreamingContext, type BatchInfo, type DStream, type PushInputDStream } from '../src/index.js';
import { waitFor } from './helpers/streaming.js';

// Streams a program pushes into: records arrive while the context runs, and a job that falls
// behind holds its producers back (the iterable is not pulled, the Readable pauses, push waits).

/** A context on a manual clock whose batches' records are collected per batch. */
function harness<T>(sc: SparkContext, build: (ssc: StreamingContext) => DStream<T>) {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext(sc, 1, { clock });
  const batches: T[][] = [];
  const infos: BatchInfo[] = [];
  build(ssc).foreachRDD(async (rdd) => void batches.push(await rdd.collect()));
  ssc.addStreamingListener({ onBatchCompleted: (i) => void infos.push(i) });
  /** Generates the next batch and waits until it completed. */
  const step = async (): Promise<void> => {
    const n = infos.length;
    clock.advance(1000);
    await waitFor(() => infos.length > n, `batch ${n + 1}`);
  };
  return { ssc, batches, step, total: () => batches.reduce((n, b) => n + b.length, 0) };
}

/** Lets pending promise callbacks and I/O run, so a producer that can make progress has made it. */
const settle = () => new Promise((r) => setImmediate(r));

describe.each(['local', 'local[2]'] as const)('push inputs on %s', (master) => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master, appName: 'push' });
  });
  afterAll(() => sc.stop());

  it('push after start() counts, in the next batch, in order', async () => {
    let stream!: PushInputDStream<{ id: number }>;
    const h = harness(sc, (ssc) => (stream = ssc.pushStream<{ id: number }>()));
    await stream.push({ id: 0 }); // before start: goes into the first batch
    h.ssc.start();
    await stream.push({ id: 1 });
    await stream.pushAll([{ id: 2 }, { id: 3 }]);
    await h.step();
    await stream.pushAll([{ id: 4 }]);
    await h.step();
    await h.step();
    await h.ssc.stop(false);
    expect(h.batches).toEqual([[{ id: 0 }, { id: 1 }, { id: 2 }, { id: 3 }], [{ id: 4 }], []]);
    await expect(stream.push({ id: 5 })).rejects.toBeInstanceOf(IllegalStateError);
  });

  it('push waits while maxPendingRecords are not processed, and resolves as batches complete', async () => {
    let stream!: PushInputDStream<number>;
    const h = harness(sc, (ssc) => (stream = ssc.pushStream<number>({ maxPendingRecords: 3 })));
    h.ssc.start();
    let accepted = 0;
    const all = (async () => {
      for (let i = 0; i < 7; i++) {
        await stream.push(i);
        accepted++;
      }
    })();
    await waitFor(() => accepted === 3, '3 accepted');
    await settle();
    expect(accepted).toBe(3);
    expect(stream.pendingRecords).toBe(3);
    await h.step();
    await waitFor(() => accepted === 6, '6 accepted');
    await settle();
    expect(accepted).toBe(6);
    await h.step();
    await all;
    await h.step();
    await h.ssc.stop(false);
    expect(h.batches).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('an async iterable faster than the job: pulled no further than the bound, every item counted once', async () => {
    const N = 1000;
    const bound = 100;
    let pulled = 0;
    async function* fast() {
      for (let i = 0; i < N; i++) {
        pulled++;
        yield i;
      }
    }
    const h = harness(sc, (ssc) => ssc.iterableStream(fast(), { maxPendingRecords: bound }));
    h.ssc.start();
    let maxAhead = 0;
    while (h.total() < N) {
      await settle();
      // Pulled but not yet processed: at most the bound (plus the one item waiting to be accepted).
      maxAhead = Math.max(maxAhead, pulled - h.total());
      await h.step();
    }
    await h.ssc.stop(false);
    expect(maxAhead).toBeLessThanOrEqual(bound + 1);
    expect(h.batches.every((b) => b.length <= bound)).toBe(true);
    expect(h.batches.flat()).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('an async iterable slower than the job: empty batches between items, exact count', async () => {
    const gates: (() => void)[] = [];
    let yielded = 0;
    async function* slow() {
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((r) => gates.push(r));
        yielded++;
        yield `item-${i}`;
      }
    }
    const h = harness(sc, (ssc) => ssc.iterableStream(slow()));
    h.ssc.start();
    for (let i = 0; i < 5; i++) {
      await waitFor(() => gates.length === i + 1, `gate ${i}`);
      await h.step(); // nothing arrived: an empty batch
      gates[i]();
      await waitFor(() => yielded === i + 1, `item ${i}`);
      await settle();
      await h.step();
    }
    await h.ssc.stop(false);
    expect(h.batches).toEqual([[], ['item-0'], [], ['item-1'], [], ['item-2'], [], ['item-3'], [], ['item-4']]);
  });

  it('an object-mode Readable is paused while the job is behind, and resumed as batches complete', async () => {
    const N = 50;
    let read = 0;
    const readable = new Readable({
      objectMode: true,
      highWaterMark: 2,
      read() {
        this.push(read < N ? { n: read++ } : null);
      },
    });
    const h = harness(sc, (ssc) => ssc.readableStream<{ n: number }>(readable, { maxPendingRecords: 10 }));
    h.ssc.start();
    await waitFor(() => readable.isPaused(), 'the Readable paused');
    await settle();
    const readWhilePaused = read;
    await settle();
    expect(read).toBe(readWhilePaused);
    // At most the bound accepted, plus the Readable's own small buffer.
    expect(read).toBeLessThanOrEqual(10 + 2 + 2);
    while (h.total() < N) await h.step();
    await h.ssc.stop(false);
    expect(h.batches.flat()).toEqual(Array.from({ length: N }, (_, n) => ({ n })));
    expect(h.batches.every((b) => b.length <= 10)).toBe(true);
  });

  it('a byte Readable gives its text lines, split across chunks and line ends', async () => {
    const chunks = ['alpha\nbe', 'ta\r', '\ngamma\rdé', 'lta\n', 'last'].map((s) => Buffer.from(s));
    // Split a multi-byte character across two chunks.
    const bytes = Buffer.concat(chunks);
    const at = bytes.indexOf(Buffer.from('é')) + 1;
    const readable = Readable.from([bytes.subarray(0, at), bytes.subarray(at)], { objectMode: false });
    const h = harness(sc, (ssc) => ssc.readableStream(readable));
    h.ssc.start();
    await new Promise((r) => readable.once('end', r));
    await settle();
    await h.step();
    await h.ssc.stop(false);
    expect(h.batches).toEqual([['alpha', 'beta', 'gamma', 'délta', 'last']]);
  });
});
