import { isUtf8 } from 'node:buffer';
import { ByteKeyTable } from '../memory/byte-key-table.js';
import { FNV_OFFSET, FNV_PRIME, fnv1a } from '../memory/fnv.js';
import { LineSegmentView } from '../memory/line-segment.js';
import { utf8Slice, ValueWriter } from '../memory/value-codec.js';
import type { Kernel, LineRange } from '../plan/task.js';
import type { Consumer } from './pipeline.js';

/**
 * The seed's WordCount map side on bytes: tokenise every line of the partition on the separator
 * and count each distinct token in an open-addressing table over the shared batch itself, with no
 * JavaScript string per word. When every token is valid UTF-8, the `[word, count × value]` pairs go
 * to the shuffle writer with the word still as bytes (`pushEncoded`): its encoding is a tag,
 * a length and those bytes, so no word is decoded, combined or re-encoded on the map side. Otherwise
 * each distinct token is decoded and pushed, and the writer's combiner merges byte sequences that
 * decode to the same string (two invalid sequences both becoming U+FFFD, or one and a real U+FFFD).
 *
 * Splitting bytes on an ASCII separator and decoding each token gives the same strings as decoding
 * the line and splitting it: an ASCII byte is never part of a multi-byte sequence, and a decoder
 * ends an invalid sequence at it.
 */
export function runSplitCount(kernel: Extract<Kernel, { kind: 'splitCount' }>, ranges: readonly LineRange[], out: Consumer): void {
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
  const { size, counts } = table;
  if (!table.invalidUtf8 && out.pushEncoded) {
    // Distinct valid UTF-8 byte sequences decode to distinct strings: the tokens are the
    // partition's distinct keys already, and their bytes are their encoding.
    const key = new ValueWriter(256);
    for (let i = 0; i < size; i++) {
      key.reset();
      table.encodeToken(i, key);
      out.pushEncoded(key.buf, 0, key.length, counts[i] * kernel.value);
    }
  } else {
    for (let i = 0; i < size; i++) out.push([table.token(i), counts[i] * kernel.value]);
  }
  out.end();
}

/** One line, one-byte separator: hash while scanning, one pass over the bytes. */
function tokeniseByte(table: TokenTable, segment: number, bytes: Uint8Array, start: number, end: number, sep: number): void {
  let t = start;
  let h = FNV_OFFSET;
  for (let j = start; j < end; j++) {
    const b = bytes[j];
    if (b === sep) {
      table.count(segment, t, j, h);
      t = j + 1;
      h = FNV_OFFSET;
    } else {
      h = Math.imul(h ^ b, FNV_PRIME);
    }
  }
  table.count(segment, t, end, h);
}

/** One line, a longer ASCII separator, matched left to right without overlaps as `split` does. */
function tokenise(table: TokenTable, segment: number, bytes: Uint8Array, start: number, end: number, sep: Uint8Array): void {
  let t = start;
  for (let j = start; j + sep.length <= end; ) {
    let k = 0;
    while (k < sep.length && bytes[j + k] === sep[k]) k++;
    if (k === sep.length) {
      table.count(segment, t, j, fnv1a(bytes, t, j));
      j += sep.length;
      t = j;
    } else {
      j++;
    }
  }
  table.count(segment, t, end, fnv1a(bytes, t, end));
}

/** The partition's distinct tokens (a {@link ByteKeyTable} over its segments) and their counts. */
class TokenTable {
  readonly #keys = new ByteKeyTable();
  readonly #buffers: Buffer[] = [];
  counts = new Float64Array(1024);
  /** Some token is not valid UTF-8: two such byte sequences may decode to one string (U+FFFD). */
  invalidUtf8 = false;

  get size(): number {
    return this.#keys.size;
  }

  addSegment(bytes: Uint8Array): number {
    this.#buffers.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return this.#keys.addBuffer(bytes);
  }

  count(segment: number, start: number, end: number, h: number): void {
    const n = this.#keys.size;
    const e = this.#keys.intern(segment, start, end, h);
    if (e < n) {
      this.counts[e]++;
      return;
    }
    if (e === this.counts.length) {
      const grown = new Float64Array(e * 2);
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[e] = 1;
    const bytes = this.#buffers[segment];
    if (!this.invalidUtf8 && !isAscii(bytes, start, end) && !isUtf8(bytes.subarray(start, end))) this.invalidUtf8 = true;
  }

  /** Token `e` decoded (invalid UTF-8 as U+FFFD). */
  token(e: number): string {
    return utf8Slice(this.#buffers[this.#keys.bufferOf(e)], this.#keys.startOf(e), this.#keys.endOf(e));
  }

  /** Appends token `e`, valid UTF-8, to `out` as the string it decodes to, without decoding it. */
  encodeToken(e: number, out: ValueWriter): void {
    out.writeUtf8(this.#buffers[this.#keys.bufferOf(e)], this.#keys.startOf(e), this.#keys.endOf(e));
  }
}

function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] >= 0x80) return false;
  return true;
}
