import { ByteKeyTable } from '../memory/byte-key-table.js';
import { fnv1a } from '../memory/fnv.js';
import { buildIndexedState, compactIndexedState, IndexedStateLog, type IndexedState } from '../memory/indexed-state.js';
import { scanStateBlock, stateBlockCount, stateBlockKeyBytes, StateBlockWriter } from '../memory/state-block.js';
import { readStatePart, scanStatePart, type StatePart } from '../memory/state-part.js';
import { sealBlock } from '../memory/partitioned-block.js';
import { ValueWriter } from '../memory/value-codec.js';
import type { SinkDesc, StateUpdate } from '../plan/task.js';
import { notAPromise } from './fuse.js';
import { KeyMap } from './key-map.js';
import { guarded, OperatorFailure, resolveFn, type Consumer } from './pipeline.js';
import { StateImpl } from './state.js';

/** A state task's result: the new state block, and the block of mapped records (mapWithState). */
export interface StateResult {
  readonly state: StatePart;
  readonly emitted: SharedArrayBuffer | null;
  /** Keys whose state the update computed (called the function for); untouched keys are copied. */
  readonly updated: number;
}

/**
 * The merge step of a stateful operator, run by the task that owns state partition r: the only
 * writer of that partition in the batch, so no locks. The recognised sum merges the batch's keys
 * into an indexed state (`memory/indexed-state.ts`); every other update reads the previous state
 * once, in order, and writes a new block. Either way the previous state is left readable as it
 * was, so a failed batch leaves it intact.
 */
export function stateUpdater(desc: Extract<SinkDesc, { kind: 'updateState' }>): Consumer & { result(): StateResult } {
  const { update, op, prev } = desc;
  if (update.kind === 'map') {
    const fresh = new KeyMap<unknown[]>();
    return {
      push(x) {
        const [k, values] = x as [unknown, unknown[]];
        fresh.set(k, values);
      },
      end() {},
      result: () => mapWithState(update, op, prev, fresh),
    };
  }
  const fresh = new NewValues();
  // Summed map-side (`combineWith`): one partial sum per key arrives instead of the values.
  const summed = update.combineWith !== undefined;
  return {
    push(x) {
      const [k, values] = x as [unknown, unknown];
      const key = new ValueWriter(32);
      key.write(k);
      fresh.set(key.buf, 0, key.length, summed ? [values] : (values as unknown[]));
    },
    pushEncoded(bytes, start, end, values) {
      fresh.set(bytes, start, end, summed ? [values] : (values as unknown[]));
    },
    end() {},
    result: () => (summed && update.fn ? indexedSum(update, op, prev, fresh) : undefined) ?? updateStateByKey(update, op, prev, fresh),
  };
}

/**
 * A batch's new values by key, keys as their encoded bytes (wherever they lie: the shuffle
 * blocks, or an encoding of their own) in a {@link ByteKeyTable}: the previous state's keys are
 * matched against them, and new keys written to the new state, without decoding any key. As a
 * KeyMap's `set`, a key set again keeps its place and takes the new values.
 */
class NewValues {
  readonly keys = new ByteKeyTable();
  readonly values: unknown[][] = [];
  #last: Uint8Array | undefined;
  #buffer = -1;

