import { CorruptDataError } from '../errors.js';
import { fnv1a } from './fnv.js';

/**
 * An indexed state: one partition of a keyed state whose states are numbers (the stateful
 * WordCount's counts), kept as an append-only log of `[key, state]` entries in one
 * SharedArrayBuffer with an open-addressing hash index over the keys. A batch's merge finds each of
 * its keys through the index and appends one entry per key it changes (a new state, or a tombstone
 * when the update removed the key), so it costs the batch's distinct keys, not the whole state.
 *
 * A batch's state is a *version*: {@link IndexedState}, the log's first `length` entries. The
 * entries of a version are never modified afterwards, so a version stays readable, and a failed
 * batch leaves the previous version as it was:
 * - an entry's `next` is set when a later entry supersedes it; a reader of version L takes entry
 *   i as live when it is no tombstone and `next` is none or ≥ L (superseded after L);
 * - the index (key → newest entry) is only read by the writer, the task that owns the partition,
 *   which runs one batch at a time; a batch that failed after appending entries is undone, before
 *   the next batch writes, from the high-water mark every append advances (`repair`).
 * When the log has no room for a batch, its live entries are copied into a new log (compaction):
 * O(state) once every ~(state / batch) batches.
 */
export interface IndexedState {
  readonly kind: 'indexed';
  readonly sab: SharedArrayBuffer;
  /** Entries of this version: the log's first `length`. */
  readonly length: number;
  /** Key bytes used by this version's entries. */
  readonly bytes: number;
  /** Live keys in this version. */
  readonly live: number;
}

const MAGIC = 0x49534843; // 'CHSI' little-endian
const HEADER_BYTES = 64;
const H_MAGIC = 0;
const H_CAP = 1;
const H_SLOTS = 2;
const H_KEY_BYTES = 3;
/** Entries physically written: past a version's length only after a batch failed mid-merge. */
const H_HIGH_WATER = 4;
const NONE = -1;
const TOMB = 0x80000000;
const LEN_MASK = 0x7fffffff;

/** An opened log: typed views over its columns. */
export class IndexedStateLog {
  readonly sab: SharedArrayBuffer;
  readonly cap: number;
  readonly header: Int32Array;
  readonly states: Float64Array;
  /** Offset of the key's bytes in `keys`. */
  readonly keyStart: Uint32Array;
  /** The key's byte length; bit 31 marks a tombstone. */
  readonly keyLen: Uint32Array;
  /** The entry this one superseded (for undoing a failed batch), or NONE. */
  readonly prev: Int32Array;
  /** The entry that superseded this one, or NONE. */
  readonly next: Int32Array;
  readonly hash: Int32Array;
  /** Entry + 1 of each key's newest entry; 0 = empty. */
  readonly slots: Int32Array;
  readonly mask: number;
  readonly keys: Buffer;

  private constructor(sab: SharedArrayBuffer) {
    const header = new Int32Array(sab, 0, HEADER_BYTES / 4);
    if (sab.byteLength < HEADER_BYTES || header[H_MAGIC] !== MAGIC) throw new CorruptDataError('not a chispa indexed state');
    const cap = header[H_CAP];
    const slots = header[H_SLOTS];
    this.sab = sab;
    this.cap = cap;
    this.header = header;
    let at = HEADER_BYTES;
    this.states = new Float64Array(sab, at, cap);
    at += cap * 8;
    const col = () => {
      const from = at;
      at += cap * 4;
      return from;
    };
    this.keyStart = new Uint32Array(sab, col(), cap);
    this.keyLen = new Uint32Array(sab, col(), cap);
    this.prev = new Int32Array(sab, col(), cap);
    this.next = new Int32Array(sab, col(), cap);
    this.hash = new Int32Array(sab, col(), cap);
    this.slots = new Int32Array(sab, at, slots);
    at += slots * 4;
    this.mask = slots - 1;
    this.keys = Buffer.from(sab, at, header[H_KEY_BYTES]);
  }

  /** A new, empty log with room for `cap` entries and `keyBytes` bytes of keys. */
  static create(cap: number, keyBytes: number): IndexedStateLog {
    let slots = 16;
    while (slots < cap * 2) slots *= 2;
    const sab = new SharedArrayBuffer(HEADER_BYTES + cap * 28 + slots * 4 + keyBytes);
    const header = new Int32Array(sab, 0, HEADER_BYTES / 4);
    header[H_MAGIC] = MAGIC;
    header[H_CAP] = cap;
    header[H_SLOTS] = slots;
    header[H_KEY_BYTES] = keyBytes;
    return new IndexedStateLog(sab);
  }

  static open(sab: SharedArrayBuffer): IndexedStateLog {
    return new IndexedStateLog(sab);
  }

  get highWater(): number {
    return this.header[H_HIGH_WATER];
  }

  /** Whether `n` more entries with up to `bytes` new key bytes fit after version `v`. */
  hasRoom(v: IndexedState, n: number, bytes: number): boolean {
    return v.length + n <= this.cap && v.bytes + bytes <= this.keys.length;
  }

