import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, SparkContext, type RDD } from '../src/index.js';
import { MASTERS, sorted } from './helpers/streaming.js';

// The RDD API under both masters, checked against what PySpark returns for the same program.
// Under `local[2]` functions travel by source: no lambda here reads a variable of its scope;
// values a function needs come as literals or through `{ context }`.

/** Names that exist only in a function's `{ context }`, declared so the test type-checks. */
declare const factor: number;
declare const limit: number;
declare const combine: (a: number, b: number) => number;
declare const suffixOf: () => string;

/** The error a promise rejects with (fails if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; operator?: string; cause?: unknown }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string; operator?: string };
  }
  throw new Error('expected the promise to reject');
}

/** The error a function throws (fails if it returns). */
function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected the function to throw');
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** A deterministic shuffle of `xs` (a linear congruential generator, fixed seed). */
function shuffled<T>(xs: readonly T[], seed = 42): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Sorts each group's values (their order within a group is not defined), then the groups. */
function normalizeGroups<K, V>(rows: readonly [K, V[]][]): [K, V[]][] {
  return sorted(rows.map(([k, vs]) => [k, sorted(vs)] as [K, V[]]));
}

function normalizeCogroups<K, V, W>(rows: readonly [K, [V[], W[]]][]): [K, [V[], W[]]][] {
  return sorted(rows.map(([k, [vs, ws]]) => [k, [sorted(vs), sorted(ws)]] as [K, [V[], W[]]]));
}

