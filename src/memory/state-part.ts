import { IndexedStateLog, scanIndexedState, type IndexedState } from './indexed-state.js';
import { readStateBlock, scanStateBlock, stateBlockCount, StateBlockWriter } from './state-block.js';
import { ValueReader } from './value-codec.js';

/**
 * One partition of a keyed state after a batch: a state block (written whole by the batch), or a
 * version of an indexed state (the summing update's, merged in place for the batch's keys only).
 * Both are immutable once the batch has committed; readers of the whole state see them alike here.
 */
export type StatePart = SharedArrayBuffer | IndexedState;

/** Keys with state in the partition. */
export function statePartCount(part: StatePart): number {
  return part instanceof SharedArrayBuffer ? stateBlockCount(part) : part.live;
}

/** Every `[key, state]` pair of the partition with its key still encoded (`buf[start, end)`). */
export function scanStatePart(part: StatePart, visit: (buf: Buffer, keyStart: number, keyEnd: number, state: unknown) => void): void {
  if (part instanceof SharedArrayBuffer) scanStateBlock(part, visit);
  else scanIndexedState(part, visit);
}

/** Every `[key, state]` pair of the partition, decoded. */
export function* readStatePart(part: StatePart): Generator<[unknown, unknown]> {
  if (part instanceof SharedArrayBuffer) {
    yield* readStateBlock(part);
    return;
  }
  const log = IndexedStateLog.open(part.sab);
  const reader = new ValueReader(log.keys, 0, log.keys.length);
  for (let e = 0; e < part.length; e++) {
    if (!log.liveIn(e, part.length)) continue;
    reader.pos = log.keyStart[e];
    yield [reader.read(), log.states[e]];
  }
}

/** The partition as a state block (what checkpoints store): an indexed state is copied into one. */
export function statePartBlock(part: StatePart): SharedArrayBuffer {
  if (part instanceof SharedArrayBuffer) return part;
  const out = new StateBlockWriter();
  scanIndexedState(part, (buf, start, end, state) => out.addEncodedKey(buf, start, end, state));
  return out.seal();
}
