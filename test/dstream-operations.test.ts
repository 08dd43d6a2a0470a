import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, SparkContext, type BatchInfo, type DStream, type RDD, type StreamingContext } from '../src/index.js';
import { withCapturedLog } from './helpers/log.js';
import { MASTERS, runBatches, sorted } from './helpers/streaming.js';

// Every DStream operation under both masters, driven by queue streams on a manual clock and
// checked batch by batch against what PySpark gives for the same program. Under `local[2]`
// functions travel by source: no lambda given to an operator reads a variable of its scope.

/** Names that exist only in a function's `{ context }`, declared so the test type-checks. */
declare const factor: number;
declare const modulus: number;

type Pair<K, V> = [K, V];

/** Sorts each group's values (their order within a group is not defined), then the groups. */
function normalizeGroups<K, V>(rows: readonly [K, V[]][]): [K, V[]][] {
  return sorted(rows.map(([k, vs]) => [k, sorted(vs)] as [K, V[]]));
}

function normalizeCogroups<K, V, W>(rows: readonly [K, [V[], W[]]][]): [K, [V[], W[]]][] {
  return sorted(rows.map(([k, [vs, ws]]) => [k, [sorted(vs), sorted(ws)]] as [K, [V[], W[]]]));
}

/** What PySpark's WordCount gives for one batch of lines: split(' '), pair with 1, sum. */
function wordCountOracle(lines: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const line of lines) for (const w of line.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts];
}

