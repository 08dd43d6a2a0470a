import { IllegalStateError, NotAPairError } from '../errors.js';
import { compileFunction } from '../plan/ship.js';
import type { FnRef, NarrowOp } from '../plan/task.js';
import { fuse, isElementOp, notAPromise, type ElementOp } from './fuse.js';

/**
 * The narrow operations of a stage as a push chain: the source pushes each record into the first
 * operation, which pushes its outputs into the next, down to the sink. Runs of element-wise
 * operations are fused into one generated function (`fuse.ts`); no intermediate array is built
 * per operation; only partition-wide operations (`glom`, `mapPartitions`) buffer.
 */
export interface Consumer {
  push(record: unknown): void;
  end(): void;
  /**
   * Optional: takes a `[key, value]` record whose key is given encoded (value codec) as
   * `bytes[start, end)`, and that no other record of the task shares; the bytes stay as they are
   * until the task ends. A shuffle writer hashes and copies them with nothing to combine, decode
   * or re-encode (the splitCount kernel's distinct tokens); the state merge matches them against
   * the previous state's keys as they are (a reduce partition's merged keys). A task feeds its
   * sink either this way or by `push`, never both.
   */
  pushEncoded?(bytes: Uint8Array, start: number, end: number, value: unknown): void;
}

/** An error raised inside an operator, tagged with the operator's name. */
export class OperatorFailure extends Error {
  readonly op: string;
  readonly original: unknown;
  constructor(op: string, original: unknown) {
    super(original instanceof Error ? original.message : String(original));
    this.op = op;
    this.original = original;
  }
}

export function resolveFn(ref: FnRef): (...args: any[]) => any {
  return typeof ref === 'function' ? ref : compileFunction(ref);
}

/**
 * Thrown by a sink that needs no more records (`take`): it unwinds the chain and the source stops.
 * Not an error, so operators let it through untagged.
 */
export class PartitionDone extends Error {}

/** What a stage rethrows: `e` tagged with `op`, unless already tagged further down the chain. */
function tagged(op: string, e: unknown): unknown {
  return e instanceof OperatorFailure || e instanceof PartitionDone ? e : new OperatorFailure(op, e);
}

/** Runs `body` (a call of `op`'s function) and tags anything it throws, or a Promise it returns, with `op`. */
export function guarded<R>(op: string, body: () => R): R {
  try {
    return notAPromise(op, body());
  } catch (e) {
    throw tagged(op, e);
  }
}

function asPair(op: string, record: unknown): [unknown, unknown] {
  if (!Array.isArray(record) || record.length !== 2) throw new OperatorFailure(op, new NotAPairError(op, record));
  return record as [unknown, unknown];
}

/** Builds the chain for `ops` ending in `sink`; `partition` is the task's partition index. */
export function buildChain(ops: readonly NarrowOp[], sink: Consumer, partition: number): Consumer {
  let next = sink;
  for (let i = ops.length - 1; i >= 0; ) {
    // A run of element-wise operations is fused into one generated function.
    let j = i;
    while (j >= 0 && isElementOp(ops[j])) j--;
    if (j < i) {
      const run = ops.slice(j + 1, i + 1) as ElementOp[];
      const downstream = next;
      const push = fuse(run, run.map((o) => resolveFn(o.fn)), (x) => downstream.push(x), tagged, asPair);
      next = { push, end: () => downstream.end() };
      i = j;
    } else {
      next = stage(ops[i] as Exclude<NarrowOp, ElementOp>, next, partition);
      i--;
    }
  }
  return next;
}

/** A partition-wide or internal operation, as its own stage. */
function stage(op: Exclude<NarrowOp, ElementOp>, next: Consumer, partition: number): Consumer {
  const name = op.op;
  switch (op.kind) {
    case 'mapPartitions': {
      const fn = resolveFn(op.fn);
      const buffer: unknown[] = [];
      return {
        push: (x) => void buffer.push(x),
        end: () => {
          guarded(name, () => {
            const out = op.withIndex ? fn(partition, buffer) : fn(buffer);
            for (const y of notAPromise(name, out)) next.push(y);
          });
          next.end();
        },
      };
    }
    case 'glom': {
      const buffer: unknown[] = [];
      return {
        push: (x) => void buffer.push(x),
        end: () => {
          next.push(buffer);
          next.end();
        },
      };
    }
    case 'tagSide':
      return {
        push: (x) => {
          const [k, v] = asPair(name, x);
          next.push([k, [op.side, v]]);
        },
        end: () => next.end(),
      };
    case 'joinRows':
      return { push: (x) => joinRows(op.join, x as [unknown, unknown[][]], next), end: () => next.end() };
    case 'mapAsync':
      // run-task.ts cuts a task's operations at every mapAsync and awaits it between the runs.
      throw new IllegalStateError(`${name}: an awaited operation cannot run inside a synchronous chain`, { operator: name });
  }
}

/** The rows of one cogrouped key for each join kind; a missing side is `null`, as PySpark's None. */
function joinRows(kind: 'inner' | 'left' | 'right' | 'full', [k, [left, right]]: [unknown, unknown[][]], next: Consumer): void {
  const ls = left.length > 0 ? left : kind === 'right' || kind === 'full' ? [null] : [];
  const rs = right.length > 0 ? right : kind === 'left' || kind === 'full' ? [null] : [];
  if (left.length === 0 && kind !== 'right' && kind !== 'full') return;
  if (right.length === 0 && kind !== 'left' && kind !== 'full') return;
  for (const l of ls) for (const r of rs) next.push([k, [l, r]]);
}
