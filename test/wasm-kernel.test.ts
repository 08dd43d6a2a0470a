import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Consumer } from '../src/exec/pipeline.js';
import { createSink } from '../src/exec/sinks.js';
import { runSplitCountJs, runSplitCountToBlock } from '../src/exec/split-count.js';
import { runSplitCountWasm, wasmKernelAvailable } from '../src/exec/wasm-split-count.js';
import { LineBatchBuilder } from '../src/memory/line-batch.js';
import { SegmentPool } from '../src/memory/segment-pool.js';
import type { Kernel, LineRange } from '../src/plan/task.js';
import { LineSplitter } from '../src/sources/line-splitter.js';
import { splitLines } from '../src/rdd/line-rdd.js';

// The WebAssembly SIMD splitCount kernel against the JavaScript one, its reference: the same
// records, in the same order, encoded the same way, on any bytes and any ASCII separator. (The
// fast-path tests hold the kernel the engine runs, this one, against the generic path.)

/** What a kernel fed its consumer: encoded keys as hex, decoded keys as strings, in order. */
function record(withEncoded: boolean): Consumer & { got: unknown[]; ended: number } {
  const c = {
    got: [] as unknown[],
    ended: 0,
    push: (r: unknown) => void c.got.push(['record', r]),
    end: () => void c.ended++,
    ...(withEncoded
      ? { pushEncoded: (b: Uint8Array, s: number, e: number, v: unknown) => void c.got.push(['encoded', Buffer.from(b.subarray(s, e)).toString('hex'), v]) }
      : {}),
  };
  return c;
}

/** `chunks` as socket bytes through the receiver's splitter into a batch of small segments, cut into `parts` partitions. */
function partitions(chunks: Uint8Array[], parts: number, byteCapacity = 64, lineCapacity = 8): LineRange[][] {
  const builder = new LineBatchBuilder(new SegmentPool({ byteCapacity, lineCapacity }), { maxLineBytes: 1 << 20 });
  const splitter = new LineSplitter(builder);
  for (const c of chunks) splitter.write(c);
  splitter.end();
  return splitLines(builder.cut(), parts);
}

function bothKernels(kernel: Extract<Kernel, { kind: 'splitCount' }>, ranges: LineRange[], withEncoded = true) {
  const js = record(withEncoded);
  const wasm = record(withEncoded);
  runSplitCountJs(kernel, ranges, js);
  expect(runSplitCountWasm(kernel, ranges, wasm)).toBe(true);
  return { js, wasm };
}

/** The shuffle block of `reducers` hash-partitioned sections: the JavaScript kernel into the shuffle writer, and the WebAssembly kernel's own. */
function shuffleBlocks(ranges: LineRange[], reducers: number, kernel: Extract<Kernel, { kind: 'splitCount' }> = { kind: 'splitCount', separator: ' ', value: 1 }) {
  const add = (a: number, b: number) => a + b;
  const desc = { kind: 'shuffle', partitioner: { kind: 'hash', partitions: reducers }, agg: { kind: 'combine', merge: add, mergeCombiners: add, op: 'reduceByKey' } } as const;
  const js = createSink(desc, 0);
  runSplitCountJs(kernel, ranges, js);
  const sink = createSink(desc, 0);
  const wasm = runSplitCountToBlock(kernel, ranges, reducers, sink) ?? sink.result();
  return { js: Buffer.from(js.result() as SharedArrayBuffer), wasm: Buffer.from(wasm as SharedArrayBuffer) };
}

const separators = fc.constantFrom(' ', ' ', 'a', ', ', '  ', 'ab', 'aba', '\t', '\x00', 'é'.normalize('NFD').slice(0, 1));

