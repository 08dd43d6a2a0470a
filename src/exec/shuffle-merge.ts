import { ByteKeyTable } from '../memory/byte-key-table.js';
import { fnv1a } from '../memory/fnv.js';
import { sealBlock, type BlockSection } from '../memory/partitioned-block.js';
import { isPlainEncodedKey, roundTrips, ValueWriter } from '../memory/value-codec.js';
import { combinerFold, type KeyedAggregator } from './aggregate.js';
import { KeyMap } from './key-map.js';
import type { Consumer } from './pipeline.js';

/**
 * Reduce side of a keyed shuffle: folds the combiners that every map task wrote for this
 * partition (`sections`, one per map task) into one per key, and pushes the `[key, combiner]`
 * pairs. A key that appears in several map outputs is matched by its encoded bytes where they lie
 * in the blocks ({@link ByteKeyTable}), so it is decoded once, not once per map task, and never
 * hashed as a string; only keys that must be compared by value (floats, arrays, objects) are
 * decoded and looked up in a {@link KeyMap}. A consumer that takes encoded keys (`pushEncoded`, the
 * state merge) gets them as they lie in the blocks, never decoded.
 *
 * Keys come out in the order a KeyMap lists them, which is what reducers always gave: in the
 * order first seen, arrays and objects after all the others.
 *
 * With `keep`, it also returns the merged partition as a one-section block of `[key, combiner]`
 * records, in that order, keys copied as the map tasks encoded them, so that later jobs over the
 * same shuffle read it instead of merging again (see DAGScheduler). Only when every combiner
 * decodes back exactly ({@link roundTrips}): a later job must see what this one saw.
 */
export function mergeShuffle(sections: readonly BlockSection[], agg: KeyedAggregator, out: Consumer, keep = false): SharedArrayBuffer | undefined {
  const keys = new MergedKeys(agg);
  for (const section of sections) keys.add(section);
  const { table, combiners } = keys;
  const bufferOf = (e: number): Buffer => sections[table.bufferOf(e)].reader.buf;
  const order = keys.order();
  let kept: SharedArrayBuffer | undefined;
  if (keep) {
    const w = new ValueWriter(1024);
    const copied = order.every((k) => {
      const c = combiners[k];
      if (!roundTrips(c)) return false;
      const e = keys.entryOf(k);
      if (e === -1) w.write([keys.decoded.get(k), c]);
      else w.writeEncodedPair(bufferOf(e), table.startOf(e), table.endOf(e), c);
      return true;
    });
    if (copied) kept = sealBlock([w], [order.length]);
  }
  if (out.pushEncoded) {
    // The keys are distinct: a consumer that matches keys by bytes takes them undecoded.
    for (const k of order) {
      const e = keys.entryOf(k);
      if (e !== -1) {
        out.pushEncoded(bufferOf(e), table.startOf(e), table.endOf(e), combiners[k]);
      } else {
        const w = new ValueWriter(32);
        w.write(keys.decoded.get(k));
        out.pushEncoded(w.buf, 0, w.length, combiners[k]);
      }
    }
  } else {
    for (const k of order) {
      const e = keys.entryOf(k);
      let key: unknown;
      if (e === -1) key = keys.decoded.get(k);
      else {
        const { reader } = sections[table.bufferOf(e)];
        reader.pos = table.startOf(e);
        key = reader.read();
      }
      out.push([key, combiners[k]]);
    }
  }
  return kept;
}

/**
 * The distinct keys of a reduce partition, numbered in the order first seen, with their combiners
 * so far. Its columns are typed arrays and its fields keep one shape, so the per-record loop
 * (`add`) stays optimised: the same loop written with a handful of growing `number[]` and
 * closures in one long function was deoptimised again and again and ran at ~1 µs a record.
 */
class MergedKeys {
  readonly table = new ByteKeyTable();
  /** By-value keys (floats, arrays, objects): their key numbers. */
  readonly byValue = new KeyMap<number>();
  /** Key number → the decoded key, for keys matched by value. */
  readonly decoded = new Map<number, unknown>();
  /** Key number → combiner. */
  readonly combiners: unknown[] = [];
  readonly #fold: (so: unknown, more: unknown) => unknown;
  /** Key number → table entry (-1: matched by value); table entry → key number. */
  #entryOfKey: Int32Array<ArrayBuffer> = new Int32Array(1024);
  #keyOfEntry: Int32Array<ArrayBuffer> = new Int32Array(1024);
  size = 0;

  /** Whether combiners are arrays a later map task's values are appended to (groupByKey). */
  readonly #appends: boolean;

  constructor(agg: KeyedAggregator) {
    this.#fold = combinerFold(agg);
    this.#appends = agg.kind === 'group';
  }

  /** Folds every `[key, combiner]` record of one map task's section in. */
  add(section: BlockSection): void {
    const { count, reader } = section;
    const buf = reader.buf;
    const table = this.table;
    const b = table.addBuffer(buf);
    const combiners = this.combiners;
    for (let i = 0; i < count; i++) {
      const start = reader.pos;
      let k: number;
      if (isPlainEncodedKey(buf, start)) {
        reader.skip();
        const end = reader.pos;
        const seen = table.size;
        const e = table.intern(b, start, end, fnv1a(buf, start, end));
        k = e === seen ? this.#newKey(e) : this.#keyOfEntry[e];
      } else {
        const key = reader.read();
        const known = this.byValue.get(key);
        if (known === undefined) {
          k = this.#newKey(-1);
          this.byValue.set(key, k);
          this.decoded.set(k, key);
        } else {
          k = known;
        }
      }
      const c = combiners[k];
      // A group's values from another map task go straight onto the key's array (the fold's
      // concatenation, without decoding them into an array of their own first).
      if (!(this.#appends && c !== undefined && reader.appendArray(c as unknown[]))) combiners[k] = this.#fold(c, reader.read());
    }
  }

  /** The table entry of key `k`, or -1 if it was matched by value. */
  entryOf(k: number): number {
    return this.#entryOfKey[k];
  }

  /** Key numbers in the order a KeyMap lists them: first seen, arrays and objects last. */
  order(): number[] {
    const order: number[] = [];
    const compound: number[] = [];
    for (let k = 0; k < this.size; k++) {
      if (this.#entryOfKey[k] === -1) {
        const key = this.decoded.get(k);
        if (typeof key === 'object' && key !== null) {
          compound.push(k);
          continue;
        }
      }
      order.push(k);
    }
    for (const k of compound) order.push(k);
    return order;
  }

  #newKey(entry: number): number {
    const k = this.size++;
    if (k >= this.#entryOfKey.length) this.#entryOfKey = grown(this.#entryOfKey);
    this.#entryOfKey[k] = entry;
    if (entry !== -1) {
      while (entry >= this.#keyOfEntry.length) this.#keyOfEntry = grown(this.#keyOfEntry);
      this.#keyOfEntry[entry] = k;
    }
    this.combiners.push(undefined);
    return k;
  }
}

function grown(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
