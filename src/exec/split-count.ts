import { isUtf8 } from 'node:buffer';
import { ByteKeyTable } from '../memory/byte-key-table.js';
import { FNV_OFFSET, FNV_PRIME, fnv1a } from '../memory/fnv.js';
import { LineSegmentView } from '../memory/line-segment.js';
import type { Kernel, LineRange } from '../plan/task.js';
import type { Consumer } from './pipeline.js';
import { emitTokens, type CountedTokens } from './split-count-emit.js';
import { countWasm, runSplitCountWasm } from './wasm-split-count.js';

/**
 * The seed's WordCount map side on bytes: tokenise every line of the partition on the separator
 * and count each distinct token, with no JavaScript string per word, then feed the distinct tokens
 * and their counts to `out` ({@link emitTokens}). Runs the WebAssembly SIMD kernel where it can
 * (`wasm-split-count.ts`), and the JavaScript one, the reference, otherwise.
 *
 * Splitting bytes on an ASCII separator and decoding each token gives the same strings as decoding
 * the line and splitting it: an ASCII byte is never part of a multi-byte sequence, and a decoder
 * ends an invalid sequence at it.
 */
export function runSplitCount(kernel: SplitCountKernel, ranges: readonly LineRange[], out: Consumer): void {
  if (!runSplitCountWasm(kernel, ranges, out)) runSplitCountJs(kernel, ranges, out);
}

/**
 * The splitCount kernel as a shuffle map task into `partitions` hash-partitioned sections: where
 * the WebAssembly kernel runs and every token is valid UTF-8, the module counts and writes the
 * shuffle block itself, and it is returned; otherwise `out` (the task's shuffle writer) is fed as
 * by {@link runSplitCount}, and undefined is returned.
 */
export function runSplitCountToBlock(kernel: SplitCountKernel, ranges: readonly LineRange[], partitions: number, out: Consumer): SharedArrayBuffer | undefined {
  const counts = countWasm(kernel, ranges);
  if (!counts) {
    runSplitCountJs(kernel, ranges, out);
    return undefined;
  }
  if (!counts.invalidUtf8) return counts.block(partitions, kernel.value);
  emitTokens(out, kernel.value, counts);
  return undefined;
}

/**
 * The splitCount kernel in JavaScript: an open-addressing table over the shared batch itself
 * ({@link ByteKeyTable}). The reference the WebAssembly kernel is tested against.
 */
export function runSplitCountJs(kernel: SplitCountKernel, ranges: readonly LineRange[], out: Consumer): void {
  const table = new TokenTable();
  const sep = Buffer.from(kernel.separator, 'latin1');
  for (const range of ranges) {
    const seg = new LineSegmentView(range.sab);
    seg.markRead();
    const segment = table.addSegment(seg.bytes);
    const { offsets, bytes } = seg;
    for (let i = range.from; i < range.to; i++) {
      if (sep.length === 1) tokeniseByte(table, segment, bytes, offsets[i], offsets[i + 1], sep[0]);
      else tokenise(table, segment, bytes, offsets[i], offsets[i + 1], sep);
    }
  }
  emitTokens(out, kernel.value, table);
}

type SplitCountKernel = Extract<Kernel, { kind: 'splitCount' }>;

/** One line, one-byte separator: hash while scanning, one pass over the bytes. */
function tokeniseByte(table: TokenTable, segment: number, bytes: Uint8Array, start: number, end: number, sep: number): void {
  let t = start;
  let h = FNV_OFFSET;
  for (let j = start; j < end; j++) {
    const b = bytes[j];
    if (b === sep) {
      table.add(segment, t, j, h);
      t = j + 1;
      h = FNV_OFFSET;
    } else {
      h = Math.imul(h ^ b, FNV_PRIME);
    }
  }
  table.add(segment, t, end, h);
}

/** One line, a longer ASCII separator, matched left to right without overlaps as `split` does. */
function tokenise(table: TokenTable, segment: number, bytes: Uint8Array, start: number, end: number, sep: Uint8Array): void {
  let t = start;
  for (let j = start; j + sep.length <= end; ) {
    let k = 0;
    while (k < sep.length && bytes[j + k] === sep[k]) k++;
    if (k === sep.length) {
      table.add(segment, t, j, fnv1a(bytes, t, j));
      j += sep.length;
      t = j;
    } else {
      j++;
    }
  }
  table.add(segment, t, end, fnv1a(bytes, t, end));
}

/** The partition's distinct tokens (a {@link ByteKeyTable} over its segments) and their counts. */
class TokenTable implements CountedTokens {
  readonly #keys = new ByteKeyTable();
  readonly #buffers: Buffer[] = [];
  #counts = new Float64Array(1024);
  invalidUtf8 = false;

  get size(): number {
    return this.#keys.size;
  }

  addSegment(bytes: Uint8Array): number {
    this.#buffers.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return this.#keys.addBuffer(bytes);
  }

  count(e: number): number {
    return this.#counts[e];
  }

  /** Counts one occurrence of `segment[start, end)`, whose hash is `h`. */
  add(segment: number, start: number, end: number, h: number): void {
    const n = this.#keys.size;
    const e = this.#keys.intern(segment, start, end, h);
    if (e < n) {
      this.#counts[e]++;
      return;
    }
    if (e === this.#counts.length) {
      const grown = new Float64Array(e * 2);
      grown.set(this.#counts);
      this.#counts = grown;
    }
    this.#counts[e] = 1;
    const bytes = this.#buffers[segment];
    if (!this.invalidUtf8 && !isAscii(bytes, start, end) && !isUtf8(bytes.subarray(start, end))) this.invalidUtf8 = true;
  }

  bytes(e: number): Buffer {
    return this.#buffers[this.#keys.bufferOf(e)];
  }

  start(e: number): number {
    return this.#keys.startOf(e);
  }

  end(e: number): number {
    return this.#keys.endOf(e);
  }
}

function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] >= 0x80) return false;
  return true;
}