  /**
   * The slot of key `buf[start, end)`: holding its newest entry + 1, or the empty slot where it
   * goes (0).
   */
  slotOf(buf: Uint8Array, start: number, end: number, h: number): number {
    const { slots, mask, keyStart, keyLen, hash, keys } = this;
    const len = end - start;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = slots[s] - 1;
      if (e < 0) return s;
      if (hash[e] !== h || (keyLen[e] & LEN_MASK) !== len) continue;
      const at = keyStart[e];
      let i = 0;
      while (i < len && keys[at + i] === buf[start + i]) i++;
      if (i === len) return s;
    }
  }

  isTombstone(e: number): boolean {
    return (this.keyLen[e] & TOMB) !== 0;
  }

  /**
   * Appends entry `n` for the key in `slot`: a new state, or a tombstone (`state` null). `newest`
   * is the key's newest entry (superseded now), or NONE for a key never seen, whose bytes
   * `buf[start, end)` are copied to key offset `keyAt`.
   */
  append(n: number, slot: number, newest: number, state: number | null, h: number, buf: Uint8Array, start: number, end: number, keyAt: number): void {
    if (newest === NONE) {
      // Keys are mostly a few bytes: a loop beats a subarray and a set.
      const keys = this.keys;
      for (let i = start; i < end; i++) keys[keyAt + i - start] = buf[i];
      this.keyStart[n] = keyAt;
      this.keyLen[n] = end - start;
    } else {
      this.keyStart[n] = this.keyStart[newest];
      this.keyLen[n] = this.keyLen[newest] & LEN_MASK;
    }
    if (state === null) this.keyLen[n] |= TOMB;
    else this.states[n] = state;
    this.hash[n] = h;
    this.prev[n] = newest;
    this.next[n] = NONE;
    // The high-water mark first: a batch failing after this line is undone from it.
    this.header[H_HIGH_WATER] = n + 1;
    if (newest !== NONE) this.next[newest] = n;
    this.slots[slot] = n + 1;
  }

  /** Appends entry `n` for a key known to be absent (a compaction's): the first empty slot, no key compared. */
  appendAbsent(n: number, state: number, h: number, buf: Uint8Array, start: number, end: number, keyAt: number): void {
    const { slots, mask } = this;
    let s = h & mask;
    while (slots[s] !== 0) s = (s + 1) & mask;
    this.append(n, s, NONE, state, h, buf, start, end, keyAt);
  }

  /**
   * Undoes the entries a failed batch wrote past version `v` (newest first), so the index and the
   * `next` links are again those of `v`. A slot emptied here was empty when `v` was written, so no
   * key of `v` probes past it.
   */
  repair(v: IndexedState): void {
    for (let g = this.highWater - 1; g >= v.length; g--) {
      const p = this.prev[g];
      const s = this.#slotOfEntry(g);
      this.slots[s] = p === NONE ? 0 : p + 1;
      if (p !== NONE) this.next[p] = NONE;
    }
    this.header[H_HIGH_WATER] = v.length;
  }

  #slotOfEntry(e: number): number {
    const { slots, mask } = this;
    for (let s = this.hash[e] & mask; ; s = (s + 1) & mask) if (slots[s] === e + 1) return s;
  }

  /** Whether entry `e` is live in a version of `length` entries. */
  liveIn(e: number, length: number): boolean {
    if (this.keyLen[e] & TOMB) return false;
    const nx = this.next[e];
    return nx === NONE || nx >= length;
  }
}

/** Every live entry of version `v`, in log order, the key still encoded (`buf[start, end)`). */
export function scanIndexedState(v: IndexedState, visit: (buf: Buffer, keyStart: number, keyEnd: number, state: number) => void): void {
  const log = IndexedStateLog.open(v.sab);
  const { keyStart, keyLen, states, keys } = log;
  for (let e = 0; e < v.length; e++) {
    if (!log.liveIn(e, v.length)) continue;
    const at = keyStart[e];
    visit(keys, at, at + (keyLen[e] & LEN_MASK), states[e]);
  }
}

/**
 * A new log holding the `live` pairs `fill` adds (their keys `keyBytes` bytes in all, at most),
 * with room for `n` more entries and `bytes` more key bytes, and slack for later batches.
 */
export function buildIndexedState(
  live: number,
  keyBytes: number,
  n: number,
  bytes: number,
  fill: (add: (buf: Uint8Array, start: number, end: number, state: number, hash?: number) => void) => void,
): IndexedState {
  // Slack of half the state, and of at least eight batches like this one: a small state that
  // batches rewrite in large part (a WordCount's hot words, 100 ms batches) would otherwise be
  // compacted nearly every batch, each time a fresh log to allocate and collect.
  const log = IndexedStateLog.create(Math.ceil((live + n) * 1.5) + 8 * n + 16, Math.ceil((keyBytes + bytes) * 1.5) + 8 * bytes + 64);
  let length = 0;
  let at = 0;
  // The keys of a block, or of a version's live entries, are distinct.
  fill((buf, start, end, state, hash) => {
    log.appendAbsent(length++, state, hash ?? fnv1a(buf, start, end), buf, start, end, at);
    at += end - start;
  });
  return { kind: 'indexed', sab: log.sab, length, bytes: at, live: length };
}

/** Version `v`'s live entries compacted into a new log, with room for `n` more entries and `bytes` more key bytes. */
export function compactIndexedState(v: IndexedState, n: number, bytes: number): IndexedState {
  const old = IndexedStateLog.open(v.sab);
  const { keyStart, keyLen, states, hash, keys } = old;
  return buildIndexedState(v.live, v.bytes, n, bytes, (add) => {
    for (let e = 0; e < v.length; e++) {
      if (!old.liveIn(e, v.length)) continue;
      const at = keyStart[e];
      add(keys, at, at + (keyLen[e] & LEN_MASK), states[e], hash[e]);
    }
  });
}

