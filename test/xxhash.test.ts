import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import xxhash from 'xxhash-wasm';
import { h32, h32Range } from '../src/memory/xxhash.js';

// The partitioner's hash is the same xxHash32 whether computed in JavaScript or in WebAssembly:
// map tasks on different threads, and state written by earlier batches, must agree on it.

describe('xxHash32 in JavaScript', () => {
  it('equals xxhash-wasm on any bytes and any range of them', async () => {
    const wasm = await xxhash();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = a % (bytes.length + 1);
        const end = start + (b % (bytes.length - start + 1));
        expect(h32Range(bytes, start, end)).toBe(wasm.h32Raw(bytes.subarray(start, end)) >>> 0);
        expect(h32(bytes)).toBe(wasm.h32Raw(bytes) >>> 0);
      }),
      { numRuns: 500 },
    );
  });
});
