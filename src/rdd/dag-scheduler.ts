import { ChispaError, reviveError, TaskCancelledError, WorkerError } from '../errors.js';
import { log } from '../log.js';
import { compareValues } from '../exec/compare.js';
import { add } from '../functions.js';
import { isAddition, isSumUpdate, recognizeSplitCount } from '../plan/recognize.js';
import type { TaskRunner } from '../exec/task-runner.js';
import type { StateResult } from '../exec/state-update.js';
import { taskOperator, type Aggregator, type FnRef, type Partitioner, type SinkDesc, type SourceDesc, type StateUpdate, type Task, type TaskResult } from '../plan/task.js';
import type { LineageNode, PartitionPlan, ShuffleNode, StateNode, StateUpdateResult, WindowNode } from './lineage.js';

/**
 * Lineage and its execution (the node kinds are in `lineage.ts`). Planning walks the graph from an
 * RDD back to its sources and cuts it at shuffles: each shuffle's map stage runs first (once per
 * RDD, its output kept for later jobs on the same RDD, as Spark reuses shuffle files), then the
 * final stage's tasks run the action's sink. The first job to merge a combineByKey partition keeps
 * the result for the later ones, too.
 */

/** Reported to listeners after every task. */
export interface TaskEndInfo {
  readonly stageId: number;
  readonly partition: number;
  /** `worker_threads.threadId` of the thread the task ran on: a pool worker, or under master `local` the thread that runs chispa (0 for the main thread). */
  readonly threadId: number;
  readonly ok: boolean;
  /** The byte-level kernel the task ran instead of its operations, if any (`splitCount`). */
  readonly kernel?: string;
}

export class DAGScheduler {
  readonly #runner: TaskRunner;
  readonly #onTaskEnd: (info: TaskEndInfo) => void;
  readonly #fastPath: boolean;
  /** `add`, prepared for the tasks, for updates recognised as sums; prepared when first needed. */
  readonly #prepareSum: () => FnRef;
  #sum: FnRef | undefined;
  readonly #maxFailures: number;
  /**
   * The reduce partitions of keyed shuffles that no job has merged yet, with the plans they are
   * in. Spark merges a shuffle's map outputs again in every job that reads them; a streaming batch
   * often runs several (`count()`, then a `collect()`), so the first job's tasks keep what they
   * merged and the later ones read that.
   */
  readonly #keepable = new WeakMap<SourceDesc, { plans: PartitionPlan[]; index: number }>();
  #nextStage = 0;

  /** `maxFailures`: attempts per task when its worker dies under it (Spark's `spark.task.maxFailures`). */
  constructor(
    runner: TaskRunner,
    onTaskEnd: (info: TaskEndInfo) => void,
    fastPath = true,
    prepareSum: () => FnRef = () => add,
    maxFailures = 4,
  ) {
    this.#runner = runner;
    this.#onTaskEnd = onTaskEnd;
    this.#fastPath = fastPath;
    this.#prepareSum = prepareSum;
    this.#maxFailures = maxFailures;
  }

  get parallelism(): number {
    return this.#runner.parallelism;
  }

