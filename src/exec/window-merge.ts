import { ByteKeyTable } from '../memory/byte-key-table.js';
import { fnv1a } from '../memory/fnv.js';
import { scanStateBlock, StateBlockWriter } from '../memory/state-block.js';
import { ValueReader } from '../memory/value-codec.js';
import type { SinkDesc } from '../plan/task.js';
import { guarded, resolveFn, type Consumer } from './pipeline.js';
import type { StateResult } from './state-update.js';

const NONE = Symbol('none');

/**
 * The merge step of an incremental window, as Spark's ReducedWindowedDStream, run by the task that
 * owns window partition r. The cost is in proportion to the panes that enter and leave: keys
 * without either are carried over byte for byte, never decoded or passed to a function.
 *
 * For a key with a window value w: `w' = reduce(inverse(w, leaving), entering)` (each side only
 * when present); a key new to the window gets `entering`; a key with only leaving values and no
 * window value was dropped by `filter` earlier, and has nothing to subtract from (Spark throws
 * there; dropping it again is what the filter asked for).
 */
export function windowMerger(desc: Extract<SinkDesc, { kind: 'mergeWindow' }>): Consumer & { result(): StateResult } {
  return {
    push() {},
    end() {},
    result: () => mergeWindow(desc),
  };
}

function mergeWindow(desc: Extract<SinkDesc, { kind: 'mergeWindow' }>): StateResult {
  const { op } = desc;
  const reduce = resolveFn(desc.merge.reduce);
  const inverse = resolveFn(desc.merge.inverse);
  const filter = desc.merge.filter ? resolveFn(desc.merge.filter) : undefined;
  // The keys of the panes, as bytes where they lie in the pane blocks; per key, what leaves and
  // what enters, each reduced over its panes.
  const keys = new ByteKeyTable();
  const leaving: unknown[] = [];
  const entering: unknown[] = [];
  const fold = (panes: readonly SharedArrayBuffer[], side: unknown[]) => {
    for (const pane of panes) {
      let buffer = -1;
      scanStateBlock(pane, (buf, start, end, v) => {
        if (buffer === -1) buffer = keys.addBuffer(buf);
        const e = keys.intern(buffer, start, end, fnv1a(buf, start, end));
        if (e === leaving.length) {
          leaving.push(NONE);
          entering.push(NONE);
        }
        side[e] = side[e] === NONE ? v : guarded(op, () => reduce(side[e], v));
      });
    }
  };
  fold(desc.leaving, leaving);
  fold(desc.entering, entering);

  const out = new StateBlockWriter();
  let updated = 0;
  // Key bytes always lie in a block's Buffer (scanStateBlock's), so the filter's key decodes in place.
  const keep = (buf: Buffer, start: number, end: number, value: unknown) => {
    updated++;
    if (filter && !guarded(op, () => filter([new ValueReader(buf, start, end).read(), value]))) return;
    out.addEncodedKey(buf, start, end, value);
  };
  const inWindow = new Uint8Array(keys.size);
  if (desc.prev) {
    scanStateBlock(desc.prev, (buf, start, end, w) => {
      const e = keys.size > 0 ? keys.find(buf, start, end, fnv1a(buf, start, end)) : -1;
      if (e === -1) {
        out.addEncodedKey(buf, start, end, w);
        return;
      }
      inWindow[e] = 1;
      let next = w;
      if (leaving[e] !== NONE) next = guarded(op, () => inverse(next, leaving[e]));
      if (entering[e] !== NONE) next = guarded(op, () => reduce(next, entering[e]));
      keep(buf, start, end, next);
    });
  }
  for (let e = 0; e < keys.size; e++) {
    if (!inWindow[e] && entering[e] !== NONE) keep(keys.buffer(keys.bufferOf(e)) as Buffer, keys.startOf(e), keys.endOf(e), entering[e]);
  }
  return { state: out.seal(), emitted: null, updated };
}
