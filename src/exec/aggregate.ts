import { CorruptDataError, shortDescription } from '../errors.js';
import type { Aggregator } from '../plan/task.js';
import { ValueWriter } from '../memory/value-codec.js';
import { KeyMap } from './key-map.js';
import { notAPromise } from './fuse.js';
import { OperatorFailure, resolveFn } from './pipeline.js';

/** The aggregators that combine by key; `none` and `sort` move records without combining. */
export type KeyedAggregator = Extract<Aggregator, { kind: 'combine' | 'group' | 'cogroup' }>;

/**
 * Combining records by key, on both sides of a shuffle: the map side folds values into combiners
 * (a {@link Combiner}'s `add`), the reduce side folds the combiners every map task wrote
 * ({@link combinerFold}, driven by shuffle-merge.ts).
 */
export interface Combiner {
  /** Map side: fold one `[key, value]` record in. */
  add(key: unknown, value: unknown): void;
  /**
   * Calls `fn` with every key, in the order a KeyMap lists them, once its combiner is written into
   * `w` (the value codec; `w` is reset before each) rather than handed over: a group's values may
   * be held as a run (see {@link ValueRun}) and are written as the array they stand for.
   */
  forEachEncoded(w: ValueWriter, fn: (key: unknown) => void): void;
}

/**
 * A key's grouped values while they are one primitive repeated (`[word, 1]` records grouped for
 * updateStateByKey): the value and how many times, instead of an array grown by one each record.
 * Its `list` takes over at the first different value. Primitives only: repeated, they cannot be
 * told from copies, and they encode to the same bytes each time, so the run is written as the
 * very array the values would have made.
 */
class ValueRun {
  count = 1;
  list: unknown[] | null = null;
  constructor(readonly value: unknown) {}

  add(v: unknown): void {
    if (this.list !== null) this.list.push(v);
    // `===` takes 0 and -0 as one value: both are written as 0, so the bytes are the same.
    else if (v === this.value) this.count++;
    else {
      this.list = new Array(this.count).fill(this.value);
      this.list.push(v);
    }
  }

  write(w: ValueWriter): void {
    if (this.list !== null) w.write(this.list);
    else w.writeRepeated(this.value, this.count);
  }
}

/** `forEachEncoded` over `map`: each combiner written by `write` into the reset writer, then `fn(key)`. */
function encodedEach<V>(map: KeyMap<V>, write: (w: ValueWriter, v: V) => void): Combiner['forEachEncoded'] {
  return (w, fn) =>
    map.forEach((v, k) => {
      w.reset();
      write(w, v);
      fn(k);
    });
}

const isPrimitive = (v: unknown): boolean => v === null || (typeof v !== 'object' && typeof v !== 'function');

export function createCombiner(agg: KeyedAggregator): Combiner {
  switch (agg.kind) {
    case 'combine': {
      const map = new KeyMap<unknown>();
      const create = agg.create ? resolveFn(agg.create) : undefined;
      const mergeValue = resolveFn(agg.merge);
      const op = agg.op;
      return {
        add(k, v) {
          // The per-record path: a try block, not a closure per record.
          const c = map.get(k);
          try {
            map.set(k, notAPromise(op, c === undefined ? (create ? create(v) : v) : mergeValue(c, v)));
          } catch (e) {
            throw new OperatorFailure(op, e);
          }
        },
        forEachEncoded: encodedEach(map, (w, c) => w.write(c)),
      };
    }
    case 'group': {
      const map = new KeyMap<ValueRun | unknown[]>();
      return {
        add(k, v) {
          const vs = map.get(k);
          if (vs === undefined) map.set(k, isPrimitive(v) ? new ValueRun(v) : [v]);
          else if (vs instanceof ValueRun) vs.add(v);
          else vs.push(v);
        },
        forEachEncoded: encodedEach(map, (w, vs) => (vs instanceof ValueRun ? vs.write(w) : w.write(vs))),
      };
    }
    case 'cogroup': {
      const map = new KeyMap<unknown[][]>();
      const sides = agg.sides;
      return {
        add(k, tagged) {
          const [side, v] = tagged as [number, unknown];
          let s = map.get(k);
          if (!s) map.set(k, (s = Array.from({ length: sides }, () => [])));
          s[side].push(v);
        },
        forEachEncoded: encodedEach(map, (w, s) => w.write(s)),
      };
    }
  }
}

/**
 * Reduce side: folds `more`, a combiner a map task wrote for a key, into the key's combiner so far
 * (`undefined` when there is none yet), and returns the key's new combiner.
 */
export function combinerFold(agg: KeyedAggregator): (so: unknown, more: unknown) => unknown {
  switch (agg.kind) {
    case 'combine': {
      const mergeCombiners = resolveFn(agg.mergeCombiners);
      const op = agg.op;
      // A try block, not a closure per key (`guarded`): this runs once per key per map task.
      return (c, more) => {
        if (c === undefined) return more;
        try {
          return notAPromise(op, mergeCombiners(c, more));
        } catch (e) {
          throw new OperatorFailure(op, e);
        }
      };
    }
    case 'group':
      return (vs, more) => {
        if (!Array.isArray(more)) throw notACombiner('group', more);
        if (vs === undefined) return more;
        for (const v of more) (vs as unknown[]).push(v);
        return vs;
      };
    case 'cogroup':
      return (s, more) => {
        if (!Array.isArray(more) || !more.every(Array.isArray) || (s !== undefined && more.length !== (s as unknown[][]).length)) throw notACombiner('cogroup', more);
        if (s === undefined) return more;
        (more as unknown[][]).forEach((vs, i) => {
          for (const v of vs) (s as unknown[][])[i].push(v);
        });
        return s;
      };
  }
}

/**
 * A shuffle section whose group or cogroup combiner is not the arrays a map task writes: the
 * block's bytes were damaged (the fuzz tests forge such blocks).
 */
function notACombiner(kind: string, value: unknown): CorruptDataError {
  return new CorruptDataError(`corrupt shuffle block: a ${kind} combiner must be ${kind === 'group' ? 'an array of values' : 'an array of value arrays'}, got ${shortDescription(value)}`);
}
