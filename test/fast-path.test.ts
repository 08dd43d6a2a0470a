import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, pairWith, RDD, SparkContext, words, type TaskEndInfo } from '../src/index.js';
import { LineBatchBuilder } from '../src/memory/line-batch.js';
import { SegmentPool } from '../src/memory/segment-pool.js';
import { isAddition, pairConstant, splitSeparator } from '../src/plan/recognize.js';
import { shipFunction } from '../src/plan/ship.js';
import { splitLines } from '../src/streaming/line-batch-input.js';
import { LineSplitter } from '../src/sources/line-splitter.js';
import { sorted } from './helpers/streaming.js';

// The byte-level WordCount kernel: recognised only where certain, and record for record what the
// generic path gives, on any bytes.

describe('recognising the seed WordCount from function source', () => {
  const src = (source: string) => ({ id: -1, source });
  it('recognises the seed lambdas however they are printed', () => {
    for (const s of ['(line) => line.split(" ")', 'line=>line.split(" ")', 'function (line) { return line.split(" "); }', "(l) => l['split'](' ')"]) {
      expect(splitSeparator(src(s))).toBe(' ');
    }
    expect(splitSeparator(src('(l) => l.split(", ")'))).toBe(', ');
    for (const s of ['(word) => [word, 1]', 'w=>[w,1]', 'function (w) { return [w, 1]; }']) expect(pairConstant(src(s))).toBe(1);
    expect(pairConstant(src('(w) => [w, 3]'))).toBe(3);
    for (const s of ['(a, b) => a + b', '(a,b)=>b+a', 'function add(a, b) { return a + b; }']) expect(isAddition(src(s))).toBe(true);
    expect(isAddition(shipFunction(add, 'reduceByKey'))).toBe(true);
    expect(splitSeparator((line: string) => line.split(' '))).toBe(' ');
  });

  it('leaves everything it is not sure of to the generic path', () => {
    for (const s of ['(l) => l.split("")', '(l) => l.split("ñ")', '(l) => l.split(/ /)', '(l) => x.split(" ")', '(l) => l.split(" ", 2)', '(l) => l.trim().split(" ")', 'async (l) => l.split(" ")']) {
      expect(splitSeparator(src(s))).toBeUndefined();
    }
    for (const s of ['(w) => [w, 0.5]', '(w) => [1, w]', '(w) => [w, one]', '(w) => [w, 1, 2]', '(a, w) => [w, 1]']) expect(pairConstant(src(s))).toBeUndefined();
    for (const s of ['(a, b) => a - b', '(a, a2) => a + a', '(a, b) => a + b + 0', '(a) => a + a']) expect(isAddition(src(s))).toBe(false);
    expect(splitSeparator({ id: -1, source: '(l) => l.split(" ")', context: { l: { value: 1 } } })).toBeUndefined();
  });
});

describe.each(['local', 'local[2]'])('the splitCount kernel under %s', (master) => {
  let fast: SparkContext;
  let generic: SparkContext;
  const kernels: (string | undefined)[] = [];
  beforeAll(() => {
    fast = new SparkContext({ master });
    generic = new SparkContext({ master, fastPath: false });
    fast.addSparkListener({ onTaskEnd: (i: TaskEndInfo) => void kernels.push(i.kernel) });
  });
  afterAll(async () => {
    await fast.stop();
    await generic.stop();
  });

  /** The lines of `chunks` (socket bytes) as an RDD over shared-memory segments, as a receiver makes them. */
  function linesRDD(sc: SparkContext, chunks: Uint8Array[]): RDD<string> {
    const builder = new LineBatchBuilder(new SegmentPool({ byteCapacity: 256, lineCapacity: 8 }));
    const splitter = new LineSplitter(builder);
    for (const c of chunks) splitter.write(c);
    splitter.end();
    const partitions = splitLines(builder.cut(), sc.defaultParallelism).map((ranges) => ({ kind: 'lines' as const, ranges }));
    return new RDD<string>(sc, { kind: 'source', partitions });
  }

  const wordCount = (rdd: RDD<string>) => rdd.flatMap((line) => line.split(' ')).map((word) => [word, 1]).reduceByKey(add).collect();

  it('runs the seed code on the kernel, and gives what the generic path gives on the built-in text', async () => {
    const text = new TextEncoder().encode('In the  beginning God\r\ncreated the heaven\rand the earth. ñandú 🎉 ñandú\n\n  \n');
    kernels.length = 0;
    const got = await wordCount(linesRDD(fast, [text]));
    expect(kernels.filter((k) => k === 'splitCount').length).toBeGreaterThan(0);
    expect(sorted(got)).toEqual(sorted(await wordCount(linesRDD(generic, [text]))));
  });

  it('is identical to the generic path on random bytes: empty tokens, multi-byte and invalid UTF-8, \\r\\n', async () => {
    const alphabet = fc.constantFrom(0x61, 0x62, 0x20, 0x20, 0x0a, 0x0d, 0xc3, 0xb1, 0xe2, 0x82, 0xac, 0xff, 0xfe, 0xf0, 0x9f, 0x8e, 0x89, 0x80, 0xbf);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(alphabet, { maxLength: 120 }), { minLength: 1, maxLength: 6 }), async (chunks) => {
        const bytes = chunks.map((c) => Uint8Array.from(c));
        const [a, b] = await Promise.all([wordCount(linesRDD(fast, bytes)), wordCount(linesRDD(generic, bytes))]);
        expect(sorted(a)).toEqual(sorted(b));
      }),
      { numRuns: 60 },
    );
  });

  it('words() and pairWith() take the fast path by name, on workers too', async () => {
    const text = new TextEncoder().encode('a b a\nb c\n');
    kernels.length = 0;
    const got = await linesRDD(fast, [text]).flatMap(words(' ')).map(pairWith(1)).reduceByKey(add).collect();
    expect(sorted(got)).toEqual([['a', 2], ['b', 2], ['c', 1]]);
    expect(kernels).toContain('splitCount');
    expect(sorted(await linesRDD(fast, [text]).flatMap(words('a')).collect())).toEqual(sorted(['', ' b ', '', 'b c']));
  });

  it('merges two different invalid sequences that both decode to U+FFFD into one key', async () => {
    const bytes = Uint8Array.from([0xff, 0x20, 0xfe, 0x20, 0xc3, 0x0a]);
    expect(await wordCount(linesRDD(fast, [bytes]))).toEqual([['\ufffd', 3]]);
  });
});
