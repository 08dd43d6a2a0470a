/**
 * Distinct byte sequences, found by their bytes where they already lie (a batch's segments, a
 * shuffle block's sections): an open-addressing table of entries `(buffer, start, length, hash)`,
 * each entry the first occurrence of its bytes. Matching keys as bytes spares the decoding of
 * every repeat, and the string hashing a `Map` would do on each freshly decoded copy; only the
 * distinct keys are decoded, once. The caller hashes (it may hash while it scans) and keeps its
 * own per-entry columns, indexed by entry number, in the order entries were added.
 */
export class ByteKeyTable {
  /** Entries so far; entry `e` is the `e`-th distinct sequence seen. */
  size = 0;
  readonly #buffers: Uint8Array[] = [];
  #buf = new Int32Array(1024);
  #start = new Int32Array(1024);
  #len = new Int32Array(1024);
  #hash = new Int32Array(1024);
  #slots = new Int32Array(2048).fill(-1);
  #mask = 2047;

  /** Registers a buffer that sequences are read from; returns its number. */
  addBuffer(bytes: Uint8Array): number {
    this.#buffers.push(bytes);
    return this.#buffers.length - 1;
  }

  /**
   * The entry of `buffer[start, end)`, whose int32 hash is `h`; a new entry (number `size - 1`)
   * if these bytes were not seen before.
   */
  intern(buffer: number, start: number, end: number, h: number): number {
    const len = end - start;
    const slot = this.#probe(this.#buffers[buffer], start, len, h);
    const found = this.#slots[slot];
    if (found !== -1) return found;
    const e = this.size++;
    if (e === this.#buf.length) this.#growEntries();
    this.#buf[e] = buffer;
    this.#start[e] = start;
    this.#len[e] = len;
    this.#hash[e] = h;
    this.#slots[slot] = e;
    if (this.size * 2 > this.#slots.length) this.#rehash();
    return e;
  }

  /** The entry of `bytes[start, end)`, bytes from anywhere, whose int32 hash is `h`; -1 if none. */
  find(bytes: Uint8Array, start: number, end: number, h: number): number {
    return this.#slots[this.#probe(bytes, start, end - start, h)];
  }

  /** The slot that holds these bytes' entry, or the empty slot where it would go. */
  #probe(bytes: Uint8Array, start: number, len: number, h: number): number {
    let slot = h & this.#mask;
    for (;;) {
      const e = this.#slots[slot];
      if (e === -1 || (this.#hash[e] === h && this.#len[e] === len && this.#equal(e, bytes, start, len))) return slot;
      slot = (slot + 1) & this.#mask;
    }
  }

  /** Buffer number `b`, as registered. */
  buffer(b: number): Uint8Array {
    return this.#buffers[b];
  }

  /** The buffer number of entry `e`'s bytes. */
  bufferOf(e: number): number {
    return this.#buf[e];
  }

  startOf(e: number): number {
    return this.#start[e];
  }

  endOf(e: number): number {
    return this.#start[e] + this.#len[e];
  }

  #equal(e: number, bytes: Uint8Array, start: number, len: number): boolean {
    const other = this.#buffers[this.#buf[e]];
    const o = this.#start[e];
    for (let i = 0; i < len; i++) if (other[o + i] !== bytes[start + i]) return false;
    return true;
  }

  #growEntries(): void {
    const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.#buf = grow(this.#buf);
    this.#start = grow(this.#start);
    this.#len = grow(this.#len);
    this.#hash = grow(this.#hash);
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