  /** Plans `node` into its final-stage partitions, running any shuffle map stages it needs. */
  async plan(node: LineageNode): Promise<PartitionPlan[]> {
    switch (node.kind) {
      case 'source':
        return node.partitions.map((source) => ({ source, ops: [] }));
      case 'narrow':
        return (await this.plan(node.parent)).map((p) => ({ source: p.source, ops: [...p.ops, ...node.ops] }));
      case 'union':
        return (await Promise.all(node.parents.map((p) => this.plan(p)))).flat();
      case 'shuffle':
        node.output ??= this.#runShuffle(node);
        return node.output;
      case 'state':
      case 'window':
        return (await this.stateResult(node)).state.map((part) => ({ source: { kind: 'state', part }, ops: [] }));
      case 'persisted':
        node.blocks ??= this.plan(node.parent).then(
          async (plans) => (await this.#runStage(plans.map((p, i) => ({ source: p.source, ops: p.ops, sink: { kind: 'materialize' }, partition: i })))) as SharedArrayBuffer[],
        );
        return (await node.blocks).map((sab) => ({ source: { kind: 'block', sab, section: 0 }, ops: [] }));
      case 'emitted':
        return (await this.stateResult(node.state)).emitted.map((sab) => ({ source: sab ? { kind: 'block', sab, section: 0 } : { kind: 'empty' }, ops: [] }));
    }
  }

  /** A state update's or window merge's result, run by the first job that needs it. */
  stateResult(node: StateNode | WindowNode): Promise<StateUpdateResult> {
    node.result ??= node.kind === 'state' ? this.#runStateUpdate(node) : this.#runWindowMerge(node);
    return node.result;
  }

  /** Runs `sink` over the given partitions of `node` (all by default); one result per partition. */
  async runJob(node: LineageNode, sink: SinkDesc, which?: (plans: PartitionPlan[]) => number[]): Promise<unknown[]> {
    const plans = await this.plan(node);
    const indices = which ? which(plans) : plans.map((_, i) => i);
    return this.#runStage(
      indices.map((i) => {
        const { source, ops } = plans[i];
        return { source, ops, sink, partition: i, ...(this.#keepable.has(source) ? { keep: true } : {}) };
      }),
    );
  }

  /**
   * Number of partitions `node` has, from the lineage: no map stage runs for it. Only a sort's
   * range partitioner samples its input first (as Spark's does when `sortBy` is called), since
   * its partition count is the number of distinct bounds the sample gives.
   */
  async numPartitions(node: LineageNode): Promise<number> {
    switch (node.kind) {
      case 'source':
        return node.partitions.length;
      case 'narrow':
      case 'persisted':
        return this.numPartitions(node.parent);
      case 'union':
        return (await Promise.all(node.parents.map((p) => this.numPartitions(p)))).reduce((a, b) => a + b, 0);
      case 'shuffle':
        if (node.output) return (await node.output).length;
        if (node.partitioner === 'range') return sectionsOf(await this.#partitioner(node, await this.plan(node.parent)));
        return node.partitions ?? Math.max(1, await this.numPartitions(node.parent));
      case 'state':
      case 'window':
        return node.partitions;
      case 'emitted':
        return node.state.partitions;
    }
  }

  async #runShuffle(node: ShuffleNode): Promise<PartitionPlan[]> {
    const parents = await this.plan(node.parent);
    const partitioner = await this.#partitioner(node, parents);
    const sink: SinkDesc = { kind: 'shuffle', partitioner, agg: node.agg };
    const blocks = (await this.#runStage(parents.map((p, i) => this.#mapTask(p, node.agg, sink, i)))) as SharedArrayBuffer[];
    // A merge recognised as `a + b` may be summed in WebAssembly by the reduce tasks (read-source.ts).
    const sum = this.#fastPath && node.agg.kind === 'combine' && isAddition(node.agg.mergeCombiners);
    const plans: PartitionPlan[] = Array.from({ length: sectionsOf(partitioner) }, (_, r) => ({
      source: { kind: 'shuffle', blocks, section: r, agg: node.agg, ...(sum ? { sum } : {}) },
      ops: [],
    }));
    // Only combineByKey's combiners can be kept (they may be primitives; groups are arrays).
    if (node.agg.kind === 'combine') {
      plans.forEach((p, index) => this.#keepable.set(p.source, { plans, index }));
    }
    return plans;
  }

  /**
   * A job's task merged reduce partition `source` and kept the result: from now on the shuffle's
   * plans (what every later job over it plans from) read that block instead.
   */
  #useKept(source: SourceDesc, kept: SharedArrayBuffer): void {
    const at = this.#keepable.get(source);
    if (!at) return;
    this.#keepable.delete(source);
    at.plans[at.index] = { source: { kind: 'block', sab: kept, section: 0 }, ops: [] };
  }

  async #runWindowMerge(node: WindowNode): Promise<StateUpdateResult> {
    const prev = node.prev();
    const { entering, leaving } = node.panes();
    const tasks = Array.from({ length: node.partitions }, (_, r): Task => ({
      source: { kind: 'empty' },
      ops: [],
      sink: { kind: 'mergeWindow', prev: prev ? prev[r] : null, entering: entering.map((p) => p[r]), leaving: leaving.map((p) => p[r]), merge: node.merge, op: node.op },
      partition: r,
    }));
    const results = (await this.#runStage(tasks)) as StateResult[];
    return { state: results.map((r) => r.state), emitted: [], updated: results.reduce((n, r) => n + r.updated, 0) };
  }

  async #runStateUpdate(node: StateNode): Promise<StateUpdateResult> {
    const update = this.#recognizeSum(node.update);
    const sum = update.kind === 'update' ? update.combineWith : undefined;
    const grouped = await this.plan({
      kind: 'shuffle',
      parent: node.values,
      agg: sum ? { kind: 'combine', merge: sum, mergeCombiners: sum, op: node.op } : { kind: 'group', op: node.op },
      partitions: node.partitions,
      partitioner: 'hash',
    });
    const prev = node.prev();
    const results = (await this.#runStage(
      grouped.map((p, r) => ({
        source: p.source,
        ops: p.ops,
        sink: { kind: 'updateState', prev: prev ? prev[r] : null, op: node.op, update },
        partition: r,
      })),
    )) as StateResult[];
    return { state: results.map((r) => r.state), emitted: results.map((r) => r.emitted), updated: results.reduce((n, r) => n + r.updated, 0) };
  }

  /**
   * updateStateByKey with the seed's summing update function: its values may be summed map-side
   * (and counted by the byte-level kernel) before the function sees their sum.
   */
  #recognizeSum(update: StateUpdate): StateUpdate {
    if (!this.#fastPath || update.kind !== 'update' || !update.fn || update.combineWith || !isSumUpdate(update.fn)) return update;
    this.#sum ??= this.#prepareSum();
    return { ...update, combineWith: this.#sum };
  }

  /** A shuffle map task, on a byte-level kernel when the planner recognises its operations. */
  #mapTask(p: PartitionPlan, agg: Aggregator, sink: SinkDesc, partition: number): Task {
    const kernel = this.#fastPath && p.source.kind === 'lines' ? recognizeSplitCount(p.ops, agg) : undefined;
    return kernel ? { source: p.source, ops: [], kernel, sink, partition } : { source: p.source, ops: p.ops, sink, partition };
  }

  /** The shuffle's partitioner; a range partitioner is sampled once, by the first to ask. */
  #partitioner(node: ShuffleNode, parents: PartitionPlan[]): Promise<Partitioner> {
    const partitions = node.partitions ?? Math.max(1, parents.length);
    if (node.partitioner !== 'range') return Promise.resolve({ kind: node.partitioner, partitions });
    node.ranges ??= this.#rangePartitioner(node, partitions, parents);
    return node.ranges;
  }

