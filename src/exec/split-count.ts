import { FNV_OFFSET, FNV_PRIME, fnv1a } from '../memory/fnv.js';
import { LineSegmentView } from '../memory/line-segment.js';
import { utf8Slice } from '../memory/value-codec.js';
import type { Kernel, LineRange } from '../plan/task.js';
import type { Consumer } from './pipeline.js';

/**
 * The seed's WordCount map side on bytes: tokenise every line of the partition on the separator
 * and count each distinct token in an open-addressing table over the shared batch itself, with no
 * JavaScript string per word. Each distinct token is decoded once, when first seen, and the
 * `[word, count × value]` pairs go to the sink (the shuffle writer, whose combiner also merges two
 * byte sequences that decode to the same string, as two invalid sequences both becoming U+FFFD).
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
  const { words, counts } = table;
  for (let i = 0; i < words.length; i++) out.push([words[i], counts[i] * kernel.value]);
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
  readonly words: string[] = [];
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
    const e = this.words.length;
    if (e === this.#seg.length) this.#growEntries();
    this.#seg[e] = segment;
    this.#start[e] = start;
    this.#len[e] = len;
    this.#hash[e] = h;
    this.counts[e] = 1;
    this.words.push(utf8Slice(this.#buffers[segment], start, end));
    this.#slots[slot] = e;
    if (this.words.length * 2 > this.#slots.length) this.#rehash();
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
    for (let e = 0; e < this.words.length; e++) {
      let slot = this.#hash[e] & mask;
      while (slots[slot] !== -1) slot = (slot + 1) & mask;
      slots[slot] = e;
    }
    this.#slots = slots;
    this.#mask = mask;
  }
}
