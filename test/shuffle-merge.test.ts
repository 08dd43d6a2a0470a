import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, SparkContext } from '../src/index.js';
import { KeyMap } from '../src/exec/key-map.js';
import { mergeShuffle } from '../src/exec/shuffle-merge.js';
import { BlockSection, sealBlock } from '../src/memory/partitioned-block.js';
import { ValueReader, ValueWriter } from '../src/memory/value-codec.js';

// The reduce side matches keys by their encoded bytes where it can; it must give exactly what
// folding the decoded records into a KeyMap gives: the same keys, combiners and order.

describe('mergeShuffle', () => {
  const key = fc.oneof(
    fc.string({ maxLength: 4 }),
    fc.constantFrom('a', 'b', 'ñ', '\ud83c', '\ufffd'),
    fc.integer({ min: -3, max: 3 }),
    fc.constantFrom(-0, 0.5, NaN, Infinity, 2 ** 40, 1n, true, false, null, undefined),
    fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 2 })),
    fc.constantFrom({ x: 1 }, [NaN], new Map([[1, 2]])),
  );
  const mapOutputs = fc.array(fc.array(fc.tuple(key, fc.integer({ min: -5, max: 5 })), { maxLength: 30 }), { minLength: 1, maxLength: 4 });

  /** Each map task's records as one section of its own block, as a shuffle writer leaves them. */
  const sectionsOf = (outputs: [unknown, number][][]): BlockSection[] =>
    outputs.map((records) => {
      const w = new ValueWriter(64);
      for (const [k, v] of records) {
        w.write(k);
        w.write(v);
      }
      return new BlockSection(sealBlock([w], [records.length]), 0);
    });

  it('folds combiners as a KeyMap does, key for key and in the same order', () => {
    fc.assert(
      fc.property(mapOutputs, (outputs) => {
        const got: unknown[] = [];
        mergeShuffle(sectionsOf(outputs), { kind: 'combine', merge: add, mergeCombiners: add, op: 'reduceByKey' }, { push: (x) => void got.push(x), end() {} });
        const expected = new KeyMap<number>();
        for (const section of sectionsOf(outputs)) {
          for (let i = 0; i < section.count; i++) {
            const k = section.reader.read();
            const c = section.reader.read() as number;
            const so = expected.get(k);
            expected.set(k, so === undefined ? c : so + c);
          }
        }
        expect(got).toEqual([...expected.entries()]);
        // A consumer taking encoded keys gets the same records, keys undecoded.
        const encoded: unknown[] = [];
        const pushEncoded = (bytes: Uint8Array, start: number, end: number, c: unknown) =>
          void encoded.push([new ValueReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), start, end).read(), c]);
        mergeShuffle(sectionsOf(outputs), { kind: 'combine', merge: add, mergeCombiners: add, op: 'reduceByKey' }, { push: () => expect.unreachable(), pushEncoded, end() {} });
        expect(encoded).toEqual(got);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same with thousands of distinct keys (its key columns grow), kept block included', () => {
    // More distinct keys than the merger's first columns hold, strings with multi-byte and lone
    // surrogate characters among numbers, floats and tuples, spread over up to 5 map outputs.
    const manyKeys = fc.oneof(
      { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'ñ', '語', '\ud83d\ude00', '\ud83c'), maxLength: 7 }) },
      { weight: 2, arbitrary: fc.integer({ min: -5000, max: 5000 }) },
      { weight: 1, arbitrary: fc.double({ noNaN: false }) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', 'y'), fc.integer({ min: 0, max: 50 })) },
    );
    const big = fc.array(fc.array(fc.tuple(manyKeys, fc.integer({ min: -5, max: 5 })), { minLength: 500, maxLength: 1500 }), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(big, (outputs) => {
        const agg = { kind: 'combine', merge: add, mergeCombiners: add, op: 'reduceByKey' } as const;
        const got: unknown[] = [];
        const kept = mergeShuffle(sectionsOf(outputs), agg, { push: (x) => void got.push(x), end() {} }, true);
        const expected = new KeyMap<number>();
        for (const records of outputs) {
          // The oracle folds the decoded records: -0 is written as 0, so it is a 0 key here too.
          for (const [k0, c] of records) {
            const k = Object.is(k0, -0) ? 0 : k0;
            const so = expected.get(k);
            expected.set(k, so === undefined ? c : so + c);
          }
        }
        expect(got).toEqual([...expected.entries()]);
        const block = new BlockSection(kept!, 0);
        expect(Array.from({ length: block.count }, () => block.reader.read())).toEqual(got);
      }),
      { numRuns: 25 },
    );
  });

  it('concatenates a group\'s values from every map task as a KeyMap fold does', () => {
    const values = fc.array(fc.oneof(fc.integer(), fc.constantFrom(1, 1, 1, 2 ** 31 - 1, -(2 ** 31), 0.5, 'ñ', null, [1, 'a'], { x: 2 })), { minLength: 1, maxLength: 6 });
    const outputs = fc.array(fc.array(fc.tuple(key, values), { maxLength: 20 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(outputs, (maps) => {
        const got: unknown[] = [];
        mergeShuffle(sectionsOf(maps as never), { kind: 'group', op: 'groupByKey' }, { push: (x) => void got.push(x), end() {} });
        const expected = new KeyMap<unknown[]>();
        for (const section of sectionsOf(maps as never)) {
          for (let i = 0; i < section.count; i++) {
            const k = section.reader.read();
            const vs = section.reader.read() as unknown[];
            expected.set(k, [...(expected.get(k) ?? []), ...vs]);
          }
        }
        expect(got).toEqual([...expected.entries()]);
      }),
      { numRuns: 300 },
    );
  });

  it('groups values of a key from every map task, in map-task order', () => {
    const sections = sectionsOf([
      [['a', [1]], [1, [2]]],
      [[1, [3]], ['a', [4, 5]], [['t', 1], [6]]],
    ] as never);
    const got: unknown[] = [];
    mergeShuffle(sections, { kind: 'group', op: 'groupByKey' }, { push: (x) => void got.push(x), end() {} });
    expect(got).toEqual([['a', [1, 4, 5]], [1, [2, 3]], [['t', 1], [6]]]);
  });
});

