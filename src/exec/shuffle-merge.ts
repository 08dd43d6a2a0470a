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
  const fold = combinerFold(agg);
  const table = new ByteKeyTable();
  const byValue = new KeyMap<number>();
  // Per key, in order first seen: its combiner, and where its key is (a table entry, or decoded).
  const combiners: unknown[] = [];
  const tableEntry: number[] = [];
  const decoded: unknown[] = [];
  const compound: boolean[] = [];
  const keyAt: number[] = []; // key index of each table entry
  for (const { count, reader } of sections) {
    const buf = reader.buf;
    const b = table.addBuffer(buf);
    for (let i = 0; i < count; i++) {
      const start = reader.pos;
      let k: number;
      if (isPlainEncodedKey(buf, start)) {
        reader.skip();
        const seen = table.size;
        const e = table.intern(b, start, reader.pos, fnv1a(buf, start, reader.pos));
        if (e === seen) {
          k = combiners.length;
          keyAt.push(k);
          tableEntry.push(e);
          decoded.push(undefined);
          compound.push(false);
          combiners.push(undefined);
        } else {
          k = keyAt[e];
        }
      } else {
        const key = reader.read();
        const known = byValue.get(key);
        if (known === undefined) {
          k = combiners.length;
          byValue.set(key, k);
          tableEntry.push(-1);
          decoded.push(key);
          compound.push(typeof key === 'object' && key !== null);
          combiners.push(undefined);
        } else {
          k = known;
        }
      }
      combiners[k] = fold(combiners[k], reader.read());
    }
  }
  const keyOf = (k: number): unknown => {
    const e = tableEntry[k];
    if (e === -1) return decoded[k];
    const { reader } = sections[table.bufferOf(e)];
    reader.pos = table.startOf(e);
    return reader.read();
  };
  const order: number[] = [];
  for (let k = 0; k < combiners.length; k++) if (!compound[k]) order.push(k);
  for (let k = 0; k < combiners.length; k++) if (compound[k]) order.push(k);
  let kept: SharedArrayBuffer | undefined;
  if (keep) {
    const w = new ValueWriter(1024);
    const copied = order.every((k) => {
      const c = combiners[k];
      if (!roundTrips(c)) return false;
      const e = tableEntry[k];
      if (e === -1) w.write([decoded[k], c]);
      else w.writeEncodedPair(sections[table.bufferOf(e)].reader.buf, table.startOf(e), table.endOf(e), c);
      return true;
    });
    if (copied) kept = sealBlock([w], [order.length]);
  }
  if (out.pushEncoded) {
    // The keys are distinct: a consumer that matches keys by bytes takes them undecoded.
    for (const k of order) {
      const e = tableEntry[k];
      if (e !== -1) {
        out.pushEncoded(sections[table.bufferOf(e)].reader.buf, table.startOf(e), table.endOf(e), combiners[k]);
      } else {
        const w = new ValueWriter(32);
        w.write(decoded[k]);
        out.pushEncoded(w.buf, 0, w.length, combiners[k]);
      }
    }
  } else {
    for (const k of order) out.push([keyOf(k), combiners[k]]);
  }
  return kept;
}