  async #rangePartitioner(node: ShuffleNode, partitions: number, parents: PartitionPlan[]): Promise<Partitioner> {
    const ascending = node.agg.kind === 'sort' ? node.agg.ascending : true;
    if (partitions <= 1) return { kind: 'range', bounds: [], ascending };
    // As Spark's RangePartitioner: sample the sort keys of every partition, then cut the sorted
    // sample into equal slices.
    const perPartition = 20 * partitions;
    const samples = (await this.#runStage(
      parents.map((p, i) => ({ source: p.source, ops: p.ops, sink: { kind: 'sampleKeys', n: perPartition, ascending }, partition: i })),
    )) as unknown[][];
    const sign = ascending ? 1 : -1;
    const all = samples.flat().sort((a, b) => sign * compareValues(a, b));
    const bounds: unknown[] = [];
    for (let i = 1; i < partitions && all.length > 0; i++) {
      const b = all[Math.min(all.length - 1, Math.floor((i * all.length) / partitions))];
      if (bounds.length === 0 || compareValues(bounds[bounds.length - 1], b) !== 0) bounds.push(b);
    }
    return { kind: 'range', bounds, ascending };
  }

  /**
   * Runs a stage's tasks together and waits for all of them, so a failed stage never leaves
   * tasks of its own running into the next job. The first failure fails the stage.
   */
  async #runStage(tasks: Task[]): Promise<unknown[]> {
    const stageId = this.#nextStage++;
    const settled = await Promise.allSettled(tasks.map((t) => this.#attempt(t)));
    const lost = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (lost) throw lost.reason;
    const results = settled.map((r) => (r as PromiseFulfilledResult<TaskResult>).value);
    let failure: ChispaError | undefined;
    const values = results.map((r, i) => {
      this.#onTaskEnd({ stageId, partition: tasks[i].partition, threadId: r.threadId, ok: r.ok, kernel: tasks[i].kernel?.kind });
      if (r.ok && r.kept) this.#useKept(tasks[i].source, r.kept);
      if (r.ok) return r.value;
      failure ??= reviveError(r.error);
      return undefined;
    });
    if (failure) throw failure;
    return values;
  }

  /**
   * Runs a task, again (on whichever worker is free: the dead one was replaced) when its worker
   * died under it, up to `maxFailures` attempts in all, as Spark's TaskSetManager. A function
   * that throws is its deterministic verdict on the input and fails at once; so does a
   * cancellation. Tasks only read their inputs and write fresh blocks, so a retry sees what the
   * first attempt saw.
   */
  async #attempt(task: Task): Promise<TaskResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#runner.run(task);
      } catch (e) {
        const retry = e instanceof WorkerError && !(e instanceof TaskCancelledError) && attempt < this.#maxFailures;
        if (!retry) {
          if (e instanceof WorkerError) {
            e.noteAttempts(attempt);
            throw e;
          }
          // Piscina's bare rejection (a result that could not be cloned back, say): a coded report.
          return workerFailure(task, e);
        }
        log.warn(`lost task ${task.partition} (${e.message}); retrying, attempt ${attempt + 1} of ${this.#maxFailures}`);
      }
    }
  }
}

/** Reduce partitions a shuffle's map tasks write: one per range between bounds, or `partitions`. */
function sectionsOf(partitioner: Partitioner): number {
  return partitioner.kind === 'range' ? partitioner.bounds.length + 1 : partitioner.partitions;
}

/**
 * A task whose run rejected instead of reporting: the worker failed outside user code. Piscina
 * hands over what the worker could not send as `{}` (a DataCloneError does not survive the trip),
 * which is almost always a result that cannot be structured-cloned.
 */
function workerFailure(task: Task, e: unknown): TaskResult {
  const given = typeof e === 'object' && e !== null && typeof (e as Error).message === 'string' ? (e as Error).message : '';
  const message = given || 'the worker failed without an error; most likely its result could not be sent back (a function, a Promise or another value that cannot be structured-cloned)';
  const op = taskOperator(task);
  return { ok: false, threadId: -1, error: { op, name: 'WorkerError', message: `${op}: ${message}`, code: WorkerError.code } };
}