describe('keeping a merged partition', () => {
  const sections = () => {
    const w = new ValueWriter(64);
    for (const [k, v] of [['a', 1], [2, 2], [['t'], 3], ['a', 4], [NaN, 5]] as const) {
      w.write(k);
      w.write(v);
    }
    return [new BlockSection(sealBlock([w], [5]), 0)];
  };
  const merge = (mergeCombiners: (a: any, b: any) => unknown) => {
    const got: unknown[] = [];
    const kept = mergeShuffle(sections(), { kind: 'combine', merge: mergeCombiners, mergeCombiners, op: 'reduceByKey' }, { push: (x) => void got.push(x), end() {} }, true);
    return { got, kept };
  };

  it('returns a block of exactly the records it pushed, in order', () => {
    const { got, kept } = merge(add);
    const block = new BlockSection(kept!, 0);
    expect(Array.from({ length: block.count }, () => block.reader.read())).toEqual(got);
    expect(got).toEqual([['a', 5], [2, 2], [NaN, 5], [['t'], 3]]);
  });

  it('keeps nothing when a combiner would not decode back as it is', () => {
    expect(merge(() => -0).kept).toBeUndefined();
    expect(merge((a, b) => ({ sum: Number(a) + Number(b) })).kept).toBeUndefined();
  });
});

describe('jobs over one shuffle under local', () => {
  it('merge it once: the first job keeps the merged partitions, later ones read them', async () => {
    const sc = new SparkContext({ master: 'local' });
    try {
      let calls = 0;
      const pairs = sc.parallelize(['a', 'b', 'a', 'c', 'a', 'b'], 3).map((w) => [w, 1] as [string, number]);
      const counted = pairs.reduceByKey((x, y) => (calls++, x + y), 2);
      expect(await counted.count()).toBe(3);
      const afterFirst = calls;
      expect(afterFirst).toBeGreaterThan(0);
      expect((await counted.collect()).sort()).toEqual([['a', 3], ['b', 2], ['c', 1]]);
      expect(await counted.mapValues((v) => v * 10).collect()).toEqual((await counted.collect()).map(([k, v]) => [k, v * 10]));
      expect(calls).toBe(afterFirst);
      // Combiners that would not decode back as they are merge again in every job.
      let objectCalls = 0;
      const boxed = pairs.combineByKey((v) => ({ n: v }), (c, v) => ({ n: c.n + v }), (c1, c2) => (objectCalls++, { n: c1.n + c2.n }), 2);
      await boxed.count();
      const once = objectCalls;
      expect((await boxed.collect()).map(([k, c]) => [k, c.n]).sort()).toEqual([['a', 3], ['b', 2], ['c', 1]]);
      expect(objectCalls).toBe(2 * once);
    } finally {
      await sc.stop();
    }
  });
});
