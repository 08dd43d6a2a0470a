import { readStateBlock, StateBlockWriter } from '../memory/state-block.js';
import type { SinkDesc } from '../plan/task.js';
import { KeyMap } from './key-map.js';
import { OperatorFailure, resolveFn, type Consumer } from './pipeline.js';

/**
 * The merge step of `updateStateByKey`, run by the task that owns state partition r: the only
 * writer of that partition in the batch, so no locks. It reads the previous block once, in order,
 * and calls the update function for every key that has state or new values, as PySpark does.
 * The result is a new block; the previous one is untouched, so a failed batch leaves it intact.
 */
export function stateUpdater(desc: Extract<SinkDesc, { kind: 'updateState' }>): Consumer & { result(): SharedArrayBuffer } {
  const fresh = new KeyMap<unknown[]>();
  const update = desc.fn ? resolveFn(desc.fn) : undefined;
  const call = (values: unknown[], state: unknown): unknown => {
    if (!update) return values[values.length - 1];
    try {
      return update(values, state);
    } catch (e) {
      throw new OperatorFailure(desc.op, e);
    }
  };
  return {
    push(x) {
      const [k, values] = x as [unknown, unknown[]];
      fresh.set(k, values);
    },
    end() {},
    result() {
      const out = new StateBlockWriter();
      const keep = (k: unknown, s: unknown) => {
        if (s !== null && s !== undefined) out.add(k, s);
      };
      if (desc.prev) {
        for (const [k, s] of readStateBlock(desc.prev)) {
          const values = fresh.get(k);
          if (values) fresh.delete(k);
          keep(k, call(values ?? [], s));
        }
      }
      for (const [k, values] of fresh.entries()) keep(k, call(values, null));
      return out.seal();
    },
  };
}
