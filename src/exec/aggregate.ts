import { CorruptDataError, shortDescription } from '../errors.js';
import type { Aggregator } from '../plan/task.js';
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
  /** The combiners by key. */
  readonly map: KeyMap<unknown>;
}

export function createCombiner(agg: KeyedAggregator): Combiner {
  const map = new KeyMap<unknown>();
  switch (agg.kind) {
    case 'combine': {
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
        map,
      };
    }
    case 'group':
      return {
        add(k, v) {
          const vs = map.get(k) as unknown[] | undefined;
          if (vs) vs.push(v);
          else map.set(k, [v]);
        },
        map,
      };
    case 'cogroup': {
      const sides = agg.sides;
      return {
        add(k, tagged) {
          const [side, v] = tagged as [number, unknown];
          let s = map.get(k) as unknown[][] | undefined;
          if (!s) map.set(k, (s = Array.from({ length: sides }, () => [])));
          s[side].push(v);
        },
        map,
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
