import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SparkContext } from '../src/index.js';
import { MASTERS, runBatches, sorted } from './helpers/streaming.js';

// persist()/cache(): a persisted RDD's lineage runs once, by the first job; later jobs, and the
// windows that hold a batch, read the blocks it left in shared memory.

describe.each(MASTERS)('persist under %s', (master) => {
  let sc: SparkContext;
  let stages = 0;
  beforeAll(() => {
    sc = new SparkContext({ master });
    const seen = new Set<number>();
    sc.addSparkListener({ onTaskEnd: (t) => void (seen.has(t.stageId) || (seen.add(t.stageId), stages++)) });
  });
  afterAll(() => sc.stop());

  it('computes a persisted RDD once: later jobs read its blocks, and give the same results', async () => {
    const words = sc.parallelize(['a b', 'b c c', ''], 2).flatMap((l) => l.split(' ')).map((w) => [w, 1]).reduceByKey((a: number, b: number) => a + b);
    const plain = sorted(await words.collect());
    expect(words.persist().isCached).toBe(true);
    const before = stages;
    expect(sorted(await words.collect())).toEqual(plain); // the shuffle's map stage, the materialising stage, then the job's own
    const first = stages - before;
    expect(await words.count()).toBe(4);
    expect(sorted(await words.map(([w, n]) => `${w}${n}`).collect())).toEqual(['1', 'a1', 'b2', 'c2']);
    // Later jobs run one stage each, over the blocks.
    expect(stages - before).toBe(first + 2);
    expect(words.unpersist().isCached).toBe(false);
    expect(sorted(await words.collect())).toEqual(plain);
  });
});

describe('persist under local (function calls counted)', () => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master: 'local' });
  });
  afterAll(() => sc.stop());

  it('runs the operations of a persisted RDD once across jobs', async () => {
    let calls = 0;
    const rdd = sc.parallelize([1, 2, 3], 2).map((x) => (calls++, x * 10)).cache();
    expect(await rdd.collect()).toEqual([10, 20, 30]);
    expect(await rdd.reduce((a, b) => a + b)).toBe(60);
    expect(calls).toBe(3);
  });

  it("a window's batches go through the parent's operations once, however many windows hold them", async () => {
    let calls = 0;
    const { outputs } = await runBatches(sc, 6, (ssc) =>
      ssc.queueStream([[1], [2], [3], [4]]).map((x) => (calls++, x * 10)).window(3),
    );
    expect(outputs.map(sorted)).toEqual([[10], [10, 20], [10, 20, 30], [20, 30, 40], [30, 40], [40]]);
    expect(calls).toBe(4);
  });

  it('DStream.persist keeps every batch for all the jobs of the batch', async () => {
    let calls = 0;
    const seen: number[][] = [];
    await runBatches(sc, 2, (ssc) => {
      const doubled = ssc.queueStream([[1, 2], [3]]).map((x) => (calls++, x * 2)).persist();
      doubled.foreachRDD(async (rdd) => void seen.push(await rdd.collect()));
      return doubled;
    });
    expect(seen).toEqual([[2, 4], [6]]);
    expect(calls).toBe(3);
  });
});
