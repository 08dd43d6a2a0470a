import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, SparkContext, StreamingContext, type DStream } from '../src/index.js';
import { rejection, thrown } from './helpers/errors.js';
import { captureLog } from './helpers/log.js';
import { MASTERS, runBatches, sorted } from './helpers/streaming.js';

// updateStateByKey with PySpark's semantics, over the shared-memory state store.

const sumUpdate = (newValues: number[], lastSum: number | null) => newValues.reduce((a, b) => a + b, 0) + (lastSum ?? 0);

describe.each(MASTERS)('updateStateByKey under %s', (master) => {
  let sc: SparkContext;
  let dir: string;
  beforeAll(() => {
    sc = new SparkContext({ master });
    dir = mkdtempSync(join(tmpdir(), 'chispa-state-'));
  });
  afterAll(async () => {
    await sc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The seed's stateful WordCount over queue batches of lines. */
  function wordCount(ssc: StreamingContext, batches: string[][], opts = {}): DStream<[string, number]> {
    ssc.checkpoint(dir);
    return ssc
      .queueStream(batches)
      .flatMap((line) => line.split(' '))
      .map((word) => [word, 1])
      .updateStateByKey(sumUpdate, opts);
  }

  it("accumulates the seed's counts across batches, empty batches included", async () => {
    const batches = [['a b a', 'c'], ['b b'], [], ['c ñandú 🎉']];
    const { outputs } = await runBatches(sc, 5, (ssc) => wordCount(ssc, batches));
    const oracle = new Map<string, number>();
    const expected = batches.concat([[]]).map((lines) => {
      for (const l of lines) for (const w of l.split(' ')) oracle.set(w, (oracle.get(w) ?? 0) + 1);
      return sorted([...oracle]);
    });
    expect(outputs.map(sorted)).toEqual(expected);
  });

  it('calls the update function for every key with state or new values, with [] when none arrived', async () => {
    const { outputs } = await runBatches(sc, 3, (ssc) => {
      ssc.checkpoint(dir);
      return ssc
        .queueStream<[string, number]>([[['a', 1], ['b', 2]], [['b', 3]], []])
        .updateStateByKey((vs: number[], last: string[] | null) => [...(last ?? []), `${vs.join('+') || '-'}`]);
    });
    expect(outputs.map(sorted)).toEqual([
      [['a', ['1']], ['b', ['2']]],
      [['a', ['1', '-']], ['b', ['2', '3']]],
      [['a', ['1', '-', '-']], ['b', ['2', '3', '-']]],
    ]);
  });

  it('removes a key when the function returns null or undefined', async () => {
    const { outputs } = await runBatches(sc, 3, (ssc) => {
      ssc.checkpoint(dir);
      return ssc
        .queueStream<[string, number]>([[['a', 1], ['b', 1], ['c', 2]], [['a', -1]], [['c', 5]]])
        .updateStateByKey((vs: number[], last: number | null) => {
          const total = vs.reduce((x, y) => x + y, 0) + (last ?? 0);
          if (total === 0) return null; // a's count returns to zero: drop it
          return vs.length === 0 && last === 1 ? undefined : total; // b, idle with 1: drop it
        });
    });
    expect(outputs.map(sorted)).toEqual([
      [['a', 1], ['b', 1], ['c', 2]],
      [['c', 2]],
      [['c', 7]],
    ]);
  });

  it('starts from initialRDD, given as pairs or as an RDD', async () => {
    for (const initialRDD of [[['a', 10], ['z', 1]] as [string, number][], sc.parallelize<[string, number]>([['a', 10], ['z', 1]])]) {
      const { outputs } = await runBatches(sc, 2, (ssc) => wordCount(ssc, [['a b'], ['z']], { initialRDD }));
      expect(outputs.map(sorted)).toEqual([
        [['a', 11], ['b', 1], ['z', 1]],
        [['a', 11], ['b', 1], ['z', 2]],
      ]);
    }
  });

  it('keeps compound keys and non-numeric states (the encoded state column)', async () => {
    const { outputs } = await runBatches(sc, 2, (ssc) => {
      ssc.checkpoint(dir);
      return ssc
        .queueStream<[[string, number], string]>([[[['x', 1], 'p'], [['x', 1], 'q'], [['x', 2], 'r']], [[['x', 1], 's']]])
        .updateStateByKey((vs: string[], last: { seen: string } | null) => ({ seen: (last?.seen ?? '') + vs.join('') }));
    });
    expect(outputs.map(sorted)).toEqual([
      sorted([[['x', 1], { seen: 'pq' }], [['x', 2], { seen: 'r' }]]),
      sorted([[['x', 1], { seen: 'pqs' }], [['x', 2], { seen: 'r' }]]),
    ]);
  });

  it('partitions the state as numPartitions says', async () => {
    const { outputs } = await runBatches(sc, 1, (ssc) => wordCount(ssc, [['a b c d e f']], { numPartitions: 3 }).glom());
    expect(outputs[0]).toHaveLength(3);
    expect(outputs[0].flat().length).toBe(6);
  });

  it('leaves the previous state intact when a batch fails', async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    ssc.checkpoint(dir);
    const state = ssc
      .queueStream([['a'], ['a', 'boom'], ['a']])
      .map((w) => (w === 'boom' ? ['a', 100] : [w, 1]))
      .updateStateByKey((vs: number[], last: number | null) => {
        if (vs.includes(100)) throw new Error('update failed');
        return vs.reduce((x, y) => x + y, 0) + (last ?? 0);
      });
    const outputs: [string, number][][] = [];
    const failed: boolean[] = [];
    state.foreachRDD(async (rdd) => void outputs.push(sorted(await rdd.collect())));
    ssc.addStreamingListener({ onBatchCompleted: (i) => void failed.push(i.failures.length > 0) });
    const waited = rejection(ssc.awaitTermination());
    // The state commit fails, and so does the output that reads the state, with the same error:
    // the batch reports it once, to awaitTermination, so nothing is logged.
    const log = captureLog();
    ssc.start();
    for (let i = 1; i <= 3; i++) {
      clock.advance(1000);
      while (failed.length < i) await new Promise((r) => setTimeout(r, 5));
    }
    await ssc.stop(false);
    log.restore();
    expect(log.messages()).toEqual([]);
    const err = await waited;
    expect(err.code).toBe('CHISPA_ERR_USER_FUNCTION');
    expect(err.operator).toBe('updateStateByKey');
    expect(failed).toEqual([false, true, false]);
    // Batch 2 failed: batch 3 builds on batch 1's state, not on a half-written one.
    expect(outputs).toEqual([[['a', 1]], [['a', 2]]]);
  });

  it("refuses to start without a checkpoint directory, with Spark's message", () => {
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    ssc.queueStream<[string, number]>([]).updateStateByKey(sumUpdate).pprint();
    const err = thrown(() => ssc.start());
    expect(err.code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
    expect(err.message).toBe('The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().');
  });
});
