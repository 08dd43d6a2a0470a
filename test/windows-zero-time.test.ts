import { cpSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readLatestCheckpoint } from '../src/checkpoint/checkpoint-store.js';
import { add, ManualClock, StreamingContext, type RDD } from '../src/index.js';
import { session, suiteContext } from './helpers/session.js';
import { MASTERS, sorted, waitFor } from './helpers/streaming.js';

// Spark's zero time: the first batch time minus the batch interval. Slides, slices and checkpoint
// intervals are counted from it; it is kept in every checkpoint and restored by getOrCreate, and a
// checkpoint written before it was kept (whose windows slid at epoch multiples of the slide)
// recovers with the grid it was written with.

const sub = (a: number, b: number) => a - b;
const ONE: [string, number][][] = [[['a', 1]]];
const FIXTURE = new URL('./fixtures/checkpoints/epoch-window/cp', import.meta.url).pathname;
const checkpointTimes = (cp: string) =>
  readdirSync(cp).filter((n) => /^checkpoint-\d+$/.test(n)).map((n) => Number(n.slice('checkpoint-'.length))).sort((a, b) => a - b);

describe.each(MASTERS)('the zero time under %s', (master) => {
  const ctx = suiteContext(master, 'chispa-zero-time-');

  it('is kept in every checkpoint, 0 included', async () => {
    for (const startMs of [1000, 0]) {
      const cp = ctx.freshDir();
      const s = session(ctx.sc, cp, 1, startMs, (ssc) => ssc.queueStream(ONE).reduceByKeyAndWindow(add, sub, 2, 1).checkpoint(1));
      await s.step();
      await s.stop();
      expect(readLatestCheckpoint(cp)!.zeroTime).toBe(startMs);
    }
  });

  it('counts checkpoint intervals from the zero time, as Spark', async () => {
    const cp = ctx.freshDir();
    // First batch at 2000, zero time 1000: a 2 s interval falls at 3000 and 5000, not 2000 and 4000.
    const s = session(ctx.sc, cp, 1, 1000, (ssc) => ssc.queueStream(ONE).reduceByKeyAndWindow(add, sub, 2, 1).checkpoint(2));
    for (let i = 0; i < 4; i++) await s.step();
    await s.stop();
    expect(s.failures).toEqual([]);
    expect(checkpointTimes(cp)).toEqual([3000, 5000]);
  });

  it('slice aligns its bounds to the slides counted from the zero time', async () => {
    const clock = new ManualClock(1000);
    const ssc = new StreamingContext(ctx.sc, 1, { clock });
    ssc.remember(10);
    const windows = ssc.queueStream([[1], [2], [3], [4]]).window(2, 2);
    const sliced: RDD<number>[] = [];
    let done = 0;
    windows.foreachRDD((_rdd, time) => {
      if (time === 5000) sliced.push(...windows.slice(2000, 5999));
    });
    ssc.addStreamingListener({ onBatchCompleted: () => void done++ });
    ssc.start();
    for (let i = 1; i <= 4; i++) {
      clock.advance(1000);
      await waitFor(() => done === i, `batch ${i}`);
    }
    // Zero time 1000: the windows are at 3000 (batches 2000, 3000) and 5000 (4000, 5000).
    expect(await Promise.all(sliced.map((r) => r.collect()))).toEqual([[1, 2], [3, 4]]);
    await ssc.stop(false);
  });

  it('a window without an inverse keeps its slides and its batches across a restart', async () => {
    const cp = ctx.freshDir();
    const build = (input: [string, number][][]) => (ssc: StreamingContext) => {
      const pairs = ssc.queueStream(input);
      // Keyed state, so the program is checkpointed (every batch).
      pairs.updateStateByKey((vs: number[], last: number | null) => vs.length + (last ?? 0)).checkpoint(1).foreachRDD(() => {});
      return pairs.window(4, 2);
    };
    const input: [string, number][][] = [[['a', 1]], [['b', 1]], [['c', 1]], [['d', 1]], [['e', 1]], [['f', 1]]];
    // Clock from 1000: zero time 1000, slides at 3000, 5000, 7000.
    const first = session(ctx.sc, cp, 1, 1000, build(input));
    for (let i = 0; i < 3; i++) await first.step();
    await first.stop();
    const second = session(ctx.sc, cp, 1, 4000, build(input.slice(3)));
    for (let i = 0; i < 3; i++) await second.step();
    await second.stop();
    expect([...first.failures, ...second.failures]).toEqual([]);
    expect([first.times, second.times]).toEqual([[3000], [5000, 7000]]);
    // Batches 2000 to 4000 ran before the restart: the checkpoint at 4000 kept them for the window.
    expect([...first.outputs, ...second.outputs].map(sorted)).toEqual([
      [['a', 1], ['b', 1]],
      [['a', 1], ['b', 1], ['c', 1], ['d', 1]],
      [['c', 1], ['d', 1], ['e', 1], ['f', 1]],
    ]);
  });

  it('a checkpoint written before zero times were kept recovers on the epoch-aligned slides it was written with', async () => {
    // Written by the code at 090934d (see the fixture's generate.ts): clock from 1000, a 4 s window
    // sliding every 2 s at epoch multiples; batches 2000 (a, b) and 3000 (a, c); slide 2000 emitted.
    const cp = ctx.freshDir();
    cpSync(FIXTURE, cp, { recursive: true });
    const old = readLatestCheckpoint(cp)!;
    expect(old.batchTime).toBe(3000);
    expect(old.zeroTime).toBeUndefined();
    const batches: [string, number][][] = [[['b', 1]], [['d', 1]], [], [], []];
    const s = session(ctx.sc, cp, 1, 3000, (ssc) => ssc.queueStream(batches).reduceByKeyAndWindow(add, sub, 4, 2, 2).checkpoint(1));
    try {
      for (let i = 0; i < 5; i++) await s.step();
    } finally {
      await s.stop();
    }
    expect(s.failures).toEqual([]);
    // Slides at 4000, 6000 and 8000 (a zero time of 1000 or 3000 would put them at odd seconds);
    // the batches before the restart are in the first window and leave on time.
    expect(s.times).toEqual([4000, 6000, 8000]);
    expect(s.outputs.map(sorted)).toEqual([
      [['a', 2], ['b', 2], ['c', 1]],
      [['a', 1], ['b', 1], ['c', 1], ['d', 1]],
      [['a', 0], ['b', 0], ['c', 0], ['d', 1]],
    ]);
    // The checkpoints written since carry the zero time the grid was kept with.
    expect(readLatestCheckpoint(cp)!.zeroTime).toBe(0);
  });
});
