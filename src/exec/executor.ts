import { threadId } from 'node:worker_threads';
import { reportError } from '../errors.js';
import { taskOperator, type Task, type TaskResult } from '../plan/task.js';
import { hasAwaitedOps, runAwaited } from './awaited-ops.js';
import { buildChain, OperatorFailure, PartitionDone } from './pipeline.js';
import { readSource, sourceCount } from './read-source.js';
import { createSink, type Sink } from './sinks.js';
import { runSplitCount, runSplitCountToBlock } from './split-count.js';

/**
 * Runs one task to completion on the current thread: synchronously, unless an operation is
 * awaited (`mapAsync`). What the task runners and the worker entry call.
 */
export function executeTask(task: Task): TaskResult | Promise<TaskResult> {
  return !task.kernel && hasAwaitedOps(task) ? runAwaitedTask(task) : runTask(task);
}

/**
 * Runs one task without awaited operations to completion, synchronously. Never throws: a failure
 * in user code comes back as a result naming the operator, with the original name, message and
 * stack (or a description of a thrown value that is not an Error), so the driver can fail the
 * batch with a typed error.
 */
export function runTask(task: Task): TaskResult {
  if (task.startedAt) new Float64Array(task.startedAt)[0] = Date.now();
  try {
    if (task.sink.kind === 'count' && task.ops.length === 0 && !task.kernel) {
      const n = sourceCount(task.source);
      if (n !== undefined) return { ok: true, threadId, value: n };
    }
    const sink = createSink(task.sink, task.partition);
    let kept: SharedArrayBuffer | undefined;
    let block: SharedArrayBuffer | undefined; // a shuffle block the kernel wrote itself
    try {
      if (task.kernel && task.source.kind === 'lines') {
        const { sink: out } = task;
        if (out.kind === 'shuffle' && out.partitioner.kind === 'hash') block = runSplitCountToBlock(task.kernel, task.source.ranges, out.partitioner.partitions, sink);
        else runSplitCount(task.kernel, task.source.ranges, sink);
      } else kept = readSource(task.source, buildChain(task.ops, sink, task.partition), task.keep);
    } catch (e) {
      if (!(e instanceof PartitionDone)) throw e;
    }
    return block ? { ok: true, threadId, value: block } : succeeded(sink, kept);
  } catch (e) {
    return failed(task, e);
  }
}

async function runAwaitedTask(task: Task): Promise<TaskResult> {
  try {
    const sink = createSink(task.sink, task.partition);
    let kept: SharedArrayBuffer | undefined;
    try {
      kept = await runAwaited(task, sink);
    } catch (e) {
      if (!(e instanceof PartitionDone)) throw e;
    }
    return succeeded(sink, kept);
  } catch (e) {
    return failed(task, e);
  }
}

function succeeded(sink: Sink, kept: SharedArrayBuffer | undefined): TaskResult {
  return { ok: true, threadId, value: sink.result(), ...(kept ? { kept } : {}) };
}

function failed(task: Task, e: unknown): TaskResult {
  const op = e instanceof OperatorFailure ? e.op : taskOperator(task);
  return { ok: false, threadId, error: reportError(op, e instanceof OperatorFailure ? e.original : e) };
}
