import { describe, expect, it } from 'vitest';
import { LineBatch, LineBatchBuilder } from '../src/memory/line-batch.js';
import { SegmentPool } from '../src/memory/segment-pool.js';
import { LineSplitter } from '../src/sources/line-splitter.js';
import { readLines } from './helpers/lines.js';

const enc = new TextEncoder();
const dec = new TextDecoder();


/** Every line's raw bytes, for byte-level assertions. */
function readLineBytes(batch: LineBatch): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const view of batch.segments) {
    for (let i = 0; i < view.lineCount; i++) out.push(view.bytes.slice(view.offsets[i], view.offsets[i + 1]));
  }
  return out;
}

function setup(pool = new SegmentPool({ byteCapacity: 1024, lineCapacity: 64 }), maxLineBytes?: number) {
  const truncated: number[] = [];
  const builder = new LineBatchBuilder(pool, { maxLineBytes, onTruncate: (n) => truncated.push(n) });
  const splitter = new LineSplitter(builder);
  return { pool, builder, splitter, truncated };
}

/** Writes each piece as a separate chunk (strings as UTF-8) and cuts one batch. */
function split(pieces: (string | Uint8Array)[], end = false): string[] {
  const { builder, splitter } = setup();
  for (const p of pieces) splitter.write(typeof p === 'string' ? enc.encode(p) : p);
  if (end) splitter.end();
  return readLines(builder.cut());
}

describe('LineSplitter terminators', () => {
  it('splits on \\n, \\r\\n and \\r', () => {
    expect(split(['a\nb\r\nc\rd\n'])).toEqual(['a', 'b', 'c', 'd']);
  });

  it('treats \\r at the end of a chunk and \\n at the start of the next as one terminator', () => {
    expect(split(['one\r', '\ntwo\n'])).toEqual(['one', 'two']);
    expect(split(['one\r', '', '\ntwo\n'])).toEqual(['one', 'two']);
  });

  it('treats \\r\\r as two terminators, within and across chunks', () => {
    expect(split(['a\r\rb\n'])).toEqual(['a', '', 'b']);
    expect(split(['a\r', '\rb\n'])).toEqual(['a', '', 'b']);
  });

  it('keeps empty lines', () => {
    expect(split(['\n\n\r\n\r\nx\n\n'])).toEqual(['', '', '', '', 'x', '']);
  });

  it('splits a line that arrives across many chunks', () => {
    expect(split(['he', 'll', 'o wor', 'ld\n', 'x'])).toEqual(['hello world']);
  });

  it('emits a final unterminated line on end(), and nothing extra after a terminator', () => {
    expect(split(['a\nlast'], true)).toEqual(['a', 'last']);
    expect(split(['a\n'], true)).toEqual(['a']);
    expect(split(['a\r'], true)).toEqual(['a']);
    expect(split([], true)).toEqual([]);
  });
});

