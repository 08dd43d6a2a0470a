import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, SparkContext } from '../src/index.js';
import { rejection, thrown } from './helpers/errors.js';
import { MASTERS, runBatches, sorted } from './helpers/streaming.js';

// mapAsync / flatMapAsync (issue 13, item 3): an async function is awaited, with a concurrency
// bound per task, under both masters; the synchronous operators refuse one (see errors.test.ts).

describe.each(MASTERS)('mapAsync and flatMapAsync under %s', (master) => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master });
  });
  afterAll(() => sc.stop());

  it('awaits every call and keeps the order of the records, whatever order the calls finish in', async () => {
    const rdd = sc.parallelize([5, 1, 4, 2, 3], 2).mapAsync(async (x) => {
      await new Promise((r) => setTimeout(r, x));
      return x * 10;
    });
    expect(await rdd.collect()).toEqual([50, 10, 40, 20, 30]);
  });

  it('runs at most `concurrency` calls at once in a task, and that many when there are records', async () => {
    // [in flight, most in flight], shared with the workers (a SharedArrayBuffer travels shared).
    const counters = new Int32Array(new SharedArrayBuffer(8));
    const rdd = sc.parallelize(Array.from({ length: 20 }, (_, i) => i), 1).mapAsync(
      async (x: number) => {
        const now = Atomics.add(counters, 0, 1) + 1;
        for (let m = Atomics.load(counters, 1); m < now; m = Atomics.load(counters, 1)) Atomics.compareExchange(counters, 1, m, now);
        await new Promise((r) => setTimeout(r, 1));
        Atomics.sub(counters, 0, 1);
        return x;
      },
      { concurrency: 3, context: { counters } },
    );
    expect(await rdd.count()).toBe(20);
    // The first three calls start before any can finish, so the bound is reached, never passed.
    expect(Atomics.load(counters, 1)).toBe(3);
    expect(Atomics.load(counters, 0)).toBe(0);
  });

  it('flatMapAsync flattens what the calls resolve to; fused operations run before and after', async () => {
    const rdd = sc
      .parallelize(['a b', '', 'c'], 2)
      .map((l) => l.trim())
      .flatMapAsync(async (l) => (l === '' ? [] : l.split(' ')))
      .filter((w) => w !== 'b')
      .mapAsync(async (w) => [w, 1] as [string, number])
      .reduceByKey(add);
    expect(sorted(await rdd.collect())).toEqual([
      ['a', 1],
      ['c', 1],
    ]);
  });

  it('a plain function is accepted and its values used as they are; take reads what it needs', async () => {
    expect(await sc.parallelize([1, 2, 3, 4], 2).mapAsync((x) => x + 1).take(3)).toEqual([2, 3, 4]);
  });

  it('a rejection fails the action with operator mapAsync and the original as the cause', async () => {
    const err = await rejection(
      sc.parallelize([1, 2, 3], 1).mapAsync(async (x) => {
        if (x === 2) throw new Error('two is out');
        return x;
      }).collect(),
    );
    expect([err.code, err.operator]).toEqual(['CHISPA_ERR_USER_FUNCTION', 'mapAsync']);
    expect(err.cause.message).toBe('two is out');
  });

  it('flatMapAsync of something that is not iterable names flatMapAsync', async () => {
    const err = await rejection(sc.parallelize([1], 1).flatMapAsync(async (x) => x as unknown as number[]).collect());
    expect([err.code, err.operator]).toEqual(['CHISPA_ERR_USER_FUNCTION', 'flatMapAsync']);
  });

  it('concurrency must be a positive integer', () => {
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      expect(thrown(() => sc.parallelize([1]).mapAsync(async (x) => x, { concurrency })).code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
    }
  });

  it('on a DStream: every batch awaited, empty batches included', async () => {
    const { outputs } = await runBatches(sc, 3, (ssc) =>
      ssc.queueStream([['a', 'bb'], [], ['ccc']]).mapAsync(async (w) => w.length, { concurrency: 2 }).flatMapAsync(async (n) => [n, -n]),
    );
    expect(outputs).toEqual([[1, -1, 2, -2], [], [3, -3]]);
  });
});
