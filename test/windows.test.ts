import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, ManualClock, SparkContext, StreamingContext, type DStream, type RDD } from '../src/index.js';
import { thrown } from './helpers/errors.js';
import { withCapturedLog } from './helpers/log.js';
import { MASTERS, runBatches, sorted, waitFor } from './helpers/streaming.js';

// Windowed operations with Spark's semantics, on 1 s batches driven by a manual clock that starts
// at 0: batch i (1-based) is at i × 1000 ms, and a window of w batches at time T covers the batches
// in (T − w, T]. Every expected output comes from a plain model of the input batches (`windowAt`).

const sub = (a: number, b: number) => a - b;

/** The records of the input batches in the window of `w` batches ending at batch `t`. */
function windowAt<T>(batches: readonly (readonly T[])[], t: number, w: number): T[] {
  return batches.slice(Math.max(0, t - w), t).flat();
}

/** Per-key sums of pairs, sorted; keys whose sum is 0 are kept (no filter). */
function sums(pairs: readonly [string, number][]): [string, number][] {
  const m = new Map<string, number>();
  for (const [k, v] of pairs) m.set(k, (m.get(k) ?? 0) + v);
  return sorted([...m]);
}

const WORDS: string[][] = [['a', 'b', 'a'], ['b'], ['c', 'a', 'ñ'], [], ['b', 'b']];
const PAIRS: [string, number][][] = WORDS.map((ws) => ws.map((w): [string, number] => [w, 1]));

