import net from 'node:net';
import { threadId as testThreadId } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { add, ManualClock, SparkContext, StreamingContext, type RDD, type TaskEndInfo } from '../src/index.js';
import { LineSegmentView } from '../src/memory/line-segment.js';
import type { LineageNode } from '../src/rdd/lineage.js';
import { MASTERS, sorted, waitFor } from './helpers/streaming.js';

// Where tasks run: under local[N] on worker threads (user functions included), under local on the
// calling thread; and how socket batches reach workers: as shared memory, not copies.

const data = Array.from({ length: 4000 }, (_, i) => i);
const expectedCounts = Array.from({ length: 10 }, (_, k) => [k, 400] as [number, number]);

/** Runs `job` until `done()` holds over the task ends it reported (at most `timeoutMs`). */
async function repeatUntil(job: () => Promise<void>, done: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await job();
    if (done()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

/** The test thread's globals, where the probe is set. */
const globals = globalThis as { __chispaProbe?: string };

describe.each(MASTERS)('where tasks run under %s', (master) => {
  const pooled = master !== 'local';
  let sc: SparkContext;
  const ends: TaskEndInfo[] = [];
  const listener = { onTaskEnd: (i: TaskEndInfo) => void ends.push(i) };
  beforeAll(() => {
    sc = new SparkContext({ master, appName: 'workers' });
    sc.addSparkListener(listener);
  });
  afterAll(() => sc.stop());
  afterEach(() => {
    ends.length = 0;
    delete globals.__chispaProbe;
  });

  it('a parallelize → map → reduceByKey collect: every task reports where it ran', async () => {
    await repeatUntil(
      async () => {
        const counts = await sc.parallelize(data, 8).map((x) => [x % 10, 1] as [number, number]).reduceByKey(add).collect();
        expect(sorted(counts)).toEqual(sorted(expectedCounts));
      },
      () => !pooled || new Set(ends.map((e) => e.threadId)).size > 1,
      20_000,
      'tasks on more than one worker thread',
    );
    expect(ends.length).toBeGreaterThanOrEqual(16); // 8 map tasks + 8 reduce tasks per job
    expect(ends.every((e) => e.ok)).toBe(true);
    const threads = new Set(ends.map((e) => e.threadId));
    if (pooled) {
      for (const t of threads) {
        expect(t).not.toBe(0);
        expect(t).not.toBe(testThreadId);
      }
      expect(threads.size).toBeGreaterThan(1);
      expect(threads.size).toBeLessThanOrEqual(2); // a pool of exactly 2 threads
    } else {
      expect([...threads]).toEqual([testThreadId]);
    }
  });

  it('a streaming batch: every task of the batch reports where it ran', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const rdds = Array.from({ length: 20 }, () => sc.parallelize(data, 8));
    const outputs: [number, number][][] = [];
    const batchEnds: TaskEndInfo[][] = [];
    ssc
      .queueStream(rdds)
      .map((x) => [x % 10, 1] as [number, number])
      .reduceByKey(add)
      .foreachRDD(async (rdd) => {
        const from = ends.length;
        outputs.push(await rdd.collect());
        batchEnds.push(ends.slice(from));
      });
    ssc.start();
    try {
      // Batch after batch until the tasks have used both workers (a pool thread may come up late).
      for (let n = 1; n <= rdds.length; n++) {
        clock.advance(1000);
        await waitFor(() => outputs.length === n, `batch ${n}`);
        if (!pooled || new Set(ends.map((e) => e.threadId)).size > 1) break;
      }
    } finally {
      await ssc.stop(false);
    }
    for (const out of outputs) expect(sorted(out)).toEqual(sorted(expectedCounts));
    for (const be of batchEnds) {
      expect(be.length).toBe(16);
      expect(be.every((e) => e.ok)).toBe(true);
    }
    const threads = new Set(ends.map((e) => e.threadId));
    if (pooled) {
      expect(threads.size).toBe(2);
      for (const t of threads) {
        expect(t).not.toBe(0);
        expect(t).not.toBe(testThreadId);
      }
    } else {
      expect([...threads]).toEqual([testThreadId]);
    }
  });

  it("the user function itself runs on the worker: it sees the worker's globalThis", async () => {
    globals.__chispaProbe = 'main';
    const probe = (records: Iterable<number>) => {
      const out: string[] = [];
      for (const _ of records) out.push((globalThis as { __chispaProbe?: string }).__chispaProbe ?? 'unset');
      return out;
    };
    const seen = await sc.parallelize([1, 2, 3, 4, 5, 6, 7, 8], 4).mapPartitions(probe).collect();
    expect(seen).toEqual(Array(8).fill(pooled ? 'unset' : 'main'));
    // And through a streaming batch.
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const batches: string[][] = [];
    ssc.queueStream([[1, 2, 3]]).mapPartitions(probe).foreachRDD(async (rdd) => void batches.push(await rdd.collect()));
    ssc.start();
    try {
      clock.advance(1000);
      await waitFor(() => batches.length === 1, 'batch');
    } finally {
      await ssc.stop(false);
    }
    expect(batches).toEqual([Array(3).fill(pooled ? 'unset' : 'main')]);
  });
});

/** The line segments a socket batch's RDD reads, with how many of its ranges read each one. */
function segmentsOf(node: LineageNode): Map<SharedArrayBuffer, number> {
  expect(node.kind).toBe('source');
  const out = new Map<SharedArrayBuffer, number>();
  if (node.kind !== 'source') return out;
  for (const p of node.partitions) {
    expect(p.kind).toBe('lines');
    if (p.kind !== 'lines') continue;
    for (const r of p.ranges) out.set(r.sab, (out.get(r.sab) ?? 0) + 1);
  }
  return out;
}

describe.each(MASTERS)('socket batches reach tasks as shared memory under %s', (master) => {
  it('tasks increment the segment header read counter that the main thread sees', async () => {
    const sc = new SparkContext({ master, appName: 'shared-memory' });
    const ends: TaskEndInfo[] = [];
    sc.addSparkListener({ onTaskEnd: (i) => void ends.push(i) });
    const clients: net.Socket[] = [];
    const server = net.createServer((s) => clients.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const N = 5000;
    const text = Array.from({ length: N }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}\n`).join('');
    const checks: { sab: unknown; ranges: number; before: number; afterCount: number; afterCollect: number }[] = [];
    const counts: number[] = [];
    const collected: string[][] = [];
    let taskThreads: number[] = [];
    try {
      const clock = new ManualClock(0);
      const ssc = new StreamingContext(sc, 1, { clock });
      const lines = ssc.socketTextStream('127.0.0.1', port);
      lines.foreachRDD(async (rdd: RDD<string>) => {
        const segs = segmentsOf(rdd.node);
        const before = new Map([...segs.keys()].map((sab) => [sab, new LineSegmentView(sab).reads]));
        const from = ends.length;
        counts.push(await rdd.count());
        taskThreads = ends.slice(from).map((e) => e.threadId);
        const afterCount = new Map([...segs.keys()].map((sab) => [sab, new LineSegmentView(sab).reads]));
        collected.push(await rdd.collect());
        for (const [sab, ranges] of segs) {
          checks.push({ sab, ranges, before: before.get(sab)!, afterCount: afterCount.get(sab)!, afterCollect: new LineSegmentView(sab).reads });
        }
      });
      ssc.start();
      try {
        await waitFor(() => clients.length === 1, 'receiver to connect');
        clients[0].write(text);
        await waitFor(() => lines.receiverStats().lines === N, `${N} lines received`);
        clock.advance(1000);
        await waitFor(() => collected.length === 1, 'batch');
      } finally {
        await ssc.stop(false);
      }
    } finally {
      await sc.stop();
      for (const c of clients) c.destroy();
      await new Promise((r) => server.close(r));
    }
    expect(counts).toEqual([N]);
    expect(collected[0]).toEqual(text.split('\n').slice(0, N));
    expect(checks.length).toBeGreaterThan(0);
    for (const c of checks) {
      expect(c.sab).toBeInstanceOf(SharedArrayBuffer);
      // Each task reading a range of the segment counted once, in the shared header, by an
      // atomic add on its own thread: visible here only if it wrote into this very memory.
      expect(c.afterCount - c.before).toBe(c.ranges);
      expect(c.afterCount - c.before).toBeGreaterThanOrEqual(1);
      expect(c.afterCollect - c.afterCount).toBe(c.ranges);
    }
    if (master === 'local[2]') {
      // The batch was split for 2 threads, and the count's tasks ran on workers.
      expect(taskThreads.length).toBe(2);
      for (const t of taskThreads) {
        expect(t).not.toBe(0);
        expect(t).not.toBe(testThreadId);
      }
    } else {
      expect(taskThreads).toEqual([testThreadId]);
    }
  });
});
