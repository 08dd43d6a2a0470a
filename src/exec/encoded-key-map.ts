import { fnv1a } from '../memory/fnv.js';

/**
 * A map keyed by encoded key bytes (the value codec's), for merges that match the keys of a state
 * block against a batch's keys without decoding the block's keys. A set of the keys' byte hashes
 * lets a scan skip, with one cheap loop, the (usually many more) stored keys that have no entry:
 * only a hash hit pays for building the lookup string.
 */
export class EncodedKeyMap<V> {
  readonly #byBytes = new Map<string, V>();
  readonly #hashes = new Set<number>();

  get size(): number {
    return this.#byBytes.size;
  }

  /** The entry of key `buf[start, end)`, created with `create()` when missing. */
  upsert(buf: Buffer, start: number, end: number, create: () => V): V {
    const id = buf.toString('latin1', start, end);
    let v = this.#byBytes.get(id);
    if (v === undefined) {
      v = create();
      this.#byBytes.set(id, v);
      this.#hashes.add(fnv1a(buf, start, end));
    }
    return v;
  }

  /** Removes and returns the entry of key `buf[start, end)`, if any. */
  take(buf: Buffer, start: number, end: number): V | undefined {
    if (this.#byBytes.size === 0 || !this.#hashes.has(fnv1a(buf, start, end))) return undefined;
    const id = buf.toString('latin1', start, end);
    const v = this.#byBytes.get(id);
    if (v !== undefined) this.#byBytes.delete(id);
    return v;
  }

  /** The entries left. */
  values(): IterableIterator<V> {
    return this.#byBytes.values();
  }

  /** The entries left, with each key's bytes. */
  *entries(): IterableIterator<[Buffer, V]> {
    for (const [id, v] of this.#byBytes) yield [Buffer.from(id, 'latin1'), v];
  }
}