describe('the WebAssembly splitCount kernel', () => {
  it('loads on this runtime (Node ≥ 20 has WebAssembly SIMD)', () => {
    expect(wasmKernelAvailable()).toBe(true);
  });

  it('gives the JavaScript kernel\'s records on random bytes: empty tokens, multi-byte and invalid UTF-8, \\r\\n, any separator', () => {
    const alphabet = fc.constantFrom(0x61, 0x62, 0x20, 0x20, 0x2c, 0x09, 0x00, 0x0a, 0x0d, 0xc3, 0xb1, 0xe2, 0x82, 0xac, 0xff, 0xfe, 0xf0, 0x9f, 0x8e, 0x89, 0x80, 0xbf);
    fc.assert(
      fc.property(
        fc.array(fc.array(alphabet, { maxLength: 200 }), { minLength: 1, maxLength: 6 }),
        separators,
        fc.constantFrom(1, 3, -2, 0),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        (chunks, separator, value, parts, withEncoded) => {
          for (const ranges of partitions(chunks.map((c) => Uint8Array.from(c)), parts)) {
            const { js, wasm } = bothKernels({ kind: 'splitCount', separator, value }, ranges, withEncoded);
            expect(wasm.got).toEqual(js.got);
            expect(wasm.ended).toBe(1);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('agrees on long tokens and on tables that grow many times (tens of thousands of distinct words)', () => {
    // Long words repeat (a key past its 16 inline bytes is matched against the arena), and
    // thousands of short ones make the table double several times within one call.
    const long = ['a'.repeat(16), 'a'.repeat(17), `${'a'.repeat(16)}b`, 'ñ'.repeat(9), `${'€'.repeat(11)}x`, 'z'.repeat(33), 'z'.repeat(48), `${'z'.repeat(47)}y`];
    const word = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'ñ', '€', '🎉'), maxLength: 40 }),
      fc.constantFrom(...long),
      fc.integer({ min: 0, max: 50_000 }).map((n) => `w${n.toString(36)}`),
    );
    fc.assert(
      fc.property(fc.array(fc.array(word, { maxLength: 30 }), { maxLength: 3000 }), (lines) => {
        const text = new TextEncoder().encode(lines.map((l) => l.join(' ')).join('\n'));
        for (const ranges of [...partitions([text], 2, 4096), ...partitions([text], 1, 1 << 20, 1 << 16)]) {
          const { js, wasm } = bothKernels({ kind: 'splitCount', separator: ' ', value: 1 }, ranges);
          expect(wasm.got).toEqual(js.got);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('agrees on megabytes of Zipf-distributed words in full-size segments (~60 k distinct)', () => {
    let seed = 42;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const lines: string[] = [];
    for (let bytes = 0; bytes < 2_500_000; ) {
      const words = Array.from({ length: 5 + Math.floor(random() * 25) }, () => `${Math.floor(60_000 ** random()).toString(36)}${random() < 0.01 ? 'ñandú-über-long-word' : ''}`);
      lines.push(words.join(' '));
      bytes += lines[lines.length - 1].length + 1;
    }
    for (const ranges of partitions([Buffer.from(lines.join('\n'))], 2, 4 << 20, 1 << 18)) {
      const { js, wasm } = bothKernels({ kind: 'splitCount', separator: ' ', value: 1 }, ranges);
      expect(wasm.got).toEqual(js.got);
      expect(wasm.got.length).toBeGreaterThan(20_000);
      const blocks = shuffleBlocks(ranges, 2);
      expect(blocks.wasm.equals(blocks.js)).toBe(true);
    }
  }, 120_000); // a few seconds alone; the machine may be busy

  it('counts one line of a million tokens, and a 100 kB token, as the JavaScript kernel does', () => {
    const long = Buffer.concat([Buffer.from('x '.repeat(1_000_000)), Buffer.from('\n'), Buffer.alloc(100_000, 0x79), Buffer.from(' y\n')]);
    const [ranges] = partitions([long], 1, 4 << 20, 16);
    const { js, wasm } = bothKernels({ kind: 'splitCount', separator: ' ', value: 1 }, ranges);
    expect(wasm.got).toEqual(js.got);
    expect(wasm.got).toHaveLength(4); // 'x', '', the long token and 'y'
  });

  it('writes the shuffle block the shuffle writer makes of the JavaScript kernel\'s records, byte for byte', () => {
    const alphabet = fc.constantFrom(0x61, 0x62, 0x63, 0x20, 0x20, 0x0a, 0x0d, 0xc3, 0xb1, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x8e, 0x89, 0xff);
    fc.assert(
      fc.property(
        fc.array(fc.array(alphabet, { maxLength: 300 }), { minLength: 1, maxLength: 4 }),
        separators,
        fc.constantFrom(1, 7, -3, 0, 2 ** 31, 2 ** 40),
        fc.integer({ min: 1, max: 5 }),
        (chunks, separator, value, reducers) => {
          for (const ranges of partitions(chunks.map((c) => Uint8Array.from(c)), 2)) {
            const { js, wasm } = shuffleBlocks(ranges, reducers, { kind: 'splitCount', separator, value });
            expect(wasm.equals(js)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('runs again on the same thread with a fresh table every task', () => {
    const [a] = partitions([Buffer.from('a b a\n')], 1);
    const [b] = partitions([Buffer.from('b c\n')], 1);
    const kernel = { kind: 'splitCount', separator: ' ', value: 1 } as const;
    bothKernels(kernel, a);
    const { wasm } = bothKernels(kernel, b, false);
    expect(wasm.got).toEqual([['record', ['b', 1]], ['record', ['c', 1]]]);
  });
});