  set(bytes: Uint8Array, start: number, end: number, values: unknown[]): void {
    if (bytes !== this.#last) {
      this.#buffer = this.keys.addBuffer(bytes);
      this.#last = bytes;
    }
    this.values[this.keys.intern(this.#buffer, start, end, fnv1a(bytes, start, end))] = values;
  }
}

/** PySpark's semantics: `fn(values, state | null)` for every key with state or new values. */
function updateStateByKey(
  update: Extract<StateUpdate, { kind: 'update' }>,
  op: string,
  prev: StatePart | null,
  fresh: NewValues,
): StateResult {
  const fn = update.fn ? resolveFn(update.fn) : (values: unknown[]) => values[values.length - 1];
  const out = new StateBlockWriter();
  const { keys, values } = fresh;
  const matched = new Uint8Array(keys.size);
  let updated = 0;
  // A recognised sum keeps an idle key's state without the call (see `keptIdle`).
  const idleKeepsState = update.combineWith !== undefined;
  if (prev) {
    scanStatePart(prev, (buf, start, end, s) => {
      const e = keys.size > 0 ? keys.find(buf, start, end, fnv1a(buf, start, end)) : -1;
      if (e === -1 && idleKeepsState && keptIdle(s)) {
        out.addEncodedKey(buf, start, end, s);
        return;
      }
      if (e !== -1) matched[e] = 1;
      updated++;
      let next: unknown;
      try {
        next = notAPromise(op, fn(e === -1 ? [] : values[e], s));
      } catch (err) {
        throw new OperatorFailure(op, err);
      }
      if (next !== null && next !== undefined) out.addEncodedKey(buf, start, end, next);
    });
  }
  for (let e = 0; e < keys.size; e++) {
    if (matched[e]) continue;
    updated++;
    const next = guarded(op, () => fn(values[e], null));
    if (next !== null && next !== undefined) out.addEncodedKey(keys.buffer(keys.bufferOf(e)), keys.startOf(e), keys.endOf(e), next);
  }
  return { state: out.seal(), emitted: null, updated };
}

/**
 * A state the recognised sum (`combineWith`: `fn(values, last)` is `sum(values) + (last ?? 0)` or
 * alike) keeps as it is for a key with no new values, so the call, with its empty array, is
 * skipped: a number, but not -0 or NaN, which the call may turn into 0.
 */
const keptIdle = (s: unknown): s is number => typeof s === 'number' && s === s && !Object.is(s, -0);

/**
 * The recognised sum, merged into an indexed state: each of the batch's keys is found through the
 * index and gets one new entry, so the merge costs the batch's keys; idle keys are not visited, as
 * `updateStateByKey` skips them. Undefined (nothing written that the previous state would see)
 * when a state is not a number the sum keeps as it is: the full pass then decides, as before.
 */
function indexedSum(
  update: Extract<StateUpdate, { kind: 'update' }>,
  op: string,
  prev: StatePart | null,
  fresh: NewValues,
): StateResult | undefined {
  const fn = resolveFn(update.fn!);
  const { keys, values } = fresh;
  const n = keys.size;
  let newBytes = 0;
  for (let e = 0; e < n; e++) newBytes += keys.endOf(e) - keys.startOf(e);
  let v: IndexedState;
  let shared = false;
  if (prev === null || prev instanceof SharedArrayBuffer) {
    let unkept = false;
    v = buildIndexedState(prev ? stateBlockCount(prev) : 0, prev ? stateBlockKeyBytes(prev) : 0, n, newBytes, (add) => {
      if (prev) {
        scanStateBlock(prev, (buf, start, end, s) => {
          if (keptIdle(s)) add(buf, start, end, s);
          else unkept = true;
        });
      }
    });
    if (unkept) return undefined;
  } else if (IndexedStateLog.open(prev.sab).hasRoom(prev, n, newBytes)) {
    v = prev;
    shared = true;
  } else {
    v = compactIndexedState(prev, n, newBytes);
  }
  const log = IndexedStateLog.open(v.sab);
  // A batch that failed after appending to this log is undone first.
  if (shared) log.repair(v);
  let { length, bytes, live } = v;
  for (let e = 0; e < n; e++) {
    const buf = keys.buffer(keys.bufferOf(e));
    const start = keys.startOf(e);
    const end = keys.endOf(e);
    const h = fnv1a(buf, start, end);
    const slot = log.slotOf(buf, start, end, h);
    const newest = log.slots[slot] - 1;
    const s = newest >= 0 && !log.isTombstone(newest) ? log.states[newest] : null;
    let next: unknown;
    try {
      next = notAPromise(op, fn(values[e], s));
    } catch (err) {
      throw new OperatorFailure(op, err);
    }
    if (next === null || next === undefined) {
      if (s === null) continue;
      log.append(length++, slot, newest, null, h, buf, start, end, 0);
      live--;
    } else if (keptIdle(next)) {
      log.append(length++, slot, newest, next, h, buf, start, end, bytes);
      if (newest < 0) bytes += end - start;
      if (s === null) live++;
    } else {
      if (shared) log.repair(v);
      return undefined;
    }
  }
  return { state: { kind: 'indexed', sab: log.sab, length, bytes, live }, emitted: null, updated: n };
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
  prev: StatePart | null,
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
  let updated = 0;

  const withData = (k: unknown, values: unknown[], entry: [unknown, number] | undefined) => {
    updated++;
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
    for (const [k, entry] of readStatePart(prev) as Generator<[unknown, [unknown, number]]>) {
      const values = fresh.get(k);
      if (values) {
        fresh.delete(k);
        withData(k, values, entry);
      } else if (fn && timeoutMs !== null && entry[1] < time - timeoutMs) {
        // Strictly idle longer than the timeout, as Spark's getByTime(batchTime - timeout).
        updated++;
        emit(guarded(op, () => fn(k, null, new StateImpl<unknown>(true, entry[0], true))));
      } else {
        out.add(k, entry);
      }
    }
  }
  for (const [k, values] of fresh.entries()) withData(k, values, undefined);
  return { state: out.seal(), emitted: fn ? sealBlock([emitted], [emittedCount]) : null, updated };
}
