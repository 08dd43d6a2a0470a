import type { Aggregator } from '../plan/task.js';
import { KeyMap } from './key-map.js';
import { guarded, OperatorFailure, resolveFn } from './pipeline.js';

/**
 * Combining records by key, the same on both sides of a shuffle: the map side folds values into
 * combiners (`add`), the reduce side folds combiners from every map task (`merge`). Keyed
 * aggregators only; `none` and `sort` move records without combining.
 */
export interface Combiner {
  /** Map side: fold one `[key, value]` record in. */
  add(key: unknown, value: unknown): void;
  /** Reduce side: fold one combiner written by a map task in. */
  merge(key: unknown, combiner: unknown): void;
  /** The combiners by key. */
  readonly map: KeyMap<unknown>;
}

export function createCombiner(agg: Aggregator): Combiner {
  const map = new KeyMap<unknown>();
  switch (agg.kind) {
    case 'combine': {
      const create = agg.create ? resolveFn(agg.create) : undefined;
      const mergeValue = resolveFn(agg.merge);
      const mergeCombiners = resolveFn(agg.mergeCombiners);
      const op = agg.op;
      return {
        add(k, v) {
          // The per-record path: a try block, not a closure per record.
          const c = map.get(k);
          try {
            map.set(k, c === undefined ? (create ? create(v) : v) : mergeValue(c, v));
          } catch (e) {
            throw new OperatorFailure(op, e);
          }
        },
        merge(k, c2) {
          const c = map.get(k);
          map.set(k, c === undefined ? c2 : guarded(op, () => mergeCombiners(c, c2)));
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
        merge(k, more) {
          const vs = map.get(k) as unknown[] | undefined;
          if (vs) for (const v of more as unknown[]) vs.push(v);
          else map.set(k, more);
        },
        map,
      };
    case 'cogroup': {
      const sides = agg.sides;
      const slot = (k: unknown): unknown[][] => {
        let s = map.get(k) as unknown[][] | undefined;
        if (!s) {
          s = Array.from({ length: sides }, () => []);
          map.set(k, s);
        }
        return s;
      };
      return {
        add(k, tagged) {
          const [side, v] = tagged as [number, unknown];
          slot(k)[side].push(v);
        },
        merge(k, more) {
          const s = slot(k);
          (more as unknown[][]).forEach((vs, i) => {
            for (const v of vs) s[i].push(v);
          });
        },
        map,
      };
    }
    default:
      throw new TypeError(`aggregator '${agg.kind}' does not combine by key`);
  }
}
