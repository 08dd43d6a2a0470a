/**
 * Distinct byte sequences, found by their bytes where they already lie (a batch's segments, a
 * shuffle block's sections): an open-addressing table of entries `(buffer, start, length, hash)`,
 * each entry the first occurrence of its bytes. Matching keys as bytes spares the decoding of
 * every repeat, and the string hashing a `Map` would do on each freshly decoded copy; only the
 * distinct keys are decoded, once. The caller hashes (it may hash while it scans) and keeps its
 * own per-entry columns, indexed by entry number, in the order entries were added.
 *
 * A lookup is one probe into the slots, one read of the entry's packed fields and one compare,
 * and all three stay in a small footprint: an entry's hash, length and copy offset sit side by
 * side (one cache line, not three arrays), and its bytes are compared against a copy in a compact
 * arena rather than at their first occurrence, which may lie anywhere in megabytes of segments.
 * With tens of thousands of distinct words that took a Zipf word count from 55 to ~90 MB/s a core.
 */
export class ByteKeyTable {
  /** Entries so far; entry `e` is the `e`-th distinct sequence seen. */
  size = 0;
  readonly #buffers: Uint8Array[] = [];
  /** Per entry, ENTRY_FIELDS int32s: hash, length, arena offset, buffer number, start. */
  #entries = new Int32Array(ENTRY_FIELDS * 1024);
  /** Every entry's bytes, one after the other. */
  #arena = new Uint8Array(16 * 1024);
  #arenaEnd = 0;
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
    const bytes = this.#buffers[buffer];
    const slot = this.#probe(bytes, start, len, h);
    const found = this.#slots[slot];
    if (found !== -1) return found;
    const e = this.size++;
    if (ENTRY_FIELDS * this.size > this.#entries.length) this.#entries = grown(this.#entries, ENTRY_FIELDS * this.size);
    if (this.#arenaEnd + len > this.#arena.length) this.#arena = grown(this.#arena, this.#arenaEnd + len);
    for (let i = 0; i < len; i++) this.#arena[this.#arenaEnd + i] = bytes[start + i];
    const f = ENTRY_FIELDS * e;
    this.#entries[f + HASH] = h;
    this.#entries[f + LEN] = len;
    this.#entries[f + COPY] = this.#arenaEnd;
    this.#entries[f + BUFFER] = buffer;
    this.#entries[f + START] = start;
    this.#arenaEnd += len;
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
    const entries = this.#entries;
    let slot = h & this.#mask;
    for (;;) {
      const e = this.#slots[slot];
      if (e === -1) return slot;
      const f = ENTRY_FIELDS * e;
      if (entries[f + HASH] === h && entries[f + LEN] === len && this.#equal(entries[f + COPY], bytes, start, len)) return slot;
      slot = (slot + 1) & this.#mask;
    }
  }

  /** Buffer number `b`, as registered. */
  buffer(b: number): Uint8Array {
    return this.#buffers[b];
  }

  /** The buffer number of entry `e`'s bytes. */
  bufferOf(e: number): number {
    return this.#entries[ENTRY_FIELDS * e + BUFFER];
  }

  startOf(e: number): number {
    return this.#entries[ENTRY_FIELDS * e + START];
  }

  endOf(e: number): number {
    return this.#entries[ENTRY_FIELDS * e + START] + this.#entries[ENTRY_FIELDS * e + LEN];
  }

  #equal(copy: number, bytes: Uint8Array, start: number, len: number): boolean {
    const arena = this.#arena;
    for (let i = 0; i < len; i++) if (arena[copy + i] !== bytes[start + i]) return false;
    return true;
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let e = 0; e < this.size; e++) {
      let slot = this.#entries[ENTRY_FIELDS * e + HASH] & mask;
      while (slots[slot] !== -1) slot = (slot + 1) & mask;
      slots[slot] = e;
    }
    this.#slots = slots;
    this.#mask = mask;
  }
}

const ENTRY_FIELDS = 5;
const HASH = 0;
const LEN = 1;
const COPY = 2;
const BUFFER = 3;
const START = 4;

/** A copy of `a` with room for at least `need` elements (doubling). */
function grown<A extends Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>(a: A, need: number): A {
  const b = new (a.constructor as new (n: number) => A)(Math.max(a.length * 2, need));
  b.set(a);
  return b;
}
