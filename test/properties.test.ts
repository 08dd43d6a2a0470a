import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineBatchBuilder } from '../src/memory/line-batch.js';
import { SegmentPool } from '../src/memory/segment-pool.js';
import { ValueReader, ValueWriter } from '../src/memory/value-codec.js';
import { LineSplitter } from '../src/sources/line-splitter.js';
import { readLines } from './helpers/lines.js';

describe('line splitting (property)', () => {
  it('equals splitting the whole decoded text on \\r\\n | \\r | \\n, however the bytes are chunked and cut', () => {
    const alphabet = fc.constantFrom(...[0x61, 0x20, 0x0a, 0x0d, 0xc3, 0xb1, 0xe2, 0x82, 0xac, 0xff, 0xf0, 0x9f, 0x8e, 0x89]);
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 300 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }), fc.array(fc.nat(300)), (bytes, chunkSizes, cutPoints) => {
        const data = Uint8Array.from(bytes);
        // A tiny pool so lines cross segment boundaries often.
        const builder = new LineBatchBuilder(new SegmentPool({ byteCapacity: 32, lineCapacity: 3 }), { maxLineBytes: 1 << 20 });
        const splitter = new LineSplitter(builder);
        const cuts = new Set(cutPoints);
        const got: string[] = [];
        let off = 0;
        for (let i = 0; off < data.length; i++) {
          const n = chunkSizes[i % chunkSizes.length];
          splitter.write(data.subarray(off, off + n));
          off += n;
          if (cuts.has(i)) got.push(...readLines(builder.cut()));
        }
        splitter.end();
        got.push(...readLines(builder.cut()));
        // The oracle decodes line by line too: a terminator byte never occurs inside a UTF-8 sequence.
        const text = Buffer.from(data).toString('latin1');
        const expected = text === '' ? [] : text.split(/\r\n|\r|\n/);
        if (expected.length > 0 && /[\r\n]$/.test(text)) expected.pop();
        expect(got).toEqual(expected.map((l) => new TextDecoder().decode(Buffer.from(l, 'latin1'))));
      }),
      { numRuns: 300 },
    );
  });
});

describe('record codec (property)', () => {
  it('round-trips JSON-like values, and equal keys encode to equal bytes', () => {
    const value = fc.jsonValue();
    fc.assert(
      fc.property(fc.array(value, { maxLength: 20 }), (values) => {
        const w = new ValueWriter(8);
        for (const v of values) w.write(v);
        const r = new ValueReader(w.buf, 0, w.length);
        const back = values.map(() => r.read());
        expect(r.done).toBe(true);
        // -0 is encoded as 0 on purpose (equal keys, equal bytes); JSON text erases the difference.
        expect(JSON.stringify(back)).toEqual(JSON.stringify(values));
        for (const v of values) {
          const a = new ValueWriter(8);
          const b = new ValueWriter(8);
          a.write(v);
          b.write(structuredClone(v));
          expect(Buffer.compare(a.buf.subarray(0, a.length), b.buf.subarray(0, b.length))).toBe(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
