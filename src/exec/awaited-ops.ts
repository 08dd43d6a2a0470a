import type { NarrowOp, Task } from '../plan/task.js';
import { buildChain, OperatorFailure, resolveFn, type Consumer } from './pipeline.js';
import { readSource } from './read-source.js';

type AwaitedOp = Extract<NarrowOp, { kind: 'mapAsync' }>;

/** Whether `task` has an awaited operation (mapAsync / flatMapAsync), so it runs asynchronously. */
export function hasAwaitedOps(task: Task): boolean {
  return task.ops.some((o) => o.kind === 'mapAsync');
}

/**
 * Runs a task's operations into `sink` when some are awaited (`mapAsync`, `flatMapAsync`). The
 * operations are cut at each awaited one: the synchronous run before it (fused as usual) collects
 * the partition's records, the awaited function is called on them with at most `concurrency`
 * calls in flight, and its results, in input order, feed the next run. A partition is held in
 * memory at each awaited operation, as `mapPartitions` holds it. Returns what `readSource` kept.
 */
export async function runAwaited(task: Task, sink: Consumer): Promise<SharedArrayBuffer | undefined> {
  const { ops } = task;
  let kept: SharedArrayBuffer | undefined;
  let records: unknown[] | undefined; // undefined: still to be read from the source
  let from = 0;
  for (let i = 0; i <= ops.length; i++) {
    const op = ops[i];
    if (op !== undefined && op.kind !== 'mapAsync') continue;
    const collected: unknown[] = [];
    const out: Consumer = op ? { push: (x) => void collected.push(x), end: () => {} } : sink;
    const chain = buildChain(ops.slice(from, i), out, task.partition);
    if (records === undefined) kept = readSource(task.source, chain, task.keep);
    else {
      for (const x of records) chain.push(x);
      chain.end();
    }
    if (!op) break;
    records = await awaitEach(op, collected);
    from = i + 1;
  }
  return kept;
}

/** `op`'s function awaited on every record, at most `op.concurrency` at once; results in input order. */
async function awaitEach(op: AwaitedOp, records: readonly unknown[]): Promise<unknown[]> {
  const fn = resolveFn(op.fn);
  const results: unknown[] = new Array(records.length);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < records.length) {
      const i = next++;
      try {
        results[i] = await fn(records[i]);
      } catch (e) {
        failed = true; // the other lanes start nothing more
        throw new OperatorFailure(op.op, e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(op.concurrency, records.length) }, lane));
  if (!op.flat) return results;
  const flat: unknown[] = [];
  try {
    for (const r of results) for (const y of r as Iterable<unknown>) flat.push(y);
  } catch (e) {
    throw new OperatorFailure(op.op, e);
  }
  return flat;
}
