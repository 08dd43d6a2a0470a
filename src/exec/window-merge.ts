import { scanStateBlock, StateBlockWriter } from '../memory/state-block.js';
import { ValueReader } from '../memory/value-codec.js';
import type { SinkDesc } from '../plan/task.js';
import { EncodedKeyMap } from './encoded-key-map.js';
import { guarded, resolveFn, type Consumer } from './pipeline.js';
import type { StateResult } from './state-update.js';

/** What leaves and what enters the window for one key, each already reduced over its panes. */
interface Delta {
  leaving: unknown;
  entering: unknown;
}

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
  const deltas = new EncodedKeyMap<Delta>();
  const fold = (panes: readonly SharedArrayBuffer[], side: keyof Delta) => {
    for (const pane of panes) {
      scanStateBlock(pane, (buf, start, end, v) => {
        const d = deltas.upsert(buf, start, end, () => ({ leaving: NONE, entering: NONE }));
        d[side] = d[side] === NONE ? v : guarded(op, () => reduce(d[side], v));
      });
    }
  };
  fold(desc.leaving, 'leaving');
  fold(desc.entering, 'entering');

  const out = new StateBlockWriter();
  let updated = 0;
  const keep = (buf: Buffer, start: number, end: number, value: unknown) => {
    updated++;
    if (filter && !guarded(op, () => filter([new ValueReader(buf, start, end).read(), value]))) return;
    out.addEncodedKey(buf, start, end, value);
  };
  if (desc.prev) {
    scanStateBlock(desc.prev, (buf, start, end, w) => {
      const d = deltas.take(buf, start, end);
      if (!d) {
        out.addEncodedKey(buf, start, end, w);
        return;
      }
      let next = w;
      if (d.leaving !== NONE) next = guarded(op, () => inverse(next, d.leaving));
      if (d.entering !== NONE) next = guarded(op, () => reduce(next, d.entering));
      keep(buf, start, end, next);
    });
  }
  for (const [bytes, d] of deltas.entries()) if (d.entering !== NONE) keep(bytes, 0, bytes.length, d.entering);
  return { state: out.seal(), emitted: null, updated };
}
