import { allocateLineSegment, LineSegmentView } from '../memory/line-segment.js';
import type { StatePart } from '../memory/state-part.js';
import type { Aggregator, SinkDesc, SourceDesc, Task } from '../plan/task.js';
import { runTask } from './executor.js';
import { reserveWasmMemory } from './wasm-split-count.js';

/** Kernel memory each worker grows to and touches up front: a 250 ms batch's task of the bench fits. */
const KERNEL_MEMORY = 16 * 1024 * 1024;

/** Distinct words in the warm-up text, and lines of it: enough loop iterations for V8 to optimise. */
const WORDS = 2000;
const LINES = 500;
const WORDS_PER_LINE = 25;

/**
 * Readies a thread for the fast path before its first batch by running a whole WordCount batch
 * on a small text of its own: the splitCount kernel's map tasks into shuffle blocks, the reduce
 * tasks merging them (keeping the merged partitions, as a streaming batch's first job does), a
 * job reading a kept partition back, and the summing `updateStateByKey` merge into the state of
 * the round before, read back too. So the WebAssembly module is compiled and instantiated,
 * and the JavaScript a batch runs after it (the shuffle merge, the block reader) has run long
 * enough for V8 to optimise it, before any batch time is spent on either: measured, a cold
 * worker took 1–2.5 s over the first 250 ms batch of the bench, most of it in the merge.
 *
 * Pool workers call it when they start, that is when the SparkContext is created, unless its
 * `fastPath` is off (see worker.ts). Returns the words and their counts as one batch's reduce side
 * merged them, and the state after two batches, so that a test can hold both to a count of its own.
 */
export function warmUp(): { counts: Map<string, number>; state: Map<string, number> } {
  reserveWasmMemory(KERNEL_MEMORY);
  const lines = warmUpText().map((l) => Buffer.from(l));
  const bytes = Buffer.concat(lines);
  const seg = new LineSegmentView(allocateLineSegment(lines.length, bytes.length));
  seg.bytes.set(bytes);
  let at = 0;
  lines.forEach((l, i) => {
    seg.offsets[i] = at;
    at += l.length;
  });
  seg.offsets[lines.length] = at;
  seg.seal(lines.length, at);
  // A function, not shipped source: nothing enters the worker's cache of compiled functions.
  const add = (a: number, b: number): number => a + b;
  const agg: Aggregator = { kind: 'combine', merge: add, mergeCombiners: add, op: 'reduceByKey' };
  const partitions = 2;
  const half = lines.length >> 1;
  const map = (from: number, to: number, partition: number): SharedArrayBuffer =>
    ok(runTask({
      source: { kind: 'lines', ranges: [{ sab: seg.sab, from, to }] },
      ops: [],
      kernel: { kind: 'splitCount', separator: ' ', value: 1 },
      sink: { kind: 'shuffle', partitioner: { kind: 'hash', partitions }, agg },
      partition,
    })).value as SharedArrayBuffer;
  const run = (source: SourceDesc, sink: SinkDesc, keep = false): { value: unknown; kept?: SharedArrayBuffer } =>
    ok(runTask({ source, ops: [], sink, partition: 0, ...(keep ? { keep } : {}) }));
  const update = (vs: number[], last: number | null): number => vs.reduce((a, b) => a + b, 0) + (last ?? 0);
  const counts = new Map<string, number>();
  const state = new Map<string, number>();
  let prev: (StatePart | null)[] = [null, null];
  for (let round = 0; round < 2; round++) {
    const blocks = [map(0, half, 0), map(half, lines.length, 1)];
    prev = prev.map((p, r) => {
      // The stateless batch: a count keeping the merged partition, then a job reading it.
      const shuffle: SourceDesc = { kind: 'shuffle', blocks, section: r, agg, sum: true };
      const { kept } = run(shuffle, { kind: 'count' }, true);
      const records = kept ? (run({ kind: 'block', sab: kept, section: 0 }, { kind: 'collect' }).value as [string, number][]) : [];
      if (round === 0) for (const [word, n] of records) counts.set(word, n);
      // The stateful one: the summing updateStateByKey merge into the previous state, and a read of the state.
      const next = (run(shuffle, { kind: 'updateState', prev: p, op: 'updateStateByKey', update: { kind: 'update', fn: update, combineWith: add } }).value as { state: StatePart }).state;
      const all = run({ kind: 'state', part: next }, { kind: 'collect' }).value as [string, number][];
      if (round === 1) for (const [word, n] of all) state.set(word, n);
      return next;
    });
  }
  return { counts, state };
}

/** The warm-up's lines: a few thousand distinct words, some multi-byte, some lines ending in `\r`. */
export function warmUpText(): string[] {
  return Array.from({ length: LINES }, (_, i) => {
    const words = Array.from({ length: WORDS_PER_LINE }, (_, j) => `w${(i * 7 + j * 131) % WORDS}${j % 9 === 0 ? 'ñ' : ''}`);
    return words.join(' ') + (i % 5 === 0 ? '\r' : '');
  });
}

/** A warm-up task's result; a failure is a bug, thrown where the worker's start-up reports it. */
function ok(r: ReturnType<typeof runTask>): Extract<ReturnType<typeof runTask>, { ok: true }> {
  if (!r.ok) throw new Error(`fast-path warm-up failed: ${r.error.message}`);
  return r;
}
