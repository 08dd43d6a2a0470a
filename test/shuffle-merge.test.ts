import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add } from '../src/index.js';
import { KeyMap } from '../src/exec/key-map.js';
import { mergeShuffle } from '../src/exec/shuffle-merge.js';
import { BlockSection, sealBlock } from '../src/memory/partitioned-block.js';
import { ValueWriter } from '../src/memory/value-codec.js';

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
