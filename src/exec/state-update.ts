import { ByteKeyTable } from '../memory/byte-key-table.js';
import { fnv1a } from '../memory/fnv.js';
import { readStateBlock, scanStateBlock, StateBlockWriter } from '../memory/state-block.js';
import { sealBlock } from '../memory/partitioned-block.js';
import { ValueWriter } from '../memory/value-codec.js';
import type { SinkDesc, StateUpdate } from '../plan/task.js';
import { KeyMap } from './key-map.js';
import { guarded, OperatorFailure, resolveFn, type Consumer } from './pipeline.js';
import { StateImpl } from './state.js';

/** A state task's result: the new state block, and the block of mapped records (mapWithState). */
export interface StateResult {
  readonly state: SharedArrayBuffer;
  readonly emitted: SharedArrayBuffer | null;
}

/**
 * The merge step of a stateful operator, run by the task that owns state partition r: the only
 * writer of that partition in the batch, so no locks. It reads the previous block once, in order,
 * and writes a new one; the previous block is untouched, so a failed batch leaves it intact.
 */
export function stateUpdater(desc: Extract<SinkDesc, { kind: 'updateState' }>): Consumer & { result(): StateResult } {
  const fresh = new KeyMap<unknown[]>();
  // Summed map-side (`combineWith`): one partial sum per key arrives instead of the values.
  const summed = desc.update.kind === 'update' && desc.update.combineWith !== undefined;
  return {
    push(x) {
      const [k, values] = x as [unknown, unknown];
      fresh.set(k, summed ? [values] : (values as unknown[]));
    },
    end() {},
    result() {
      const merge = desc.update.kind === 'update' ? updateStateByKey : mapWithState;
      return merge(desc.update as never, desc.op, desc.prev, fresh);
    },
  };
}

/** PySpark's semantics: `fn(values, state | null)` for every key with state or new values. */
function updateStateByKey(
  update: Extract<StateUpdate, { kind: 'update' }>,
  op: string,
  prev: SharedArrayBuffer | null,
  fresh: KeyMap<unknown[]>,
): StateResult {
  const fn = update.fn ? resolveFn(update.fn) : (values: unknown[]) => values[values.length - 1];
  const out = new StateBlockWriter();
  // The new keys by their encoded bytes, so the previous block's keys are matched, and carried
  // over, without decoding them: the update function never sees a key, only values and state.
  // The keys are encoded one after another into one buffer and found there by a ByteKeyTable.
  const news = [...fresh.entries()];
  const encoded = new ValueWriter(1024);
  const ends = new Int32Array(news.length);
  news.forEach(([k], i) => {
    encoded.write(k);
    ends[i] = encoded.length;
  });
  const table = new ByteKeyTable();
  const keys = encoded.buf;
  const b = table.addBuffer(keys);
  const newsAt: number[] = []; // table entry → index in `news`
  for (let i = 0; i < news.length; i++) {
    const start = i === 0 ? 0 : ends[i - 1];
    newsAt[table.intern(b, start, ends[i], fnv1a(keys, start, ends[i]))] = i;
  }
  const matched = new Uint8Array(news.length);
  // A recognised sum (`combineWith`: `fn(values, last)` is `sum(values) + (last ?? 0)` or alike)
  // returns a number state that gets no new values as it is, so the call, with its empty array, is
  // skipped; not for -0 or NaN, which the call may turn into 0.
  const idleKeepsState = update.combineWith !== undefined;
  if (prev) {
    scanStateBlock(prev, (buf, start, end, s) => {
      const e = news.length > 0 ? table.find(buf, start, end, fnv1a(buf, start, end)) : -1;
      if (e === -1 && idleKeepsState && typeof s === 'number' && s === s && !Object.is(s, -0)) {
        out.addEncodedKey(buf, start, end, s);
        return;
      }
      let values: unknown[] = [];
      if (e !== -1) {
        matched[newsAt[e]] = 1;
        values = news[newsAt[e]][1];
      }
      let next: unknown;
      try {
        next = fn(values, s);
      } catch (err) {
        throw new OperatorFailure(op, err);
      }
      if (next !== null && next !== undefined) out.addEncodedKey(buf, start, end, next);
    });
  }
  news.forEach(([k, values], i) => {
    if (matched[i]) return;
    const next = guarded(op, () => fn(values, null));
    if (next !== null && next !== undefined) out.add(k, next);
  });
  return { state: out.seal(), emitted: null };
}

/**
 * Spark's mapWithState: `fn(key, value, state)` once per new record, in order, each call seeing the
 * previous call's update; once more, with a timing-out state, for every key idle longer than the
 * timeout; keys without data are copied, not called. A state's timestamp is refreshed whenever it
 * is updated, or receives data while a timeout is set, as Spark does.
 */
function mapWithState(
  update: Extract<StateUpdate, { kind: 'map' }>,
  op: string,
  prev: SharedArrayBuffer | null,
  fresh: KeyMap<unknown[]>,
): StateResult {
  const { time, timeoutMs } = update;
  const out = new StateBlockWriter();
  const emitted = new ValueWriter(1024);
  let emittedCount = 0;
  const emit = (v: unknown) => {
    emitted.write(v);
    emittedCount++;
  };
  const fn = update.fn ? resolveFn(update.fn) : undefined;

  const withData = (k: unknown, values: unknown[], entry: [unknown, number] | undefined) => {
    if (!fn) {
      out.add(k, [values[values.length - 1], time]);
      return;
    }
    let defined = entry !== undefined;
    let value = entry?.[0];
    let touched = entry?.[1] ?? time;
    for (const v of values) {
      const state = new StateImpl<unknown>(defined, value);
      emit(guarded(op, () => fn(k, v, state)));
      if (state.isRemoved) defined = false;
      else if (state.isUpdated || (state.exists() && timeoutMs !== null)) {
        defined = true;
        value = state.get();
        touched = time;
      }
    }
    if (defined) out.add(k, [value, touched]);
  };

  if (prev) {
    for (const [k, entry] of readStateBlock(prev) as Generator<[unknown, [unknown, number]]>) {
      const values = fresh.get(k);
      if (values) {
        fresh.delete(k);
        withData(k, values, entry);
      } else if (fn && timeoutMs !== null && entry[1] < time - timeoutMs) {
        // Strictly idle longer than the timeout, as Spark's getByTime(batchTime - timeout).
        emit(guarded(op, () => fn(k, null, new StateImpl<unknown>(true, entry[0], true))));
      } else {
        out.add(k, entry);
      }
    }
  }
  for (const [k, values] of fresh.entries()) withData(k, values, undefined);
  return { state: out.seal(), emitted: fn ? sealBlock([emitted], [emittedCount]) : null };
}
