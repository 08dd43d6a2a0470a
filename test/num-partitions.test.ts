import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, SparkContext } from '../src/index.js';
import { MASTERS } from './helpers/streaming.js';

// getNumPartitions is read from the lineage: asking it runs no task (Spark's RDD.getNumPartitions
// reads `partitions`, which a shuffled RDD knows from its partitioner), and the answer is the
// number of partitions a job over the RDD then has.

describe.each(MASTERS)('getNumPartitions under %s', (master) => {
  let sc: SparkContext;
  let tasks = 0;
  beforeAll(() => {
    sc = new SparkContext({ master });
    sc.addSparkListener({ onTaskEnd: () => void tasks++ });
  });
  afterAll(() => sc.stop());

  it('runs no stage for narrow ops, unions, shuffles, joins and persisted RDDs, and matches the job', async () => {
    const pairs = sc.parallelize(['a b', 'b c', 'c d a'], 3).flatMap((l) => l.split(' ')).map((w) => [w, 1] as [string, number]);
    const cases = [
      [pairs, 3],
      [pairs.reduceByKey(add), 3],
      [pairs.reduceByKey(add, 5), 5],
      [pairs.groupByKey(2), 2],
      [pairs.union(pairs.reduceByKey(add, 4)), 7],
      [pairs.join(pairs.mapValues((v) => v + 1), 6), 6],
      [pairs.cogroup(pairs), 6],
      // numPartitions as options, as on reduceByKey
      [pairs.join(pairs, { numPartitions: 4 }), 4],
      [pairs.cogroup(pairs, { numPartitions: 3 }), 3],
      [pairs.fullOuterJoin(pairs, 2), 2],
      [pairs.reduceByKey(add, 2).mapValues((v) => v * 2).persist(), 2],
      [sc.emptyRDD<[string, number]>().reduceByKey(add), 1],
    ] as const;
    for (const [rdd, n] of cases) {
      tasks = 0;
      expect(await rdd.getNumPartitions()).toBe(n);
      expect(tasks).toBe(0);
      expect(await rdd.glom().collect()).toHaveLength(n);
    }
  });

  it('after a job, a shuffled RDD still reports the partitions it ran with', async () => {
    const counts = sc.parallelize(['x', 'y', 'x'], 2).map((w) => [w, 1] as [string, number]).reduceByKey(add, 3);
    await counts.collect();
    tasks = 0;
    expect(await counts.getNumPartitions()).toBe(3);
    expect(tasks).toBe(0);
  });
});
