import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add } from '../src/index.js';
import { createSink, type Sink } from '../src/exec/sinks.js';
import { runSplitCount } from '../src/exec/split-count.js';
import { LineBatchBuilder } from '../src/memory/line-batch.js';
import { SegmentPool } from '../src/memory/segment-pool.js';
import { shipFunction } from '../src/plan/ship.js';
import type { Aggregator } from '../src/plan/task.js';
import { LineSplitter } from '../src/sources/line-splitter.js';
import { splitLines } from '../src/rdd/line-rdd.js';

// The map side of a shuffle writes the same bytes however its records arrive: the kernel's
// encoded distinct tokens, or decoded records through the combiner.

describe('the splitCount kernel into a shuffle writer', () => {
  const merge = shipFunction(add, 'reduceByKey');
  const agg: Aggregator = { kind: 'combine', merge, mergeCombiners: merge, op: 'reduceByKey' };
  const writer = (): Sink => createSink({ kind: 'shuffle', partitioner: { kind: 'hash', partitions: 3 }, agg }, 0);
  /** A writer that only takes records one by one, as from the generic path. */
  const recordsOnly = (): Sink => {
    const w = writer();
    return { push: (x) => w.push(x), end: () => w.end(), result: () => w.result() };
  };

  it('writes the block byte for byte as the record path does, invalid UTF-8 included', () => {
    const alphabet = fc.constantFrom(0x61, 0x62, 0x20, 0x20, 0x0a, 0xc3, 0xb1, 0xe2, 0x82, 0xac, 0xff, 0xef, 0xbf, 0xbd, 0xf0, 0x9f, 0x8e, 0x89);
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 400 }), (bytes) => {
        const builder = new LineBatchBuilder(new SegmentPool({ byteCapacity: 128, lineCapacity: 8 }));
        const splitter = new LineSplitter(builder);
        splitter.write(Uint8Array.from(bytes));
        splitter.end();
        const [ranges = []] = splitLines(builder.cut(), 1);
        const blocks = [writer(), recordsOnly()].map((sink) => {
          runSplitCount({ kind: 'splitCount', separator: ' ', value: 1 }, ranges, sink);
          return Buffer.from(sink.result() as SharedArrayBuffer);
        });
        expect(blocks[0].equals(blocks[1])).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