describe.each(MASTERS)('windows under %s', (master) => {
  let sc: SparkContext;
  let dir: string;
  beforeAll(() => {
    sc = new SparkContext({ master });
    dir = mkdtempSync(join(tmpdir(), 'chispa-window-'));
  });
  afterAll(async () => {
    await sc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const withCheckpoint = <T>(build: (ssc: StreamingContext) => DStream<T>) => (ssc: StreamingContext) => {
    ssc.checkpoint(mkdtempSync(join(dir, 'cp-')));
    return build(ssc);
  };

  it('window: a 3-batch window over 5 input batches emits 7 results, then empty windows', async () => {
    const { outputs, times } = await runBatches(sc, 9, (ssc) => ssc.queueStream(WORDS.map((ws) => ws.map((w, i) => `${w}${i}`))).window(3));
    const input = WORDS.map((ws) => ws.map((w, i) => `${w}${i}`));
    expect(times).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => i * 1000));
    expect(outputs.map(sorted)).toEqual(times.map((_, i) => sorted(windowAt(input, i + 1, 3))));
    // Batch 4 is empty, so the windows with data are those at batches 1..7 (7 of them).
    expect(outputs.filter((rows) => rows.length > 0)).toHaveLength(7);
    expect(outputs.slice(7)).toEqual([[], []]);
  });

  it('window with a slide: results only at multiples of the slide, partial at first', async () => {
    const { outputs, times } = await runBatches(sc, 8, (ssc) => ssc.queueStream(WORDS).window(4, 2));
    expect(times).toEqual([2000, 4000, 6000, 8000]);
    expect(outputs.map(sorted)).toEqual([2, 4, 6, 8].map((t) => sorted(windowAt(WORDS, t, 4))));
  });

  it('window of a window: the slides compose', async () => {
    const { outputs, times } = await runBatches(sc, 8, (ssc) => ssc.queueStream(WORDS).window(2, 2).window(4, 4));
    expect(times).toEqual([4000, 8000]);
    // The 4 s window over 2 s windows at 2 and 4 (resp. 6 and 8) covers batches 1–4 (5–8).
    expect(outputs.map(sorted)).toEqual([sorted(windowAt(WORDS, 4, 4)), sorted(windowAt(WORDS, 8, 4))]);
  });

  it('countByWindow counts each window incrementally, down to 0 after the input stops', async () => {
    const { outputs } = await runBatches(sc, 8, withCheckpoint((ssc) => ssc.queueStream(WORDS).countByWindow(3, 1)));
    expect(outputs).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((t) => [windowAt(WORDS, t, 3).length]));
    expect(outputs.at(-1)).toEqual([0]);
  });

  it('reduceByWindow gives the same windows with and without an inverse', async () => {
    const nums = [[1, 2], [3], [], [4, 5, 6], [7]];
    const expected = [2, 4, 6, 8].map((t) => {
      const w = windowAt(nums, t, 4);
      return w.length === 0 ? [] : [w.reduce(add)];
    });
    const plain = await runBatches(sc, 8, (ssc) => ssc.queueStream(nums).reduceByWindow(add, null, 4, 2));
    expect(plain.outputs).toEqual(expected);
    const incremental = await runBatches(sc, 8, withCheckpoint((ssc) => ssc.queueStream(nums).reduceByWindow(add, sub, 4, 2)));
    // Incrementally, a window that has emptied still holds its neutral value (Spark keeps the key).
    expect(incremental.outputs).toEqual(expected.map((rows) => (rows.length === 0 ? [0] : rows)));
  });

  it('reduceByKeyAndWindow with and without an inverse, with a slide and partitions', async () => {
    const expected = [2, 4, 6, 8, 10].map((t) => sums(windowAt(PAIRS, t, 4)).filter(([, n]) => n !== 0));
    const plain = await runBatches(sc, 10, (ssc) => ssc.queueStream(PAIRS).reduceByKeyAndWindow(add, null, 4, 2, 3));
    expect(plain.outputs.map(sorted)).toEqual(expected);
    const inverse = await runBatches(
      sc,
      10,
      withCheckpoint((ssc) => ssc.queueStream(PAIRS).reduceByKeyAndWindow(add, sub, 4, 2, 3, ([, n]) => n !== 0)),
    );
    expect(inverse.outputs.map(sorted)).toEqual(expected);
    expect(inverse.outputs.at(-1)).toEqual([]);
  });

  it('reduceByKeyAndWindow with an inverse and no filter keeps keys at their neutral value, as Spark', async () => {
    const { outputs } = await runBatches(sc, 4, withCheckpoint((ssc) => ssc.queueStream(PAIRS.slice(0, 2)).reduceByKeyAndWindow(add, sub, 2)));
    expect(outputs.map(sorted)).toEqual([
      [['a', 2], ['b', 1]],
      [['a', 2], ['b', 2]],
      [['a', 0], ['b', 1]],
      [['a', 0], ['b', 0]],
    ]);
  });

  it('countByValueAndWindow keeps the counts above 0', async () => {
    const { outputs } = await runBatches(sc, 8, withCheckpoint((ssc) => ssc.queueStream(WORDS).countByValueAndWindow(3, 1, 2)));
    expect(outputs.map(sorted)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((t) => sums(windowAt(PAIRS, t, 3))));
    expect(outputs.at(-1)).toEqual([]);
  });

  it('groupByKeyAndWindow groups every value of the window', async () => {
    const pairs: [string, number][][] = [[['a', 1], ['b', 2]], [['a', 3]], [['b', 4]]];
    const { outputs } = await runBatches(sc, 4, (ssc) => ssc.queueStream(pairs).groupByKeyAndWindow(2, 1));
    const norm = (rows: [string, number[]][]) => sorted(rows.map(([k, vs]): [string, number[]] => [k, [...vs].sort()]));
    expect(outputs.map(norm)).toEqual([
      [['a', [1]], ['b', [2]]],
      [['a', [1, 3]], ['b', [2]]],
      [['a', [3]], ['b', [4]]],
      [['b', [4]]],
    ]);
  });

  it('rejects durations that are not multiples of the parent slide, naming both', () => {
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    const lines = ssc.queueStream<string>([]);
    const e1 = thrown(() => lines.window(2.5));
    expect(e1.code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
    expect(e1.message).toBe('window: the window duration (2.5 s) must be a multiple of the slide duration of the parent stream (1 s)');
    const e2 = thrown(() => lines.window(4, 1.5));
    expect(e2.message).toBe('window: the slide duration (1.5 s) must be a multiple of the slide duration of the parent stream (1 s)');
    const slid = lines.window(4, 2);
    expect(thrown(() => slid.countByWindow(3, 2)).message).toContain('the window duration (3 s) must be a multiple of the slide duration of the parent stream (2 s)');
    const pairs = lines.map((l) => [l, 1]);
    expect(thrown(() => pairs.reduceByKeyAndWindow(add, sub, 0)).message).toBe(
      'reduceByKeyAndWindow: the window duration must be a positive number of seconds, got 0',
    );
    expect(thrown(() => pairs.countByValueAndWindow(3, 0.5)).code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
    expect(thrown(() => pairs.groupByKeyAndWindow(1.2, 1)).code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
    expect(thrown(() => slid.union(lines)).message).toBe('union: the streams have different slide durations (2 s, 1 s)');
  });

  it('operations that keep window state need a checkpoint directory', async () => {
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    ssc.queueStream<string>([]).countByWindow(2, 1).pprint();
    expect(thrown(() => ssc.start()).message).toBe('The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().');
    await ssc.stop(false);
  });

  it('slice returns the remembered RDDs between two times, and remember keeps them', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const stream = ssc.queueStream([[1], [2], [3], [4], [5]]);
    expect(thrown(() => stream.slice(0, 5000)).code).toBe('CHISPA_ERR_ILLEGAL_STATE');
    ssc.remember(3);
    let done = 0;
    const at5: RDD<number>[] = [];
    stream.foreachRDD((_rdd, time) => {
      if (time === 5000) at5.push(...stream.slice(new Date(2500), 5000));
    });
    ssc.addStreamingListener({ onBatchCompleted: () => void done++ });
    ssc.start();
    for (let i = 1; i <= 5; i++) {
      clock.advance(1000);
      await waitFor(() => done === i, `batch ${i}`);
    }
    // Aligned down to the slide: 2000 … 5000, all still remembered (3 s + the batch itself).
    expect(await Promise.all(at5.map((r) => r.collect()))).toEqual([[2], [3], [4], [5]]);
    // After batch 5, batches at or before 5 − 3 = 2 s are forgotten.
    expect(await Promise.all(stream.slice(0, 5000).map((r) => r.collect()))).toEqual([[3], [4], [5]]);
    await ssc.stop(false);
  });

  it('with an inverse, a slide updates the keys of the entering and leaving batches only, however long the window', async () => {
    // Every batch brings K keys of its own, so a window of W batches holds K × W keys.
    const K = 5;
    const progress = async (W: number) => {
      const batches = Array.from({ length: W + 5 }, (_, i) => Array.from({ length: K }, (_, j): [string, number] => [`b${i}-k${j}`, 1]));
      const { infos } = await runBatches(sc, W + 5, withCheckpoint((ssc) => ssc.queueStream(batches).reduceByKeyAndWindow(add, sub, W, 1, 2, ([, n]) => n > 0)));
      return infos.map((i) => i.stateOperators![0]);
    };
    for (const W of [10, 100]) {
      const ops = await progress(W);
      expect(ops[0].operator).toBe('reduceByKeyAndWindow');
      // While the window fills, only the entering batch's keys are computed.
      expect(ops.slice(0, W).map((o) => o.numRowsUpdated)).toEqual(Array(W).fill(K));
      expect(ops[W - 1].numRowsTotal).toBe(K * W);
      // Once full: K keys enter and K leave per slide, whether the window holds 50 keys or 500.
      expect(ops.slice(W).map((o) => o.numRowsUpdated)).toEqual(Array(5).fill(2 * K));
      expect(ops.slice(W).map((o) => o.numRowsTotal)).toEqual(Array(5).fill(K * W));
    }
    // 125 batches in all: on a loaded two-core machine that can take longer than the default 30 s.
  }, 120_000);

  it('a batch whose pane fails leaves the window as it was, and the slides after it go on', async () => {
    const failing = (a: number, b: number) => {
      if (b === 100) throw new Error('no hundreds');
      return a + b;
    };
    const batches: [string, number][][] = [[['a', 1]], [['a', 50], ['a', 100]], [['a', 2]], []];
    const { result: { outputs, infos }, log } = await withCapturedLog(() =>
      runBatches(sc, 4, withCheckpoint((ssc) => ssc.queueStream(batches).reduceByKeyAndWindow(failing, sub, 3, 1, 2))),
    );
    expect(log.messages('ERROR')).toEqual(['batch failed: reduceByKeyAndWindow: no hundreds']);
    expect(infos.map((i) => i.failures.length)).toEqual([0, 1, 0, 0]);
    expect(infos[1].failures[0].message).toContain('no hundreds');
    // Batch 2 is lost, as a failed batch of keyed state is; batch 1 still leaves on time.
    expect(outputs).toEqual([[['a', 1]], [['a', 1]], [['a', 3]], [['a', 2]]]);
  });

  it('recovers window state and panes from a checkpoint: batches added before the restart leave after it', async () => {
    const cp = mkdtempSync(join(dir, 'recover-'));
    const run = async (batches: [string, number][][], count: number, startMs: number, partitions = 2, opts = {}, windowSeconds = 3) => {
      const clock = new ManualClock(startMs);
      const outputs: [string, number][][] = [];
      const ssc = StreamingContext.getOrCreate(
        cp,
        () => {
          const ssc = new StreamingContext(sc, 1, { clock });
          ssc.checkpoint(cp);
          ssc.queueStream(batches).reduceByKeyAndWindow(add, sub, windowSeconds, 1, partitions, ([, n]) => n !== 0).checkpoint(1)
            .foreachRDD(async (rdd) => void outputs.push(sorted(await rdd.collect())));
          return ssc;
        },
        opts,
      );
      let done = 0;
      ssc.addStreamingListener({ onBatchCompleted: () => void done++ });
      ssc.start();
      for (let i = 1; i <= count; i++) {
        clock.advance(1000);
        await waitFor(() => done === i, `batch ${i}`);
      }
      await ssc.stop(false);
      return outputs;
    };
    const before = await run(PAIRS.slice(0, 3), 3, 0);
    expect(before).toEqual([1, 2, 3].map((t) => sums(windowAt(PAIRS, t, 3))));
    // The restarted program's queue holds batches 4 and 5; batches 1–3 leave from the checkpoint.
    const after = await run(PAIRS.slice(3), 4, 3000);
    expect(after).toEqual([4, 5, 6, 7].map((t) => sums(windowAt(PAIRS, t, 3)).filter(([, n]) => n !== 0)));
    // Another partition count cannot take the checkpointed panes: a clear error, and the way out.
    const e = await run([], 1, 7000, 3).catch((err) => err);
    expect(e.code).toBe('CHISPA_ERR_ILLEGAL_STATE');
    expect(e.message).toContain("Checkpointed window 'reduceByKeyAndWindow#0' has 2 partitions; the program now asks for 3");
    // So is another window length: the panes were kept for 3 s.
    const e2 = await run([], 1, 7000, 2, {}, 4).catch((err) => err);
    expect(e2.code).toBe('CHISPA_ERR_ILLEGAL_STATE');
    expect(e2.message).toContain("Checkpointed window 'reduceByKeyAndWindow#0' is 3 s sliding every 1 s; the program now asks for 4 s every 1 s");
    const { result: dropped, log } = await withCapturedLog(() => run([[['z', 1]]], 1, 7000, 3, { dropState: ['reduceByKeyAndWindow#0'] }));
    expect(dropped).toEqual([[['z', 1]]]);
    expect(log.messages('WARN')).toEqual([expect.stringContaining("dropping checkpointed state of 'reduceByKeyAndWindow#0'")]);
  });
});
