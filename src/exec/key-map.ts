import { ValueWriter } from '../memory/value-codec.js';

/**
 * A map from keys to values that compares keys as PySpark does: by value. Strings, numbers,
 * booleans and null are JavaScript Map keys already; a compound key (a tuple such as
 * `['a', 1]`, or an object) is looked up by its encoded bytes, and the first instance seen is kept
 * as the key that is emitted.
 */
export class KeyMap<V> {
  readonly #simple = new Map<unknown, V>();
  readonly #compound = new Map<string, { key: unknown; value: V }>();

  get size(): number {
    return this.#simple.size + this.#compound.size;
  }

  get(key: unknown): V | undefined {
    if (typeof key !== 'object' || key === null) return this.#simple.get(key);
    return this.#compound.get(canonical(key))?.value;
  }

  set(key: unknown, value: V): void {
    if (typeof key !== 'object' || key === null) {
      this.#simple.set(key, value);
      return;
    }
    const id = canonical(key);
    const entry = this.#compound.get(id);
    if (entry) entry.value = value;
    else this.#compound.set(id, { key, value });
  }

  delete(key: unknown): void {
    if (typeof key !== 'object' || key === null) this.#simple.delete(key);
    else this.#compound.delete(canonical(key));
  }

  /**
   * Calls `fn` for every entry, in the order {@link entries} lists them, without a generator or an
   * entry array per key (the map side of a shuffle walks tens of thousands of keys a task).
   */
  forEach(fn: (value: V, key: unknown) => void): void {
    this.#simple.forEach(fn);
    this.#compound.forEach((entry) => fn(entry.value, entry.key));
  }

  *entries(): IterableIterator<[unknown, V]> {
    yield* this.#simple.entries();
    for (const { key, value } of this.#compound.values()) yield [key, value];
  }
}

const scratch = new ValueWriter(256);

/**
 * A compound key's identity: its encoded bytes, which are equal exactly when the keys are (the
 * partitioner relies on the same property). JSON would not do: it writes NaN, ±Infinity, null and
 * undefined all as `null`.
 */
function canonical(key: object): string {
  scratch.reset();
  scratch.write(key);
  return scratch.buf.toString('latin1', 0, scratch.length);
}
