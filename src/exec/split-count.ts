import { isUtf8 } from 'node:buffer';
import { FNV_OFFSET, FNV_PRIME, fnv1a } from '../memory/fnv.js';
import { LineSegmentView } from '../memory/line-segment.js';
import { utf8Slice, ValueWriter } from '../memory/value-codec.js';
import type { Kernel, LineRange } from '../plan/task.js';
import type { Consumer } from './pipeline.js';

/**
 * The seed's WordCount map side on bytes: tokenise every line of the partition on the separator
 * and count each distinct token in an open-addressing table over the shared batch itself, with no
 * JavaScript string per word. When every token is valid UTF-8, the `[word, count × value]` pairs go
 * to the shuffle writer with the word still as bytes (`pushEncodedDistinct`): its encoding is a tag,
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
  if (!table.invalidUtf8 && out.pushEncodedDistinct) {
    // Distinct valid UTF-8 byte sequences decode to distinct strings: the tokens are the
    // partition's distinct keys already, and their bytes are their encoding.
    const key = new ValueWriter(256);
    for (let i = 0; i < size; i++) {
      key.reset();
      table.encodeToken(i, key);
      out.pushEncodedDistinct(key, counts[i] * kernel.value);
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

/** Distinct tokens by bytes: where each first occurs (segment, start, length), its hash and count. */
class TokenTable {
  size = 0;
  /** Some token is not valid UTF-8: two such byte sequences may decode to one string (U+FFFD). */
  invalidUtf8 = false;
  counts = new Float64Array(1024);
  #segments: Uint8Array[] = [];
  #buffers: Buffer[] = [];
  #seg = new Int32Array(1024);
  #start = new Int32Array(1024);
  #len = new Int32Array(1024);
  #hash = new Int32Array(1024);
  #slots = new Int32Array(2048).fill(-1);
  #mask = 2047;

  addSegment(bytes: Uint8Array): number {
    this.#segments.push(bytes);
    this.#buffers.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return this.#segments.length - 1;
  }

  count(segment: number, start: number, end: number, h: number): void {
    const len = end - start;
    const bytes = this.#segments[segment];
    let slot = h & this.#mask;
    for (;;) {
      const e = this.#slots[slot];
      if (e === -1) break;
      if (this.#hash[e] === h && this.#len[e] === len && this.#equal(e, bytes, start, len)) {
        this.counts[e]++;
        return;
      }
      slot = (slot + 1) & this.#mask;
    }
    const e = this.size++;
    if (e === this.#seg.length) this.#growEntries();
    this.#seg[e] = segment;
    this.#start[e] = start;
    this.#len[e] = len;
    this.#hash[e] = h;
    this.counts[e] = 1;
    if (!this.invalidUtf8 && !isAscii(bytes, start, end) && !isUtf8(bytes.subarray(start, end))) this.invalidUtf8 = true;
    this.#slots[slot] = e;
    if (this.size * 2 > this.#slots.length) this.#rehash();
  }

  /** Token `e` decoded (invalid UTF-8 as U+FFFD). */
  token(e: number): string {
    const start = this.#start[e];
    return utf8Slice(this.#buffers[this.#seg[e]], start, start + this.#len[e]);
  }

  /** Appends token `e`, valid UTF-8, to `out` as the string it decodes to, without decoding it. */
  encodeToken(e: number, out: ValueWriter): void {
    const start = this.#start[e];
    out.writeUtf8(this.#segments[this.#seg[e]], start, start + this.#len[e]);
  }

  #equal(e: number, bytes: Uint8Array, start: number, len: number): boolean {
    const other = this.#segments[this.#seg[e]];
    const o = this.#start[e];
    for (let i = 0; i < len; i++) if (other[o + i] !== bytes[start + i]) return false;
    return true;
  }

  #growEntries(): void {
    const grow = <A extends Int32Array | Float64Array>(a: A): A => {
      const b = new (a.constructor as new (n: number) => A)(a.length * 2);
      b.set(a);
      return b;
    };
    this.#seg = grow(this.#seg);
    this.#start = grow(this.#start);
    this.#len = grow(this.#len);
    this.#hash = grow(this.#hash);
    this.counts = grow(this.counts);
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let e = 0; e < this.size; e++) {
      let slot = this.#hash[e] & mask;
      while (slots[slot] !== -1) slot = (slot + 1) & mask;
      slots[slot] = e;
    }
    this.#slots = slots;
    this.#mask = mask;
  }
}

function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] >= 0x80) return false;
  return true;
}
