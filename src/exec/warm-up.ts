import { allocateLineSegment, LineSegmentView } from '../memory/line-segment.js';
import type { Task } from '../plan/task.js';
import { runTask } from './executor.js';

/**
 * Readies a thread for the fast path before its first batch: runs the seed's WordCount map task
 * (the splitCount kernel into a shuffle block) a few times over a tiny line segment of its own, so
 * that the WebAssembly module is compiled and instantiated, and the JavaScript around it (the
 * kernel driver, the shuffle writer) has run, before any batch time is spent on either.
 * Pool workers call it when they start, that is when the SparkContext is created.
 */
export function warmUp(): void {
  const lines = ['warm up the kernel', 'the kernel, once  ñandú', ''].map((l) => Buffer.from(l));
  const bytes = Buffer.concat(lines);
  const seg = new LineSegmentView(allocateLineSegment(lines.length, bytes.length));
  seg.bytes.set(bytes);
  let at = 0;
  lines.forEach((l, i) => {
    seg.offsets[i] = at;
    at += l.length;
  });
  seg.seal(lines.length, at);
  // A function, not shipped source: nothing enters the worker's cache of compiled functions.
  const add = (a: number, b: number): number => a + b;
  const task: Task = {
    source: { kind: 'lines', ranges: [{ sab: seg.sab, from: 0, to: lines.length }] },
    ops: [],
    kernel: { kind: 'splitCount', separator: ' ', value: 1 },
    sink: { kind: 'shuffle', partitioner: { kind: 'hash', partitions: 2 }, agg: { kind: 'combine', merge: add, mergeCombiners: add, op: 'reduceByKey' } },
    partition: 0,
  };
  for (let i = 0; i < 3; i++) runTask(task);
}
