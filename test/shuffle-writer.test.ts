import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add } from '../src/index.js';
import { KeyMap } from '../src/exec/key-map.js';
import { partitionOfEncoded } from '../src/exec/partition-hash.js';
import { createSink } from '../src/exec/sinks.js';
import { sealBlock } from '../src/memory/partitioned-block.js';
import { ValueReader, ValueWriter } from '../src/memory/value-codec.js';
import type { Aggregator } from '../src/plan/task.js';

// The map side of a keyed shuffle must write, byte for byte, the block a plain oracle writes:
// fold the records by key into a KeyMap (values appended for groups, `mergeValue` for combines),
// then encode each key and combiner with the value codec into the section its key hashes to.
// What the writer does faster (runs of equal values kept as a count, keys and values encoded
// once, no generator per key) must not show in a single byte.

const P = 3;

/** The oracle: the block as the shuffle writer wrote it before it held runs. */
function oracleBlock(records: [unknown, unknown][], agg: Aggregator): Buffer {
  const combiners = new KeyMap<unknown>();
  for (const [k, v] of records) {
    const c = combiners.get(k);
    if (agg.kind === 'group') combiners.set(k, c === undefined ? [v] : [...(c as unknown[]), v]);
    else if (agg.kind === 'cogroup') {
      const [side, x] = v as [number, unknown];
      const s = (c as unknown[][] | undefined) ?? Array.from({ length: agg.sides }, () => []);
      s[side].push(x);
      combiners.set(k, s);
    } else combiners.set(k, c === undefined ? v : (c as number) + (v as number));
  }
  const sections = Array.from({ length: P }, () => new ValueWriter(64));
  const counts = new Array<number>(P).fill(0);
  for (const [k, c] of combiners.entries()) {
    const key = new ValueWriter(16);
    key.write(k);
    const r = partitionOfEncoded(key.buf, 0, key.length, P);
    sections[r].write(k);
    sections[r].write(c);
    counts[r]++;
  }
  return Buffer.from(sealBlock(sections, counts));
}

function writerBlock(records: [unknown, unknown][], agg: Aggregator): Buffer {
  const sink = createSink({ kind: 'shuffle', partitioner: { kind: 'hash', partitions: P }, agg }, 0);
  for (const r of records) sink.push(r);
  sink.end();
  return Buffer.from(sink.result() as SharedArrayBuffer);
}

const key = fc.oneof(
  fc.constantFrom('a', 'b', 'ñ', '語', '\ud83d\ude00', '\ud83c', ''),
  fc.string({ maxLength: 3 }),
  fc.integer({ min: -2, max: 2 }),
  fc.constantFrom(-0, 0.5, NaN, 2 ** 40, 1n, true, null, undefined),
  fc.tuple(fc.constantFrom('x', 'y'), fc.integer({ min: 0, max: 1 })),
);
// Values repeat often (runs), change now and then, and include those equal by `===` but not by
// bytes or identity: 0 and -0, NaN (never === itself), and objects.
const value = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(1, 1, 1, 0, -0, 2) },
  { weight: 1, arbitrary: fc.constantFrom('a', 'ñ', '\ud83c', NaN, 1.5, 1n, null, undefined, true, false) },
  { weight: 1, arbitrary: fc.constantFrom([1], { n: 1 }, [[1, 'a'], { x: null }]) },
);

describe('shuffle writer (map side of a keyed shuffle)', () => {
  it('groupByKey: writes exactly the oracle block, runs of equal values included', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 200 }), (records) => {
        const agg: Aggregator = { kind: 'group', op: 'groupByKey' };
        expect(writerBlock(records, agg).equals(oracleBlock(records, agg))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('groupByKey: a long run of one value decodes as that many copies', () => {
    const records: [unknown, unknown][] = Array.from({ length: 5000 }, (_, i) => [i % 3 === 0 ? 'the' : 'ñandú', 1]);
    records.push(['ñandú', 2]);
    const agg: Aggregator = { kind: 'group', op: 'groupByKey' };
    const block = writerBlock(records, agg);
    expect(block.equals(oracleBlock(records, agg))).toBe(true);
  });

  it('reduceByKey: writes exactly the oracle block', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.integer({ min: -3, max: 3 })), { maxLength: 200 }), (records) => {
        const agg: Aggregator = { kind: 'combine', merge: add, mergeCombiners: add, op: 'reduceByKey' };
        expect(writerBlock(records, agg).equals(oracleBlock(records, agg))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('cogroup: writes exactly the oracle block', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.tuple(fc.integer({ min: 0, max: 1 }), value)), { maxLength: 100 }), (records) => {
        const agg: Aggregator = { kind: 'cogroup', sides: 2, op: 'cogroup' };
        expect(writerBlock(records, agg).equals(oracleBlock(records, agg))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ValueWriter.writeRepeated', () => {
  it('gives the bytes of writing the array of copies, and reads back as it', () => {
    const primitive = fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.double(), fc.constantFrom(null, undefined, true, false, 1n, -0, '\ud83c'));
    fc.assert(
      fc.property(primitive, fc.integer({ min: 0, max: 300 }), (v, n) => {
        const a = new ValueWriter(4);
        a.writeRepeated(v, n);
        const b = new ValueWriter(4);
        b.write(new Array(n).fill(v));
        expect(a.buf.subarray(0, a.length).equals(b.buf.subarray(0, b.length))).toBe(true);
        expect(new ValueReader(a.buf, 0, a.length).read()).toEqual(new Array(n).fill(Object.is(v, -0) ? 0 : v));
      }),
      { numRuns: 300 },
    );
  });
});