describe.each(MASTERS)('RDD API under %s', (master) => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master });
  });
  afterAll(() => sc.stop());

  describe('actions', () => {
    it('collect keeps the data and its order across partitions; count counts', async () => {
      const data = range(0, 23);
      for (const slices of [1, 2, 3, 7, 30]) {
        const rdd = sc.parallelize(data, slices);
        expect(await rdd.collect()).toEqual(data);
        expect(await rdd.count()).toBe(23);
      }
      expect(await sc.parallelize([]).collect()).toEqual([]);
      expect(await sc.parallelize([], 4).count()).toBe(0);
    });

    it('getNumPartitions: numSlices, or defaultParallelism by default', async () => {
      expect(sc.defaultParallelism).toBe(master === 'local' ? 1 : 2);
      expect(await sc.parallelize(range(0, 10)).getNumPartitions()).toBe(sc.defaultParallelism);
      expect(await sc.parallelize(range(0, 10), 3).getNumPartitions()).toBe(3);
      expect(await sc.parallelize([], 5).getNumPartitions()).toBe(5);
      expect(thrown(() => sc.parallelize([1], 0)).code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
    });

    it('glom gives one array per partition, sliced as Spark slices', async () => {
      // PySpark: sc.parallelize(range(1, 11), 3).glom().collect() == [[1, 2, 3], [4, 5, 6], [7, 8, 9, 10]]
      expect(await sc.parallelize(range(1, 11), 3).glom().collect()).toEqual([
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9, 10],
      ]);
      expect(await sc.parallelize([1, 2], 4).glom().collect()).toEqual([[], [1], [], [2]]);
      expect(await sc.parallelize([], 3).glom().collect()).toEqual([[], [], []]);
    });

    it('take(n) reads across partitions, stops at the total, and take(0) is empty', async () => {
      const rdd = sc.parallelize(range(0, 20), 5);
      expect(await rdd.take(3)).toEqual([0, 1, 2]);
      expect(await rdd.take(4)).toEqual([0, 1, 2, 3]);
      expect(await rdd.take(5)).toEqual([0, 1, 2, 3, 4]); // crosses into partition 2
      expect(await rdd.take(13)).toEqual(range(0, 13)); // across four partitions
      expect(await rdd.take(20)).toEqual(range(0, 20));
      expect(await rdd.take(100)).toEqual(range(0, 20));
      expect(await rdd.take(0)).toEqual([]);
      // Leading empty partitions: [[], [1], [], [2]] (as glom shows above) and more.
      const sparse = sc.parallelize([1, 2], 7);
      expect(await sparse.take(1)).toEqual([1]);
      expect(await sparse.take(2)).toEqual([1, 2]);
      expect(await sparse.take(3)).toEqual([1, 2]);
      expect(await sc.parallelize([], 3).take(5)).toEqual([]);
      // take after a filter that empties the first partitions.
      expect(await rdd.filter((x) => x >= 17).take(2)).toEqual([17, 18]);
    });

    it('first is the first record, and rejects on an empty RDD', async () => {
      expect(await sc.parallelize([5, 6, 7], 3).first()).toBe(5);
      expect(await sc.parallelize([null, 1]).first()).toBe(null);
      expect(await sc.parallelize([1, 2, 3], 3).filter((x) => x === 3).first()).toBe(3);
      const err = await rejection(sc.parallelize([], 2).first());
      expect(err.message).toMatch(/empty/i);
      const err2 = await rejection(sc.parallelize([1, 2, 3]).filter((x) => x > 10).first());
      expect(err2.message).toMatch(/empty/i);
    });

    it('isEmpty', async () => {
      expect(await sc.parallelize([]).isEmpty()).toBe(true);
      expect(await sc.parallelize([], 4).isEmpty()).toBe(true);
      expect(await sc.parallelize([0]).isEmpty()).toBe(false);
      expect(await sc.parallelize([null]).isEmpty()).toBe(false);
      expect(await sc.parallelize([1, 2], 6).isEmpty()).toBe(false);
      expect(await sc.parallelize([1, 2, 3], 3).filter((x) => x > 5).isEmpty()).toBe(true);
    });

    it('reduce combines every record, and rejects on an empty RDD', async () => {
      expect(await sc.parallelize(range(1, 101), 7).reduce(add)).toBe(5050);
      expect(await sc.parallelize([3, 9, 4], 3).reduce((a, b) => Math.max(a, b))).toBe(9);
      expect(await sc.parallelize([42]).reduce(add)).toBe(42);
      expect(await sc.parallelize(range(1, 11), 4).reduce((a, b) => Math.min(a, b, limit), { context: { limit: 0 } })).toBe(0);
      const err = await rejection(sc.parallelize<number>([], 3).reduce(add));
      expect(err.message).toMatch(/empty/i);
      const err2 = await rejection(sc.parallelize([1, 2]).filter((x) => x > 2).reduce(add));
      expect(err2.message).toMatch(/empty/i);
    });

    it('countByValue is a Map from record to count', async () => {
      const counts = await sc.parallelize(['a', 'b', 'a', 1, '1', 1, true, null, 'ñandú', 'ñandú', '🎉'], 3).countByValue();
      expect(counts).toBeInstanceOf(Map);
      expect(counts.size).toBe(8);
      expect(counts.get('a')).toBe(2);
      expect(counts.get('b')).toBe(1);
      expect(counts.get(1)).toBe(2);
      expect(counts.get('1')).toBe(1);
      expect(counts.get(true)).toBe(1);
      expect(counts.get(null)).toBe(1);
      expect(counts.get('ñandú')).toBe(2);
      expect(counts.get('🎉')).toBe(1);
      // Compound records are counted by value.
      const tuples = await sc.parallelize([['a', 1], ['a', 1], ['a', 2]], 2).countByValue();
      expect(sorted([...tuples])).toEqual([
        [['a', 1], 2],
        [['a', 2], 1],
      ]);
      expect((await sc.parallelize([]).countByValue()).size).toBe(0);
    });
  });

  describe('narrow transformations', () => {
    it('map, flatMap, filter keep partition order', async () => {
      const rdd = sc.parallelize(range(1, 8), 3);
      expect(await rdd.map((x) => x * 2).collect()).toEqual([2, 4, 6, 8, 10, 12, 14]);
      expect(await rdd.flatMap((x) => (x % 2 === 0 ? [x, x] : [])).collect()).toEqual([2, 2, 4, 4, 6, 6]);
      expect(await rdd.filter((x) => x % 3 === 0).collect()).toEqual([3, 6]);
      expect(await sc.parallelize(['a b', '', 'c']).flatMap((l) => l.split(' ')).collect()).toEqual(['a', 'b', '', 'c']);
    });

    it('a function may use values passed through its context', async () => {
      const rdd = sc.parallelize(range(1, 5), 2);
      expect(await rdd.map((x) => x * factor, { context: { factor: 3 } }).collect()).toEqual([3, 6, 9, 12]);
      expect(await rdd.filter((x) => x <= limit, { context: { limit: 2 } }).collect()).toEqual([1, 2]);
      const fnInContext = { context: { combine: (a: number, b: number) => a * 10 + b } };
      expect(await rdd.map((x) => combine(x, x), fnInContext).collect()).toEqual([11, 22, 33, 44]);
    });

    it('a function that uses an outer variable fails at definition on a pool, and works under local', async () => {
      const outer = 5;
      const define = () => sc.parallelize([1, 2]).map((x) => x + outer);
      if (master === 'local') {
        expect(await define().collect()).toEqual([6, 7]);
      } else {
        const err = thrown(define) as Error & { code?: string; variables?: string[] };
        expect(err.code).toBe('CHISPA_ERR_CLOSURE_CAPTURE');
        expect(err.variables).toEqual(['outer']);
      }
    });

    it('mapPartitions and mapPartitionsWithIndex see whole partitions', async () => {
      const rdd = sc.parallelize(range(1, 7), 3);
      expect(
        await rdd
          .mapPartitions((it) => {
            let s = 0;
            for (const x of it) s += x;
            return [s];
          })
          .collect(),
      ).toEqual([3, 7, 11]);
      expect(await rdd.mapPartitionsWithIndex((i, it) => [[i, [...it]]]).collect()).toEqual([
        [0, [1, 2]],
        [1, [3, 4]],
        [2, [5, 6]],
      ]);
      // A generator function, and empty partitions.
      const gen = sc.parallelize([7, 8], 4).mapPartitionsWithIndex(function* (i, it) {
        for (const x of it) yield `${i}:${x}`;
      });
      expect(await gen.collect()).toEqual(['1:7', '3:8']);
      // The index after a shuffle is the reduce partition's.
      const idx = await sc
        .parallelize(range(0, 12), 2)
        .repartition(3)
        .mapPartitionsWithIndex((i, it) => [...it].map(() => i))
        .collect();
      expect(sorted([...new Set(idx)])).toEqual([0, 1, 2]);
    });

    it('mixed values round-trip through parallelize and a shuffle', async () => {
      const values: unknown[] = [
        { name: 'ñandú', tags: ['🎉', 'x'], n: 1.5, ok: true, nothing: null },
        [1, [2, [3, ['four']]]],
        null,
        true,
        false,
        0,
        -7,
        2 ** 40,
        3.25,
        '',
        'ñandú',
        'emoji 🎉 and 👩‍👩‍👧 family',
        '中文字符',
        { nested: { deep: [null, 'ü', { x: [] }] } },
        [],
        {},
      ];
      expect(await sc.parallelize(values, 3).collect()).toEqual(values);
      expect(await sc.parallelize(values, 2).map((v) => v).collect()).toEqual(values);
      expect(sorted(await sc.parallelize(values, 2).repartition(3).collect())).toEqual(sorted(values));
      const keyed = await sc.parallelize(values, 2).map((v) => [JSON.stringify(v), v]).groupByKey(3).mapValues((vs) => vs[0]).collect();
      expect(sorted(keyed.map(([, v]) => v))).toEqual(sorted(values));
    });

    it('a string holding a lone surrogate (an emoji cut by slice) round-trips unchanged', async () => {
      const cut = '🎉x'.slice(0, 1); // '\uD83C'
      const other = '😀'.slice(0, 1); // '\uD83D'
      const got = await sc.parallelize([cut, 'a'], 2).collect();
      expect(got.map((s) => [...s].map((c) => c.charCodeAt(0)))).toEqual([[0xd83c], [0x61]]);
      // Two different keys stay two keys through a shuffle.
      const counts = await sc
        .parallelize([
          [cut, 1],
          [other, 1],
          [cut, 1],
        ] as [string, number][], 2)
        .reduceByKey(add)
        .collect();
      expect(sorted(counts.map(([k, v]) => [k.charCodeAt(0), v]))).toEqual(
        sorted([
          [0xd83c, 2],
          [0xd83d, 1],
        ]),
      );
    });

    it('keyBy pairs each record with its key', async () => {
      expect(await sc.parallelize(['a', 'bb', 'ccc', 'ñandú'], 2).keyBy((s) => s.length).collect()).toEqual([
        [1, 'a'],
        [2, 'bb'],
        [3, 'ccc'],
        [5, 'ñandú'],
      ]);
      expect(await sc.parallelize([{ id: 1 }, { id: 2 }]).keyBy((o) => [o.id, 'x']).collect()).toEqual([
        [[1, 'x'], { id: 1 }],
        [[2, 'x'], { id: 2 }],
      ]);
    });

    it('union concatenates the partitions of both', async () => {
      const a = sc.parallelize<number | string>([1, 2, 3], 2);
      const b = sc.parallelize<number | string>(['x', 'y'], 3);
      const u = a.union(b);
      expect(await u.collect()).toEqual([1, 2, 3, 'x', 'y']);
      expect(await u.getNumPartitions()).toBe(5);
      expect(await a.union(a).collect()).toEqual([1, 2, 3, 1, 2, 3]);
      expect(await a.union(sc.parallelize<number | string>([], 1)).collect()).toEqual([1, 2, 3]);
    });

    it('repartition keeps every record and spreads them evenly over n partitions', async () => {
      const data = range(0, 40);
      for (const n of [1, 3, 5, 8]) {
        const r = sc.parallelize(data, 2).repartition(n);
        expect(await r.getNumPartitions()).toBe(n);
        const parts = await r.glom().collect();
        expect(parts).toHaveLength(n);
        expect(sorted(parts.flat())).toEqual(sorted(data));
        const sizes = parts.map((p) => p.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(2);
      }
      // More partitions than records; and fewer.
      expect(sorted(await sc.parallelize([1, 2], 1).repartition(4).collect())).toEqual([1, 2]);
      expect(await sc.parallelize(range(0, 9), 9).repartition(1).count()).toBe(9);
      expect(thrown(() => sc.parallelize([1]).repartition(0)).code).toBe('CHISPA_ERR_ILLEGAL_ARGUMENT');
    });
  });

  describe('sortBy', () => {
    const nums = shuffled([...range(0, 60), 5, 5, 17, 17, 17, 42, -3, 2.5, -0.5, 1e9]);

    for (const numPartitions of [1, 3]) {
      it(`sorts numbers ascending and descending, with duplicates (numPartitions ${numPartitions})`, async () => {
        const rdd = sc.parallelize(nums, 4);
        const asc = rdd.sortBy((x) => x, true, numPartitions);
        expect(await asc.collect()).toEqual([...nums].sort((a, b) => a - b));
        const desc = rdd.sortBy((x) => x, false, numPartitions);
        expect(await desc.collect()).toEqual([...nums].sort((a, b) => b - a));
        // Partition order is sort order: every partition is sorted and they follow each other.
        const parts = await asc.glom().collect();
        expect(parts.length).toBeLessThanOrEqual(numPartitions);
        expect(parts.flat()).toEqual([...nums].sort((a, b) => a - b));
        if (numPartitions === 3) expect(parts.length).toBe(3);
      });

      it(`sorts by a key function, strings and tuples (numPartitions ${numPartitions})`, async () => {
        const people = shuffled(
          range(0, 30).map((i) => ({ name: `p${i}`, age: 20 + (i % 7) })),
          7,
        );
        const byAge = await sc.parallelize(people, 3).sortBy((p) => p.age, true, numPartitions).collect();
        expect(byAge).toHaveLength(30);
        expect(sorted(byAge)).toEqual(sorted(people));
        for (let i = 1; i < byAge.length; i++) expect(byAge[i - 1].age).toBeLessThanOrEqual(byAge[i].age);
        const byAgeDesc = await sc.parallelize(people, 3).sortBy((p) => p.age, false, numPartitions).collect();
        for (let i = 1; i < byAgeDesc.length; i++) expect(byAgeDesc[i - 1].age).toBeGreaterThanOrEqual(byAgeDesc[i].age);

        // Strings: by code point order, as Python (all below the surrogate range, or astral).
        const words = shuffled(['pera', 'Zorro', 'árbol', 'ñandú', 'nandu', 'abc', 'ab', '', 'émoji 🎉', '🎉', 'ab', 'b', 'niño', 'nino', 'Ñu']);
        const wordsAsc = [...words].sort();
        expect(await sc.parallelize(words, 2).sortBy((w) => w, true, numPartitions).collect()).toEqual(wordsAsc);
        expect(await sc.parallelize(words, 2).sortBy((w) => w, false, numPartitions).collect()).toEqual([...wordsAsc].reverse());

        // Tuples compare element by element: ('a', 2) < ('a', 10) < ('b', 1).
        const tuples: [string, number][] = shuffled([
          ['b', 1],
          ['a', 10],
          ['a', 2],
          ['a', 2],
          ['c', 0],
          ['a', -1],
        ]);
        expect(await sc.parallelize(tuples, 3).sortBy((t) => t, true, numPartitions).collect()).toEqual([
          ['a', -1],
          ['a', 2],
          ['a', 2],
          ['a', 10],
          ['b', 1],
          ['c', 0],
        ]);
        expect(await sc.parallelize(tuples, 3).sortBy((t) => [t[1], t[0]], false, numPartitions).collect()).toEqual([
          ['a', 10],
          ['a', 2],
          ['a', 2],
          ['b', 1],
          ['c', 0],
          ['a', -1],
        ]);
      });
    }

    it('sorts an empty RDD and a single record', async () => {
      expect(await sc.parallelize<number>([], 3).sortBy((x) => x, true, 3).collect()).toEqual([]);
      expect(await sc.parallelize([7], 3).sortBy((x) => x, false, 3).collect()).toEqual([7]);
    });

    it('default numPartitions is the parent count, and options may carry a context', async () => {
      const rdd = sc.parallelize(shuffled(range(0, 50)), 3).sortBy((x) => x % limit, true, { numPartitions: 2, context: { limit: 10 } });
      const out = await rdd.collect();
      expect(out.map((x) => x % 10)).toEqual(range(0, 50).map((x) => x % 10).sort((a, b) => a - b));
      expect(await rdd.getNumPartitions()).toBe(2);
      expect(await sc.parallelize(shuffled(range(0, 50)), 3).sortBy((x) => x).getNumPartitions()).toBe(3);
    });
  });

  describe('pair operations', () => {
    // Tuple keys are separate array instances with equal content: the same key, as in Python.
    const tuplePairs: [[string, number], number][] = [
      [['a', 1], 10],
      [['b', 2], 20],
      [['a', 1], 5],
      [['a', 2], 1],
      [['b', 2], 2],
      [['a', 1], 100],
      [['ñandú', 3], 7],
      [['ñandú', 3], 8],
      [['🎉', 0], 1],
    ];

    it('reduceByKey with tuple keys compares keys by value', async () => {
      const expected = sorted([
        [['a', 1], 115],
        [['a', 2], 1],
        [['b', 2], 22],
        [['ñandú', 3], 15],
        [['🎉', 0], 1],
      ]);
      for (const slices of [1, 3, 9]) {
        const rdd = sc.parallelize(tuplePairs, slices);
        expect(sorted(await rdd.reduceByKey(add).collect())).toEqual(expected);
        const r2 = rdd.reduceByKey(add, 2);
        expect(await r2.getNumPartitions()).toBe(2);
        expect(sorted(await r2.collect())).toEqual(expected);
        const r4 = rdd.reduceByKey((a, b) => a + b, { numPartitions: 4 });
        expect(await r4.getNumPartitions()).toBe(4);
        expect(sorted(await r4.collect())).toEqual(expected);
        // Each key is in exactly one partition.
        const parts = await r4.glom().collect();
        const keys = parts.flat().map(([k]) => JSON.stringify(k));
        expect(new Set(keys).size).toBe(keys.length);
      }
    });

    it('reduceByKey with numeric keys, string values, context, and default partitions', async () => {
      const pairs: [number, string][] = [
        [1, 'a'],
        [2, 'b'],
        [1, 'c'],
        [3.5, 'd'],
        [-7, 'e'],
        [2, 'f'],
        [1e9, 'g'],
      ];
      const rdd = sc.parallelize(pairs, 3);
      expect(await rdd.reduceByKey(add).getNumPartitions()).toBe(3);
      // String concatenation is not commutative: check the letters, not their order.
      const out = await rdd.reduceByKey(add).collect();
      expect(sorted(out.map(([k, v]) => [k, [...v].sort().join('')]))).toEqual(
        sorted([
          [1, 'ac'],
          [2, 'bf'],
          [3.5, 'd'],
          [-7, 'e'],
          [1e9, 'g'],
        ]),
      );
      const sums = sc.parallelize(range(0, 100).map((i) => [i % 5, i] as [number, number]), 4);
      expect(sorted(await sums.reduceByKey((a, b) => combine(a, b), { context: { combine: (a: number, b: number) => a + b } }).collect())).toEqual(
        sorted(range(0, 5).map((k) => [k, range(0, 100).filter((i) => i % 5 === k).reduce((a, b) => a + b, 0)])),
      );
      expect(await sc.parallelize<[number, number]>([], 2).reduceByKey(add).collect()).toEqual([]);
    });

    it('groupByKey gives arrays of values, keys by value', async () => {
      const groups = await sc.parallelize(tuplePairs, 4).groupByKey().collect();
      expect(normalizeGroups(groups)).toEqual(
        normalizeGroups([
          [['a', 1], [10, 5, 100]],
          [['a', 2], [1]],
          [['b', 2], [20, 2]],
          [['ñandú', 3], [7, 8]],
          [['🎉', 0], [1]],
        ]),
      );
      const g3 = sc.parallelize(tuplePairs, 2).groupByKey(3);
      expect(await g3.getNumPartitions()).toBe(3);
      expect(normalizeGroups(await g3.collect())).toEqual(normalizeGroups(groups));
    });

    it('groupByKey with numeric keys and mixed values', async () => {
      const mixed: [number, unknown][] = [
        [1, { name: 'ñandú', tags: ['🎉', 'x'] }],
        [1, [1, [2, [3]]]],
        [2, null],
        [2, true],
        [1, false],
        [3, 'emoji 🎉 ñ'],
        [2, { nested: { deep: [null, 'ü'] } }],
      ];
      const groups = await sc.parallelize(mixed, 3).groupByKey(2).collect();
      expect(normalizeGroups(groups)).toEqual(
        normalizeGroups<number, unknown>([
          [1, [{ name: 'ñandú', tags: ['🎉', 'x'] }, [1, [2, [3]]], false]],
          [2, [null, true, { nested: { deep: [null, 'ü'] } }]],
          [3, ['emoji 🎉 ñ']],
        ]),
      );
    });

    it('combineByKey: average per key with [sum, count] combiners', async () => {
      const scores: [string, number][] = [
        ['ana', 10],
        ['luis', 4],
        ['ana', 20],
        ['ñandú', 1],
        ['luis', 6],
        ['ana', 30],
        ['luis', 8],
      ];
      for (const slices of [1, 3]) {
        const avg = sc
          .parallelize(scores, slices)
          .combineByKey(
            (v) => [v, 1] as [number, number],
            (c, v) => [c[0] + v, c[1] + 1] as [number, number],
            (a, b) => [a[0] + b[0], a[1] + b[1]] as [number, number],
          )
          .mapValues(([s, n]) => s / n);
        expect(sorted(await avg.collect())).toEqual(
          sorted([
            ['ana', 20],
            ['luis', 6],
            ['ñandú', 1],
          ]),
        );
      }
      // Tuple keys, numPartitions and a context.
      const c = sc
        .parallelize(tuplePairs, 3)
        .combineByKey(
          (v) => [v],
          (acc, v) => [...acc, v],
          (a, b) => [...a, ...b],
          { numPartitions: 2, context: { limit: 1 } },
        );
      expect(await c.getNumPartitions()).toBe(2);
      expect(normalizeGroups(await c.collect())).toEqual(normalizeGroups(await sc.parallelize(tuplePairs, 3).groupByKey().collect()));
    });

    it('mapValues and flatMapValues keep the keys', async () => {
      const pairs = sc.parallelize(
        [
          [['a', 1], 'ñandú'],
          [2, '🎉 x'],
          [null, ''],
          [true, 'a b c'],
        ] as [unknown, string][],
        3,
      );
      expect(await pairs.mapValues((v) => v.length).collect()).toEqual([
        [['a', 1], 5],
        [2, 4],
        [null, 0],
        [true, 5],
      ]);
      expect(await pairs.flatMapValues((v) => v.split(' ')).collect()).toEqual([
        [['a', 1], 'ñandú'],
        [2, '🎉'],
        [2, 'x'],
        [null, ''],
        [true, 'a'],
        [true, 'b'],
        [true, 'c'],
      ]);
      expect(await pairs.flatMapValues(() => []).collect()).toEqual([]);
      expect(await pairs.mapValues((v) => v + suffixOf(), { context: { suffixOf: () => '!' } }).take(1)).toEqual([[['a', 1], 'ñandú!']]);
    });

    it('tuple keys holding Infinity, -Infinity and null are distinct keys, as in Python', async () => {
      // PySpark: ('bin', inf), ('bin', -inf) and ('bin', None) are three different keys.
      const pairs: [[string, number | null], number][] = [
        [['bin', Infinity], 1],
        [['bin', null], 10],
        [['bin', -Infinity], 100],
        [['bin', Infinity], 1000],
        [['bin', 0], 10000],
      ];
      const byKey = (rows: [[string, number | null], unknown][]) => new Map(rows.map(([k, v]) => [k.map(String).join('|'), v]));
      for (const slices of [1, 2]) {
        const rdd = sc.parallelize(pairs, slices);
        const reduced = await rdd.reduceByKey(add).collect();
        expect(reduced).toHaveLength(4);
        expect(byKey(reduced)).toEqual(
          new Map([
            ['bin|Infinity', 1001],
            ['bin|null', 10],
            ['bin|-Infinity', 100],
            ['bin|0', 10000],
          ]),
        );
        const grouped = await rdd.groupByKey().collect();
        expect(grouped).toHaveLength(4);
        // The key emitted keeps its value.
        expect(grouped.map(([k]) => k[1]).sort()).toEqual([-Infinity, 0, Infinity, null].sort());
        const joined = await rdd.join(sc.parallelize<[[string, number | null], string]>([[['bin', null], 'none']])).collect();
        expect(joined).toEqual([[['bin', null], [10, 'none']]]);
      }
    });

    describe('joins and cogroup', () => {
      const left: [unknown, unknown][] = [
        [['k', 1], { a: 1 }],
        [['k', 1], null],
        [['only-left', 0], true],
        [7, 'ñandú'],
        [8.5, [1, [2]]],
      ];
      const right: [unknown, unknown][] = [
        [['k', 1], [1, [2, 3]]],
        [7, '🎉'],
        [7, false],
        [9, { deep: { x: 'ü' } }],
      ];
      const inner = [
        [['k', 1], [{ a: 1 }, [1, [2, 3]]]],
        [['k', 1], [null, [1, [2, 3]]]],
        [7, ['ñandú', '🎉']],
        [7, ['ñandú', false]],
      ];
      const leftOnly = [
        [['only-left', 0], [true, null]],
        [8.5, [[1, [2]], null]],
      ];
      const rightOnly = [[9, [null, { deep: { x: 'ü' } }]]];

      it('join', async () => {
        const l = sc.parallelize(left, 3);
        const r = sc.parallelize(right, 2);
        expect(sorted(await l.join(r).collect())).toEqual(sorted(inner));
        const j4 = l.join(r, 4);
        expect(await j4.getNumPartitions()).toBe(4);
        expect(sorted(await j4.collect())).toEqual(sorted(inner));
        expect(await l.join(sc.parallelize<[unknown, unknown]>([], 2)).collect()).toEqual([]);
      });

      it('leftOuterJoin: a missing right side is null', async () => {
        const l = sc.parallelize(left, 2);
        const r = sc.parallelize(right, 3);
        expect(sorted(await l.leftOuterJoin(r).collect())).toEqual(sorted([...inner, ...leftOnly]));
        expect(sorted(await l.leftOuterJoin(sc.parallelize<[unknown, unknown]>([], 1), 2).collect())).toEqual(
          sorted(left.map(([k, v]) => [k, [v, null]])),
        );
      });

      it('rightOuterJoin: a missing left side is null', async () => {
        const l = sc.parallelize(left, 2);
        const r = sc.parallelize(right, 3);
        expect(sorted(await l.rightOuterJoin(r, 1).collect())).toEqual(sorted([...inner, ...rightOnly]));
        expect(sorted(await sc.parallelize<[unknown, unknown]>([], 1).rightOuterJoin(r).collect())).toEqual(
          sorted(right.map(([k, w]) => [k, [null, w]])),
        );
      });

      it('fullOuterJoin: the missing side is null', async () => {
        const l = sc.parallelize(left, 3);
        const r = sc.parallelize(right, 3);
        expect(sorted(await l.fullOuterJoin(r).collect())).toEqual(sorted([...inner, ...leftOnly, ...rightOnly]));
        expect(sorted(await l.fullOuterJoin(sc.parallelize<[unknown, unknown]>([])).collect())).toEqual(
          sorted(left.map(([k, v]) => [k, [v, null]])),
        );
      });

      it('cogroup: both sides as arrays', async () => {
        const l = sc.parallelize(left, 3);
        const r = sc.parallelize(right, 1);
        const expected = [
          [['k', 1], [[{ a: 1 }, null], [[1, [2, 3]]]]],
          [['only-left', 0], [[true], []]],
          [7, [['ñandú'], ['🎉', false]]],
          [8.5, [[[1, [2]]], []]],
          [9, [[], [{ deep: { x: 'ü' } }]]],
        ] as [unknown, [unknown[], unknown[]]][];
        expect(normalizeCogroups(await l.cogroup(r).collect())).toEqual(normalizeCogroups(expected));
        const c2 = l.cogroup(r, 2);
        expect(await c2.getNumPartitions()).toBe(2);
        expect(normalizeCogroups(await c2.collect())).toEqual(normalizeCogroups(expected));
      });

      it('join on numeric keys with many values per key gives the cross product', async () => {
        const l = sc.parallelize(range(0, 12).map((i) => [i % 3, `l${i}`] as [number, string]), 3);
        const r = sc.parallelize(range(0, 8).map((i) => [i % 4, `r${i}`] as [number, string]), 2);
        const expected: [number, [string, string]][] = [];
        for (let i = 0; i < 12; i++) for (let j = 0; j < 8; j++) if (i % 3 === j % 4) expected.push([i % 3, [`l${i}`, `r${j}`]]);
        expect(sorted(await l.join(r).collect())).toEqual(sorted(expected));
        // Key 3 is only on the right, with two values.
        expect(await l.fullOuterJoin(r).count()).toBe(expected.length + 2);
      });
    });
  });

  describe('errors', () => {
    it('a user function that throws in map rejects the action with a typed error', async () => {
      const rdd = sc.parallelize([1, 2, 3], 2).map((x) => {
        if (x === 2) throw new Error('boom at two');
        return x;
      });
      const err = await rejection(rdd.collect());
      expect(err.code).toBe('CHISPA_ERR_USER_FUNCTION');
      expect(err.operator).toBe('map');
      expect(err.message).toContain('boom at two');
      expect(String((err.cause as Error | undefined)?.message)).toContain('boom at two');
      // The same for count and take, and the context stays usable.
      expect((await rejection(rdd.count())).operator).toBe('map');
      expect(await sc.parallelize([1, 2]).map((x) => x + 1).collect()).toEqual([2, 3]);
    });

    it("reduceByKey's function that throws rejects with operator reduceByKey", async () => {
      const rdd = sc.parallelize(
        [
          ['a', 1],
          ['a', 2],
          ['b', 3],
          ['b', 4],
        ] as [string, number][],
        2,
      );
      const err = await rejection(
        rdd
          .reduceByKey((a, b) => {
            throw new TypeError(`cannot merge ${a} and ${b}`);
          })
          .collect(),
      );
      expect(err.code).toBe('CHISPA_ERR_USER_FUNCTION');
      expect(err.operator).toBe('reduceByKey');
      expect(err.message).toContain('cannot merge');
      // The merge on the reduce side (one record per key per partition, so map-side never merges).
      const spread = sc.parallelize(
        [
          ['a', 1],
          ['a', 2],
        ] as [string, number][],
        2,
      );
      const err2 = await rejection(
        spread
          .reduceByKey((a, b) => {
            throw new Error(`reduce side ${a + b}`);
          })
          .collect(),
      );
      expect(err2.code).toBe('CHISPA_ERR_USER_FUNCTION');
      expect(err2.operator).toBe('reduceByKey');
      expect(err2.message).toContain('reduce side 3');
    });

    it('other operators name themselves: filter, flatMap, mapValues, reduce', async () => {
      const nums = sc.parallelize([1, 2, 3], 3);
      const e1 = await rejection(nums.filter(() => { throw new Error('f!'); }).collect());
      expect([e1.code, e1.operator]).toEqual(['CHISPA_ERR_USER_FUNCTION', 'filter']);
      const e2 = await rejection(nums.flatMap(() => { throw new Error('fm!'); }).collect());
      expect([e2.code, e2.operator]).toEqual(['CHISPA_ERR_USER_FUNCTION', 'flatMap']);
      const e3 = await rejection(nums.map((x) => [x, x]).mapValues(() => { throw new Error('mv!'); }).collect());
      expect([e3.code, e3.operator]).toEqual(['CHISPA_ERR_USER_FUNCTION', 'mapValues']);
      expect(e3.message).toContain('mv!');
    });

    it('the operator named is the one the function was given to: sortBy, reduce', async () => {
      const e1 = await rejection(
        sc
          .parallelize([2, 1], 2)
          .sortBy((x) => {
            throw new Error(`no key for ${x}`);
          })
          .collect(),
      );
      expect(e1.code).toBe('CHISPA_ERR_USER_FUNCTION');
      expect(e1.message).toContain('no key for');
      expect(e1.operator).toBe('sortBy');
      const e2 = await rejection(
        sc.parallelize([1, 2, 3], 1).reduce(() => {
          throw new Error('no reducing');
        }),
      );
      expect(e2.code).toBe('CHISPA_ERR_USER_FUNCTION');
      expect(e2.message).toContain('no reducing');
      expect(e2.operator).toBe('reduce');
      if (master !== 'local') {
        const y = 2;
        const e3 = thrown(() => sc.parallelize([1]).sortBy((x) => x * y)) as Error & { code?: string; operator?: string };
        expect(e3.code).toBe('CHISPA_ERR_CLOSURE_CAPTURE');
        expect(e3.operator).toBe('sortBy');
        expect(e3.message).toContain('.sortBy(fn, { context: { y } })');
      }
    });

    it('a pair operation on records that are not pairs rejects, naming the operator and "pair"', async () => {
      const notPairs = sc.parallelize([1, 2, 3], 2) as unknown as RDD<[number, number]>;
      const ops: [string, () => Promise<unknown>][] = [
        ['reduceByKey', () => notPairs.reduceByKey(add).collect()],
        ['groupByKey', () => notPairs.groupByKey().collect()],
        ['combineByKey', () => notPairs.combineByKey((v) => v, (c, v) => c + v, (a, b) => a + b).collect()],
        ['mapValues', () => notPairs.mapValues((v) => v).collect()],
        ['flatMapValues', () => notPairs.flatMapValues((v) => [v]).collect()],
        ['join', () => notPairs.join(sc.parallelize<[number, number]>([[1, 1]])).collect()],
        ['leftOuterJoin', () => notPairs.leftOuterJoin(sc.parallelize<[number, number]>([[1, 1]])).collect()],
        ['cogroup', () => notPairs.cogroup(sc.parallelize<[number, number]>([[1, 1]])).collect()],
      ];
      for (const [op, run] of ops) {
        const err = await rejection(run());
        expect(err.message, op).toContain(op);
        expect(err.message, op).toMatch(/pair/);
      }
      // A 3-element array is not a pair either.
      const triples = sc.parallelize([['a', 1, 2]]) as unknown as RDD<[string, number]>;
      expect((await rejection(triples.groupByKey().collect())).message).toMatch(/groupByKey.*pair/);
    });

    it('parallelize on a stopped context throws CHISPA_ERR_ILLEGAL_STATE', async () => {
      const other = new SparkContext({ master });
      expect(await other.parallelize([1, 2]).count()).toBe(2);
      await other.stop();
      const err = thrown(() => other.parallelize([1, 2]));
      expect(err.code).toBe('CHISPA_ERR_ILLEGAL_STATE');
      expect(sc.isStopped).toBe(false);
    });
  });
});