describe('LineSplitter UTF-8', () => {
  it('reassembles multi-byte characters split across chunks, at every split point', () => {
    const text = 'héllo wörld €uro 😀 ok\nsecond ✓\n';
    const bytes = enc.encode(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(split([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['héllo wörld €uro 😀 ok', 'second ✓']);
    }
    // One byte per chunk.
    expect(split(Array.from(bytes, (b) => Uint8Array.of(b)))).toEqual(['héllo wörld €uro 😀 ok', 'second ✓']);
  });

  it('decodes invalid UTF-8 to U+FFFD without affecting other lines', () => {
    const lines = split([Uint8Array.of(0x61, 0xff, 0x62, 0x0a, 0xc3, 0x0a, 0x80, 0x80, 0x0a), 'fine\n']);
    expect(lines).toEqual(['a\uFFFDb', '\uFFFD', '\uFFFD\uFFFD', 'fine']);
  });
});

describe('LineBatchBuilder truncation', () => {
  it('cuts a long line to at most maxLineBytes on a UTF-8 boundary and keeps the next lines intact', () => {
    const { builder, splitter, truncated } = setup(undefined, 10);
    // 'ab' + four 3-byte euro signs = 14 bytes; 10 would end inside the third euro sign.
    splitter.write(enc.encode('ab€€€€\nshort\n0123456789\n'));
    const bytes = readLineBytes(builder.cut());
    expect(bytes.map((b) => dec.decode(b))).toEqual(['ab€€', 'short', '0123456789']);
    expect(bytes[0].length).toBeLessThanOrEqual(10);
    expect(builder.stats.truncatedLines).toBe(1);
    expect(truncated).toEqual([10]);
  });

  // Known bug in LineBatchBuilder.append (see the report): when the cut point falls right after a
  // chunk edge that split a character, utf8Boundary only looks at the new chunk and the kept part
  // ends with a dangling lead byte. Drop `.fails` once append trims the stored tail.
  it('cuts on a UTF-8 boundary when the cut falls on a chunk edge inside a character', () => {
    const { builder, splitter } = setup(undefined, 3);
    const bytes = enc.encode('ab€€\n');
    splitter.write(bytes.subarray(0, 3)); // 'ab' + first byte of '€'
    splitter.write(bytes.subarray(3));
    expect(readLines(builder.cut())).toEqual(['ab']);
  });

  it('drops the rest of a long line that arrives in many chunks', () => {
    const { builder, splitter } = setup(undefined, 8);
    for (let i = 0; i < 50; i++) splitter.write(enc.encode('xyz'));
    splitter.write(enc.encode('\nnext\n'));
    expect(readLines(builder.cut())).toEqual(['xyzxyzxy', 'next']);
    expect(builder.stats.truncatedLines).toBe(1);
    expect(builder.stats.lines).toBe(2);
    expect(builder.stats.bytes).toBe(8 + 4);
  });
});

describe('LineBatchBuilder batches and segments', () => {
  it('cut() keeps a partial line for the next batch', () => {
    const { builder, splitter } = setup();
    splitter.write(enc.encode('first\nsec'));
    expect(builder.hasOpenLine).toBe(true);
    const b1 = builder.cut();
    expect(readLines(b1)).toEqual(['first']);
    splitter.write(enc.encode('ond\nthi'));
    const b2 = builder.cut();
    expect(readLines(b2)).toEqual(['second']);
    expect(readLines(builder.cut())).toEqual([]);
    splitter.end();
    expect(readLines(builder.cut())).toEqual(['thi']);
    b1.release();
    b2.release();
  });

  it('spreads many lines over tiny segments, in order and without loss', () => {
    const pool = new SegmentPool({ byteCapacity: 64, lineCapacity: 4 });
    const { builder, splitter } = setup(pool);
    const expected = Array.from({ length: 500 }, (_, i) => `line ${i} ${'z'.repeat(i % 37)}`);
    const bytes = enc.encode(expected.join('\n') + '\n');
    // Odd chunk sizes so that lines, terminators and segments all straddle chunk edges.
    const got: string[] = [];
    let segments = 0;
    for (let at = 0, k = 0; at < bytes.length; k++) {
      const size = 1 + ((k * 7) % 23);
      splitter.write(bytes.subarray(at, at + size));
      at += size;
      if (k % 5 === 4) {
        const batch = builder.cut();
        segments += batch.segments.length;
        for (const s of batch.segments) {
          expect(s.lineCount).toBeLessThanOrEqual(4);
          expect(s.byteLength).toBeLessThanOrEqual(64);
        }
        got.push(...readLines(batch));
        batch.release();
      }
    }
    const last = builder.cut();
    got.push(...readLines(last));
    last.release();
    expect(got).toEqual(expected);
    expect(segments).toBeGreaterThan(100);
  });

  it('reuses pooled segments over many cut()/release() cycles', () => {
    const pool = new SegmentPool({ byteCapacity: 64, lineCapacity: 4 });
    const { builder, splitter } = setup(pool);
    let n = 0;
    for (let cycle = 0; cycle < 1000; cycle++) {
      for (let j = 0; j < 10; j++) splitter.write(enc.encode(`c${cycle} l${j}\n`));
      const batch = builder.cut();
      n += batch.lineCount;
      batch.release();
    }
    expect(n).toBe(10_000);
    expect(builder.stats.lines).toBe(10_000);
    // 10 lines of ≤ 10 bytes need 3 segments a batch, plus the one in progress.
    expect(pool.allocated).toBeLessThanOrEqual(8);
    builder.dispose();
  });

  it('a line longer than a segment gets an oversized segment and is read back whole', () => {
    const pool = new SegmentPool({ byteCapacity: 64, lineCapacity: 4 });
    const { builder, splitter } = setup(pool);
    const long = 'L'.repeat(300);
    splitter.write(enc.encode(`a\n${long.slice(0, 100)}`));
    splitter.write(enc.encode(`${long.slice(100)}\nb\n`));
    const batch = builder.cut();
    expect(readLines(batch)).toEqual(['a', long, 'b']);
    expect(builder.stats.truncatedLines).toBe(0);
    batch.release();
  });
});
