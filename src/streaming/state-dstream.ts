import type { StateNode } from '../rdd/dag-scheduler.js';
import { RDD } from '../rdd/rdd.js';
import type { FnRef } from '../plan/task.js';
import { DStream } from './dstream.js';
import type { StreamingContext } from './streaming-context.js';

/** Options of `updateStateByKey`. */
export interface UpdateStateOptions<K, S> {
  /** State partitions; default the context's `defaultParallelism`. Fixed for the stream's life. */
  numPartitions?: number;
  /** State before the first batch: `[key, state]` pairs, or an RDD of them. */
  initialRDD?: RDD<[K, S]> | readonly [K, S][];
  /** Values the update function may use on worker threads (see `FnOptions.context`). */
  context?: Record<string, unknown>;
}

/**
 * The stream of `updateStateByKey`: each batch's RDD is the whole state after that batch. The
 * state lives in shared-memory state blocks, one per partition; the merge runs in the workers.
 * The driver holds only the handles of the last committed blocks and swaps them in after every
 * partition of a batch has succeeded, so a failed batch leaves the previous state as it was.
 */
export class StateDStream<K, S> extends DStream<[K, S]> {
  readonly parents: readonly DStream<unknown>[];
  readonly #fn: FnRef;
  readonly #op: string;
  readonly #partitions: number;
  #initial: RDD<[K, S]> | undefined;
  #committed: readonly SharedArrayBuffer[] | null = null;

  constructor(ssc: StreamingContext, parent: DStream<unknown>, fn: FnRef, op: string, opts: UpdateStateOptions<K, S>) {
    super(ssc);
    this.parents = [parent];
    this.#fn = fn;
    this.#op = op;
    this.#partitions = opts.numPartitions ?? ssc.sparkContext.defaultParallelism;
    const init = opts.initialRDD;
    this.#initial = init === undefined ? undefined : init instanceof RDD ? init : ssc.sparkContext.parallelize(init);
  }

  protected compute(time: number): RDD<[K, S]> {
    const sc = this.ssc.sparkContext;
    const values = this.parents[0].getOrCompute(time) ?? sc.emptyRDD();
    return new RDD<[K, S]>(sc, this.#node(values.node, this.#fn));
  }

  /**
   * @internal Runs batch `time`'s update and commits it. The context runs this before the batch's
   * output jobs, so the state advances every batch whatever the outputs read.
   */
  async commit(time: number): Promise<void> {
    const scheduler = this.ssc.sparkContext.scheduler;
    if (this.#initial) {
      this.#committed = await blocksOf(scheduler.plan(this.#node(this.#initial.node, null)));
      this.#initial = undefined;
    }
    this.#committed = await blocksOf(scheduler.plan(this.getOrCompute(time)!.node));
  }

  #node(values: StateNode['values'], fn: FnRef | null): StateNode {
    return { kind: 'state', values, partitions: this.#partitions, fn, op: this.#op, prev: () => this.#committed };
  }
}

async function blocksOf(plans: Promise<{ source: { kind: string; sab?: SharedArrayBuffer } }[]>): Promise<SharedArrayBuffer[]> {
  return (await plans).map((p) => p.source.sab!);
}