describe.each(MASTERS)('DStream operations under %s', (master) => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master });
  });
  afterAll(() => sc.stop());

  const nums = [[1, 2, 3, 4, 5], [10, 20], [], [7]];

  describe('element-wise', () => {
    it('map', async () => {
      const { outputs, times } = await runBatches(sc, 5, (ssc) => ssc.queueStream(nums).map((x) => x * 10));
      expect(outputs).toEqual([[10, 20, 30, 40, 50], [100, 200], [], [70], []]);
      expect(times).toEqual([1000, 2000, 3000, 4000, 5000]);
    });

    it('map to a pair gives a pair stream', async () => {
      const { outputs } = await runBatches(sc, 3, (ssc) =>
        ssc
          .queueStream([['a', 'bb', 'a'], ['ccc'], []])
          .map((w) => [w, w.length])
          .reduceByKey(add),
      );
      expect(outputs.map((o) => sorted(o))).toEqual([
        [
          ['a', 2],
          ['bb', 2],
        ],
        [['ccc', 3]],
        [],
      ]);
    });

    it('flatMap', async () => {
      const { outputs } = await runBatches(sc, 4, (ssc) =>
        ssc.queueStream([['a b', 'c'], ['', 'ñandú 🎉 ñandú'], []]).flatMap((line) => line.split(' ')),
      );
      expect(outputs).toEqual([['a', 'b', 'c'], ['', 'ñandú', '🎉', 'ñandú'], [], []]);
    });

    it('filter', async () => {
      const { outputs } = await runBatches(sc, 4, (ssc) => ssc.queueStream(nums).filter((x) => x % 2 === 0));
      expect(outputs).toEqual([[2, 4], [10, 20], [], []]);
    });

    it('mapPartitions sees each partition of each batch', async () => {
      const { outputs } = await runBatches(sc, 3, (ssc) => {
        const s = ssc.queueStream([[1, 2, 3, 4, 5, 6], [9]]);
        const doubled = s.mapPartitions((it) => [...it].map((x) => x * 2));
        const sizes = s.mapPartitions(function* (it) {
          let n = 0;
          for (const _ of it) n++;
          yield -n; // negative, to tell sizes from the doubled records
        });
        return doubled.union(sizes);
      });
      const p = sc.defaultParallelism;
      const [b1, b2, b3] = outputs;
      expect(b1.filter((x) => x > 0)).toEqual([2, 4, 6, 8, 10, 12]);
      expect(b1.filter((x) => x <= 0)).toHaveLength(p);
      expect(b1.filter((x) => x <= 0).reduce((a, b) => a + b, 0)).toBe(-6);
      expect(b2.filter((x) => x > 0)).toEqual([18]);
      expect(b2.filter((x) => x <= 0).reduce((a, b) => a + b, 0)).toBe(-1);
      // Drained queue: no partitions, so no per-partition record either.
      expect(b3).toEqual([]);
    });

    it('glom: one array per partition; the arrays flatten to the batch', async () => {
      const batches = [[1, 2, 3, 4, 5], ['x'], []] as (number | string)[][];
      const { outputs } = await runBatches(sc, 3, (ssc) => ssc.queueStream(batches).glom());
      for (const [i, batch] of batches.entries()) {
        expect(outputs[i]).toHaveLength(sc.defaultParallelism);
        expect(outputs[i].flat()).toEqual(batch);
      }
    });

    it('repartition(n): records kept, n partitions', async () => {
      const batches = [Array.from({ length: 30 }, (_, i) => i), [5, 6], []];
      for (const n of [1, 3]) {
        const { outputs } = await runBatches(sc, 3, (ssc) => ssc.queueStream(batches).repartition(n).glom());
        for (const [i, batch] of batches.entries()) {
          expect(outputs[i]).toHaveLength(n);
          expect(sorted(outputs[i].flat())).toEqual(sorted(batch));
        }
      }
    });

    it('repartition rejects a non-positive count at definition', async () => {
      await runBatches(sc, 1, (ssc) => {
        const s = ssc.queueStream([[1]]);
        expect(() => s.repartition(0)).toThrow(expect.objectContaining({ code: 'CHISPA_ERR_ILLEGAL_ARGUMENT' }));
        return s;
      });
    });
  });

  describe('combining streams', () => {
    it('union: batch by batch, one side empty in some batches', async () => {
      const { outputs, infos } = await runBatches(sc, 4, (ssc) => {
        const a = ssc.queueStream([[1, 2], [], [3]]);
        const b = ssc.queueStream([[100], [200, 300], []]);
        return a.union(b);
      });
      expect(outputs).toEqual([[1, 2, 100], [200, 300], [3], []]);
      // Both inputs' records count.
      expect(infos.map((i) => i.numRecords)).toEqual([3, 2, 1, 0]);
    });

    it('union of a stream with itself doubles it', async () => {
      const { outputs } = await runBatches(sc, 2, (ssc) => {
        const a = ssc.queueStream([[1, 2], [3]]).map((x) => x + 1);
        return a.union(a);
      });
      expect(outputs.map((o) => sorted(o))).toEqual([
        [2, 2, 3, 3],
        [4, 4],
      ]);
    });

    it('transform((rdd, time) => rdd) is the identity, with the batch time', async () => {
      const seen: number[] = [];
      const { outputs } = await runBatches(sc, 4, (ssc) =>
        ssc.queueStream(nums).transform((rdd, time) => {
          seen.push(time);
          return rdd;
        }),
      );
      expect(outputs).toEqual([[1, 2, 3, 4, 5], [10, 20], [], [7]]);
      expect(seen).toEqual([1000, 2000, 3000, 4000]);
    });

    it('transform may use any RDD operation, the time included', async () => {
      const { outputs } = await runBatches(sc, 3, (ssc) =>
        ssc.queueStream([[3, 1, 2], [9, 8]]).transform((rdd, time) => rdd.sortBy((x) => x).map((x) => x * 1000).union(sc.parallelize([time]))),
      );
      expect(outputs).toEqual([
        [1000, 2000, 3000, 1000],
        [8000, 9000, 2000],
        [3000],
      ]);
    });

    it('transformWith(other, (a, b, time) => …) combines both RDDs of each batch', async () => {
      const seen: number[] = [];
      const { outputs } = await runBatches(sc, 4, (ssc) => {
        const a = ssc.queueStream([[['k', 1]], [['k', 2], ['j', 3]], []] as Pair<string, number>[][]);
        const b = ssc.queueStream([[['k', 'x']], [], [['j', 'y']]] as Pair<string, string>[][]);
        return a.transformWith(b, (ra, rb, time) => {
          seen.push(time);
          // `time` is a driver-side variable: on a pool it must travel in the context.
          return ra.fullOuterJoin(rb).map(([k, [v, w]]) => [k, v, w, time], { context: { time } });
        });
      });
      expect(outputs.map((o) => sorted(o))).toEqual([
        [['k', 1, 'x', 1000]],
        sorted([
          ['k', 2, null, 2000],
          ['j', 3, null, 2000],
        ]),
        [['j', null, 'y', 3000]],
        [],
      ]);
      expect(seen).toEqual([1000, 2000, 3000, 4000]);
    });

    it('transformWith between streams of different types', async () => {
      const { outputs } = await runBatches(sc, 2, (ssc) => {
        const words = ssc.queueStream([['a', 'b'], ['c']]);
        const lengths = ssc.queueStream([[1], [2, 3]]);
        return words.transformWith(lengths, (w, l) => w.map((s) => s.length).union(l));
      });
      expect(outputs).toEqual([
        [1, 1, 1],
        [1, 2, 3],
      ]);
    });
  });

  describe('aggregations', () => {
    it('count, 0 for an empty batch and for a drained queue', async () => {
      const { outputs } = await runBatches(sc, 5, (ssc) => ssc.queueStream(nums).count());
      expect(outputs).toEqual([[5], [2], [0], [1], [0]]);
    });

    it('countByValue: [value, count] per distinct record', async () => {
      const { outputs } = await runBatches(sc, 3, (ssc) =>
        ssc.queueStream([['a', 'b', 'a', 'ñandú', 'a'], ['🎉', '🎉'], []] as string[][]).countByValue(),
      );
      expect(outputs.map((o) => sorted(o))).toEqual([
        sorted([
          ['a', 3],
          ['b', 1],
          ['ñandú', 1],
        ]),
        [['🎉', 2]],
        [],
      ]);
    });

    it('countByValue counts compound records by value', async () => {
      const { outputs } = await runBatches(sc, 1, (ssc) =>
        ssc
          .queueStream([
            [
              ['a', 1],
              ['a', 1],
              ['b', 2],
            ],
          ])
          .countByValue(),
      );
      expect(sorted(outputs[0])).toEqual([
        [['a', 1], 2],
        [['b', 2], 1],
      ]);
    });

    it('reduce: one record per non-empty batch, none for an empty one', async () => {
      const { outputs } = await runBatches(sc, 5, (ssc) => ssc.queueStream(nums).reduce(add));
      expect(outputs).toEqual([[15], [30], [], [7], []]);
      const max = await runBatches(sc, 2, (ssc) => ssc.queueStream([[3, 9, 4], [-1]]).reduce((a, b) => Math.max(a, b)));
      expect(max.outputs).toEqual([[9], [-1]]);
    });

    it('reduceByKey, with default and explicit numPartitions', async () => {
      const batches: Pair<string, number>[][] = [
        [
          ['a', 1],
          ['b', 2],
          ['a', 3],
          ['c', 4],
          ['a', 5],
        ],
        [
          ['b', 10],
          ['b', 20],
        ],
        [],
      ];
      const expected = [
        [
          ['a', 9],
          ['b', 2],
          ['c', 4],
        ],
        [['b', 30]],
        [],
      ];
      const dflt = await runBatches(sc, 3, (ssc) => ssc.queueStream(batches).reduceByKey(add).glom());
      for (let i = 0; i < 3; i++) {
        // As Spark's default partitioner: the parent's partitions (one per thread for a queue batch).
        expect(dflt.outputs[i]).toHaveLength(sc.defaultParallelism);
        expect(sorted(dflt.outputs[i].flat())).toEqual(expected[i]);
      }
      for (const n of [1, 3]) {
        const r = await runBatches(sc, 3, (ssc) => ssc.queueStream(batches).reduceByKey((a, b) => a + b, n).glom());
        for (let i = 0; i < 3; i++) {
          expect(r.outputs[i]).toHaveLength(n);
          expect(sorted(r.outputs[i].flat())).toEqual(expected[i]);
        }
      }
      const opts = await runBatches(sc, 3, (ssc) => ssc.queueStream(batches).reduceByKey(add, { numPartitions: 4 }).glom());
      expect(opts.outputs.map((o) => o.length)).toEqual([4, 4, 4]);
      expect(opts.outputs.map((o) => sorted(o.flat()))).toEqual(expected);
    });

    it('reduceByKey with tuple keys compares keys by value', async () => {
      const { outputs } = await runBatches(sc, 2, (ssc) =>
        ssc
          .queueStream([
            [
              [['a', 1], 1],
              [['a', 1], 2],
              [['a', 2], 4],
            ],
            [[['🎉', 0], 8]],
          ] as Pair<[string, number], number>[][])
          .reduceByKey(add, 2),
      );
      expect(sorted(outputs[0])).toEqual([
        [['a', 1], 3],
        [['a', 2], 4],
      ]);
      expect(outputs[1]).toEqual([[['🎉', 0], 8]]);
    });

    it('groupByKey: arrays of values', async () => {
      const { outputs } = await runBatches(sc, 3, (ssc) =>
        ssc
          .queueStream([
            [
              [1, 'a'],
              [2, 'b'],
              [1, 'c'],
              [1, 'ñandú'],
            ],
            [[3, { x: [null, true] }]],
            [],
          ] as Pair<number, unknown>[][])
          .groupByKey(),
      );
      expect(normalizeGroups(outputs[0])).toEqual(
        normalizeGroups<number, unknown>([
          [1, ['a', 'c', 'ñandú']],
          [2, ['b']],
        ]),
      );
      expect(outputs[1]).toEqual([[3, [{ x: [null, true] }]]]);
      expect(outputs[2]).toEqual([]);
      const g3 = await runBatches(sc, 1, (ssc) =>
        ssc
          .queueStream([
            [
              [1, 'a'],
              [2, 'b'],
            ],
          ] as Pair<number, string>[][])
          .groupByKey(3)
          .glom(),
      );
      expect(g3.outputs[0]).toHaveLength(3);
    });

    it('combineByKey: average per key with [sum, count] combiners', async () => {
      const { outputs } = await runBatches(sc, 3, (ssc) =>
        ssc
          .queueStream([
            [
              ['ana', 10],
              ['luis', 4],
              ['ana', 20],
              ['luis', 6],
              ['ana', 30],
            ],
            [['ñandú', 7]],
            [],
          ] as Pair<string, number>[][])
          .combineByKey(
            (v) => [v, 1] as [number, number],
            (c, v) => [c[0] + v, c[1] + 1] as [number, number],
            (a, b) => [a[0] + b[0], a[1] + b[1]] as [number, number],
          )
          .mapValues(([s, n]) => s / n),
      );
      expect(outputs.map((o) => sorted(o))).toEqual([
        [
          ['ana', 20],
          ['luis', 5],
        ],
        [['ñandú', 7]],
        [],
      ]);
    });

    it('mapValues and flatMapValues keep the keys', async () => {
      const batches: Pair<string, string>[][] = [
        [
          ['a', 'x y'],
          ['b', ''],
        ],
        [['ñ', '🎉 🎉 z']],
        [],
      ];
      const mv = await runBatches(sc, 3, (ssc) => ssc.queueStream(batches).mapValues((v) => v.length));
      expect(mv.outputs).toEqual([
        [
          ['a', 3],
          ['b', 0],
        ],
        [['ñ', 7]],
        [],
      ]);
      const fmv = await runBatches(sc, 3, (ssc) => ssc.queueStream(batches).flatMapValues((v) => v.split(' ')));
      expect(fmv.outputs).toEqual([
        [
          ['a', 'x'],
          ['a', 'y'],
          ['b', ''],
        ],
        [
          ['ñ', '🎉'],
          ['ñ', '🎉'],
          ['ñ', 'z'],
        ],
        [],
      ]);
    });
  });

  describe('joins and cogroup', () => {
    // Batch 1: keys on both sides and on one side only; batch 2: other data; batch 3: right side
    // empty; batch 4: left side empty; batch 5: both drained.
    const left: Pair<string, number>[][] = [
      [
        ['a', 1],
        ['b', 2],
        ['a', 3],
      ],
      [
        ['c', 4],
        ['d', 5],
      ],
      [['e', 6]],
      [],
    ];
    const right: Pair<string, string>[][] = [
      [
        ['a', 'x'],
        ['c', 'y'],
      ],
      [
        ['c', 'z'],
        ['c', 'w'],
      ],
      [],
      [['f', 'v']],
    ];

    function streams(ssc: StreamingContext) {
      return { l: ssc.queueStream(left), r: ssc.queueStream(right) };
    }

    it('join', async () => {
      const { outputs } = await runBatches(sc, 5, (ssc) => {
        const { l, r } = streams(ssc);
        return l.join(r);
      });
      expect(outputs.map((o) => sorted(o))).toEqual([
        sorted([
          ['a', [1, 'x']],
          ['a', [3, 'x']],
        ]),
        sorted([
          ['c', [4, 'z']],
          ['c', [4, 'w']],
        ]),
        [],
        [],
        [],
      ]);
    });

    it('leftOuterJoin: null for a missing right side', async () => {
      const { outputs } = await runBatches(sc, 5, (ssc) => {
        const { l, r } = streams(ssc);
        return l.leftOuterJoin(r);
      });
      expect(outputs.map((o) => sorted(o))).toEqual([
        sorted([
          ['a', [1, 'x']],
          ['a', [3, 'x']],
          ['b', [2, null]],
        ]),
        sorted([
          ['c', [4, 'z']],
          ['c', [4, 'w']],
          ['d', [5, null]],
        ]),
        [['e', [6, null]]],
        [],
        [],
      ]);
    });

    it('rightOuterJoin: null for a missing left side', async () => {
      const { outputs } = await runBatches(sc, 5, (ssc) => {
        const { l, r } = streams(ssc);
        return l.rightOuterJoin(r);
      });
      expect(outputs.map((o) => sorted(o))).toEqual([
        sorted([
          ['a', [1, 'x']],
          ['a', [3, 'x']],
          ['c', [null, 'y']],
        ]),
        sorted([
          ['c', [4, 'z']],
          ['c', [4, 'w']],
        ]),
        [],
        [['f', [null, 'v']]],
        [],
      ]);
    });

    it('fullOuterJoin: null for the missing side', async () => {
      const { outputs } = await runBatches(sc, 5, (ssc) => {
        const { l, r } = streams(ssc);
        return l.fullOuterJoin(r, 3);
      });
      expect(outputs.map((o) => sorted(o))).toEqual([
        sorted([
          ['a', [1, 'x']],
          ['a', [3, 'x']],
          ['b', [2, null]],
          ['c', [null, 'y']],
        ]),
        sorted([
          ['c', [4, 'z']],
          ['c', [4, 'w']],
          ['d', [5, null]],
        ]),
        [['e', [6, null]]],
        [['f', [null, 'v']]],
        [],
      ]);
    });

    it('cogroup: both sides as arrays', async () => {
      const { outputs } = await runBatches(sc, 5, (ssc) => {
        const { l, r } = streams(ssc);
        return l.cogroup(r);
      });
      expect(outputs.map((o) => normalizeCogroups(o))).toEqual([
        normalizeCogroups<string, number, string>([
          ['a', [[1, 3], ['x']]],
          ['b', [[2], []]],
          ['c', [[], ['y']]],
        ]),
        normalizeCogroups<string, number, string>([
          ['c', [[4], ['z', 'w']]],
          ['d', [[5], []]],
        ]),
        [['e', [[6], []]]],
        [['f', [[], ['v']]]],
        [],
      ]);
    });

    it('join with numPartitions gives that many partitions', async () => {
      const { outputs } = await runBatches(sc, 2, (ssc) => {
        const { l, r } = streams(ssc);
        return l.join(r, 2).glom();
      });
      expect(outputs.map((o) => o.length)).toEqual([2, 2]);
      expect(outputs.map((o) => sorted(o.flat()))).toEqual([
        sorted([
          ['a', [1, 'x']],
          ['a', [3, 'x']],
        ]),
        sorted([
          ['c', [4, 'z']],
          ['c', [4, 'w']],
        ]),
      ]);
    });
  });

  describe('output', () => {
    it('foreachRDD with an async function: each batch waits for it, in order', async () => {
      const events: string[] = [];
      const seen: [number, number[]][] = [];
      const { outputs, infos } = await runBatches(sc, 3, (ssc) => {
        const s = ssc.queueStream([[1, 2], [3]]).map((x) => x * 2);
        s.foreachRDD(async (rdd, time) => {
          events.push(`start ${time}`);
          const rows = await rdd.collect();
          await new Promise<void>((r) => setImmediate(r));
          seen.push([time, rows]);
          events.push(`end ${time}`);
        });
        ssc.addStreamingListener({ onBatchCompleted: (i) => void events.push(`completed ${i.batchTime}`) });
        return s;
      });
      expect(seen).toEqual([
        [1000, [2, 4]],
        [2000, [6]],
        [3000, []],
      ]);
      expect(outputs).toEqual([[2, 4], [6], []]);
      expect(events).toEqual(['start 1000', 'end 1000', 'completed 1000', 'start 2000', 'end 2000', 'completed 2000', 'start 3000', 'end 3000', 'completed 3000']);
      expect(infos.every((i) => i.failures.length === 0)).toBe(true);
    });

    it('a function that throws fails its batch with a typed error, and the next batches still run', async () => {
      const { result: { outputs, infos }, log } = await withCapturedLog(() =>
        runBatches(sc, 3, (ssc) =>
          ssc.queueStream([[1, 2], [13], [3]]).map((x) => {
            if (x === 13) throw new Error('unlucky 13');
            return x;
          }),
        ),
      );
      // Nobody awaits the context, so the failure is logged too.
      expect(log.messages('ERROR')).toEqual(['batch failed: map: unlucky 13']);
      expect(outputs).toEqual([[1, 2], [3]]);
      expect(infos.map((i) => i.failures.length)).toEqual([0, 1, 0]);
      const failure = infos[1].failures[0] as Error & { code?: string; operator?: string };
      expect(failure.code).toBe('CHISPA_ERR_USER_FUNCTION');
      expect(failure.operator).toBe('map');
      expect(failure.message).toContain('unlucky 13');
    });

    it('a driver-side transform or foreachRDD that throws fails only its batch, naming the operator', async () => {
      const failures: Error[] = [];
      const { result: { outputs, infos }, log } = await withCapturedLog(() =>
        runBatches(sc, 3, (ssc) => {
          const s = ssc.queueStream([[1], [2], [3]]).transform((rdd, time) => {
            if (time === 2000) throw new Error('bad transform');
            return rdd;
          });
          s.foreachRDD((rdd, time) => {
            if (time === 3000) throw new Error('bad output');
          });
          return s;
        }),
      );
      expect(log.messages('ERROR')).toEqual(['batch failed: transform: bad transform', 'batch failed: foreachRDD: bad output']);
      for (const i of infos) failures.push(...i.failures);
      expect(outputs).toEqual([[1], [3]]);
      expect(infos.map((i) => i.failures.length)).toEqual([0, 1, 1]);
      const [t, f] = failures as (Error & { code?: string; operator?: string })[];
      expect([t.code, t.operator]).toEqual(['CHISPA_ERR_USER_FUNCTION', 'transform']);
      expect(t.message).toContain('bad transform');
      expect([f.code, f.operator]).toEqual(['CHISPA_ERR_USER_FUNCTION', 'foreachRDD']);
      expect(f.message).toContain('bad output');
    });

    it("reduce's function that throws is reported under the operator 'reduce'", async () => {
      const { result: { infos }, log } = await withCapturedLog(() =>
        runBatches(sc, 1, (ssc) =>
          ssc.queueStream([[1, 2, 3]]).reduce(() => {
            throw new Error('no reducing');
          }),
        ),
      );
      expect(log.messages('ERROR')).toEqual(['batch failed: reduce: no reducing']);
      const failure = infos[0].failures[0] as Error & { code?: string; operator?: string };
      expect(failure.code).toBe('CHISPA_ERR_USER_FUNCTION');
      expect(failure.message).toContain('no reducing');
      expect(failure.operator).toBe('reduce');
    });
  });

  describe('queueStream', () => {
    it('oneAtATime: one queued batch per batch; then empty batches; numRecords as queued', async () => {
      const { outputs, infos } = await runBatches(sc, 5, (ssc) => ssc.queueStream(nums));
      expect(outputs).toEqual([[1, 2, 3, 4, 5], [10, 20], [], [7], []]);
      expect(infos.map((i) => i.numRecords)).toEqual([5, 2, 0, 1, 0]);
      expect(infos.map((i) => i.batchTime)).toEqual([1000, 2000, 3000, 4000, 5000]);
    });

    it('oneAtATime = false: the first batch takes everything queued', async () => {
      const { outputs, infos } = await runBatches(sc, 3, (ssc) => ssc.queueStream(nums, false));
      expect(outputs).toEqual([[1, 2, 3, 4, 5, 10, 20, 7], [], []]);
      expect(infos.map((i) => i.numRecords)).toEqual([8, 0, 0]);
    });

    it('defaultBatch once drained', async () => {
      const { outputs, infos } = await runBatches(sc, 4, (ssc) => ssc.queueStream([[1], [2, 3]], true, [9, 9]));
      expect(outputs).toEqual([[1], [2, 3], [9, 9], [9, 9]]);
      expect(infos.map((i) => i.numRecords)).toEqual([1, 2, 2, 2]);
      const all = await runBatches(sc, 3, (ssc) => ssc.queueStream([[1], [2, 3]], false, [0]));
      expect(all.outputs).toEqual([[1, 2, 3], [0], [0]]);
      const rddDefault = await runBatches(sc, 2, (ssc) => ssc.queueStream<string>([], true, sc.parallelize(['d'])));
      expect(rddDefault.outputs).toEqual([['d'], ['d']]);
    });

    it('items may be RDDs', async () => {
      const { outputs } = await runBatches(sc, 4, (ssc) =>
        ssc.queueStream<number>([sc.parallelize([1, 2], 3), [3], sc.parallelize([4, 5, 6]).map((x) => x * 10)]).map((x) => x + 1),
      );
      expect(outputs).toEqual([[2, 3], [4], [41, 51, 61], []]);
      const all = await runBatches(sc, 2, (ssc) => ssc.queueStream<number>([sc.parallelize([1]), [2], sc.parallelize([3])], false).count());
      expect(all.outputs).toEqual([[3], [0]]);
    });

    it('the queue is copied at definition', async () => {
      const queue = [[1], [2]];
      const { outputs } = await runBatches(sc, 3, (ssc) => {
        const s = ssc.queueStream(queue);
        queue.push([3]);
        return s;
      });
      expect(outputs).toEqual([[1], [2], []]);
    });
  });

  describe('programs', () => {
    it('the seed WordCount gives the oracle counts for every batch', async () => {
      const batches = [
        ['to be or not to be', 'that is the question'],
        ['el niño comió ñandú', 'el  niño', ' ', 'emoji 🎉 🎉', ''],
        [],
        ['a a a a', 'b', 'a b c'],
      ];
      const { outputs, infos } = await runBatches(sc, 5, (ssc) => {
        const lines = ssc.queueStream(batches);
        // No casts: `[word, 1]` is inferred as a pair, so reduceByKey(add) type-checks.
        const counts = lines.flatMap((line) => line.split(' ')).map((word) => [word, 1]).reduceByKey(add);
        const typed: DStream<[string, number]> = counts;
        return typed;
      });
      for (const [i, batch] of [...batches, []].entries()) {
        expect(sorted(outputs[i]), `batch ${i}`).toEqual(sorted(wordCountOracle(batch)));
      }
      expect(infos.map((i) => i.numRecords)).toEqual([2, 5, 0, 3, 0]);
    });

    it('functions may take values through { context }', async () => {
      const mapped = await runBatches(sc, 3, (ssc) => ssc.queueStream(nums).map((x) => x * factor, { context: { factor: 3 } }));
      expect(mapped.outputs).toEqual([[3, 6, 9, 12, 15], [30, 60], []]);
      const reduced = await runBatches(sc, 2, (ssc) =>
        ssc
          .queueStream([
            [
              ['a', 5],
              ['a', 4],
              ['b', 9],
            ],
            [['a', 1]],
          ] as Pair<string, number>[][])
          .reduceByKey((a, b) => (a + b) % modulus, { context: { modulus: 7 } }),
      );
      expect(reduced.outputs.map((o) => sorted(o))).toEqual([
        [
          ['a', 2],
          ['b', 9],
        ],
        [['a', 1]],
      ]);
      const withParts = await runBatches(sc, 1, (ssc) =>
        ssc
          .queueStream([
            [
              ['a', 5],
              ['a', 4],
            ],
          ] as Pair<string, number>[][])
          .reduceByKey((a, b) => (a + b) % modulus, { numPartitions: 3, context: { modulus: 7 } })
          .glom(),
      );
      expect(withParts.outputs[0]).toHaveLength(3);
      expect(withParts.outputs[0].flat()).toEqual([['a', 2]]);
    });

    it('a chain of operations over several batches', async () => {
      const { outputs } = await runBatches(sc, 3, (ssc) =>
        ssc
          .queueStream([['the cat', 'the dog'], ['a cat'], []])
          .flatMap((l) => l.split(' '))
          .filter((w) => w !== 'a')
          .map((w) => [w.length, w])
          .groupByKey()
          .mapValues((ws) => ws.length)
          .transform((rdd: RDD<[number, number]>) => rdd.sortBy((p) => p[0])),
      );
      expect(outputs).toEqual([
        [
          [3, 4],
        ],
        [[3, 1]],
        [],
      ]);
    });
  });

  it('BatchInfo numRecords, batch times and no failures for a plain run', async () => {
    const infos: BatchInfo[] = (await runBatches(sc, 4, (ssc) => ssc.queueStream([[1, 2, 3], [], [4]]).map((x) => x))).infos;
    expect(infos.map((i) => [i.batchTime, i.numRecords, i.failures.length])).toEqual([
      [1000, 3, 0],
      [2000, 0, 0],
      [3000, 1, 0],
      [4000, 0, 0],
    ]);
  });
});
