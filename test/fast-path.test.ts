import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { add, ManualClock, pairWith, RDD, SparkContext, StreamingContext, words, type TaskEndInfo } from '../src/index.js';
import { LineBatchBuilder } from '../src/memory/line-batch.js';
import { SegmentPool } from '../src/memory/segment-pool.js';
import { isAddition, isSumUpdate, pairConstant, splitSeparator } from '../src/plan/recognize.js';
import { shipFunction } from '../src/plan/ship.js';
import { splitLines } from '../src/rdd/line-rdd.js';
import { LineSplitter } from '../src/sources/line-splitter.js';
import { sorted, waitFor } from './helpers/streaming.js';

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

  it("recognises the seed's summing update function, and nothing like it", () => {
    for (const s of [
      '(newValues, lastSum) => newValues.reduce((a, b) => a + b, 0) + (lastSum ?? 0)',
      '(vs, last) => (last || 0) + vs.reduce(function (x, y) { return y + x; }, 0)',
    ]) expect(isSumUpdate(src(s))).toBe(true);
    for (const s of [
      '(vs, last) => vs.reduce((a, b) => a + b, 1) + (last ?? 0)',
      '(vs, last) => vs.reduce((a, b) => a * b, 0) + (last ?? 0)',
      '(vs, last) => vs.length + (last ?? 0)',
      '(vs, last) => vs.reduce((a, b) => a + b, 0) + (vs ?? 0)',
      '(vs, last) => vs.reduce((a, b) => a + b, 0) - (last ?? 0)',
    ]) expect(isSumUpdate(src(s))).toBe(false);
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

describe.each(['local', 'local[2]'])('the stateful seed WordCount on the fast path under %s', (master) => {
  it('sums map-side on the kernel and keeps the same state as the generic path, batch by batch', async () => {
    const batches = [Buffer.concat([Buffer.from('a b a\nñ 🎉'), Buffer.from([0xff])]), Buffer.alloc(0), Buffer.from('b  b\r\na'), Buffer.from('c')];
    const run = async (fastPath: boolean) => {
      const dir = mkdtempSync(join(tmpdir(), 'chispa-fast-state-'));
      const sc = new SparkContext({ master, fastPath });
      const kinds: (string | undefined)[] = [];
      sc.addSparkListener({ onTaskEnd: (i) => void kinds.push(i.kernel) });
      const clock = new ManualClock(0);
      const ssc = new StreamingContext(sc, 1, { clock });
      ssc.checkpoint(join(dir, 'cp'));
      const updateFunc = (newValues: number[], lastSum: number | null) => newValues.reduce((a, b) => a + b, 0) + (lastSum ?? 0);
      const states: [string, number][][] = [];
      ssc.textFileStream(join(dir, 'in')).flatMap((line) => line.split(' ')).map((word) => [word, 1]).updateStateByKey(updateFunc)
        .foreachRDD(async (rdd) => void states.push(sorted(await rdd.collect())));
      mkdirSync(join(dir, 'in'));
      ssc.start();
      for (const [i, text] of batches.entries()) {
        writeFileSync(join(dir, `.f${i}`), text);
        renameSync(join(dir, `.f${i}`), join(dir, 'in', `f${i}.txt`));
        clock.advance(1000);
        await waitFor(() => states.length === i + 1, `batch ${i}`);
      }
      await ssc.stop();
      rmSync(dir, { recursive: true, force: true });
      return { states, kinds };
    };
    const fast = await run(true);
    const generic = await run(false);
    expect(fast.kinds).toContain('splitCount');
    expect(generic.kinds).not.toContain('splitCount');
    expect(fast.states).toEqual(generic.states);
    expect(fast.states[3]).toEqual(sorted([['a', 3], ['b', 3], ['', 1], ['c', 1], ['ñ', 1], ['🎉\ufffd', 1]]));
  });
});

