import type { OperatorCheckpoint } from '../checkpoint/checkpoint-store.js';
import { checkpointBlocks, checkpointedRDD } from '../rdd/checkpoint-rdd.js';
import type { RDD } from '../rdd/rdd.js';
import { DStream } from './dstream.js';
import type { StateOperatorProgress } from './listener.js';
import type { StreamingContext } from './streaming-context.js';

/**
 * `window()`: the union of the parent's RDDs in (t − window, t], every slide.
 *
 * With a checkpoint directory, the window survives a restart as Spark's does: Spark checkpoints
 * the RDDs a window's parent remembers with the graph, and restores them. Here every batch of the
 * parent is computed into shared-memory blocks when its batch runs (the window reads those blocks
 * later, so nothing is computed twice), the batches still inside the window go into each
 * checkpoint, and a recovered program's windows read them back for the times before the restart.
 */
export class WindowedDStream<T> extends DStream<T> {
  readonly parents: readonly DStream<unknown>[];
  readonly #windowMs: number;
  readonly #slideMs: number;
  /** The parent's computed batches a later window may still read, by batch time: checkpointed. */
  readonly #batches = new Map<number, readonly SharedArrayBuffer[]>();
  /** @internal The stable id its batches are checkpointed under; assigned by the context at start. */
  id = '';
  /** @internal */
  readonly kind = 'window';

  /** @internal */
  constructor(ssc: StreamingContext, parent: DStream<unknown>, windowMs: number, slideMs: number) {
    super(ssc);
    this.parents = [parent];
    this.#windowMs = windowMs;
    this.#slideMs = slideMs;
  }

  override get slideDurationMs(): number {
    return this.#slideMs;
  }

  override get parentRememberMs(): number {
    return this.#windowMs;
  }

  /**
   * @internal Its own checkpoint interval, else the shortest one set on a stream derived from it
   * (`window(…).count().checkpoint(5)`): what the program checkpoints needs the window's batches.
   */
  override get checkpointIntervalMs(): number | undefined {
    return super.checkpointIntervalMs ?? this.ssc.graph.checkpointIntervalBelow(this as DStream<unknown>);
  }

  protected compute(time: number): RDD<T> {
    const parent = this.parents[0] as DStream<T>;
    const step = parent.slideDurationMs;
    const rdds: RDD<T>[] = [];
    for (let t = time - this.#windowMs + step; t <= time; t += step) {
      const rdd = parent.getOrCompute(t) ?? this.#restored(t);
      // Each batch is in several windows: as Spark persists a window's parent, a batch computed
      // through operations is kept in shared memory by the first window that computes it. What is
      // in shared memory already (an input's batch, state) is read as it is.
      if (rdd) rdds.push(rdd.isComputed ? rdd.persist() : rdd);
    }
    return rdds.length === 1 ? rdds[0] : this.ssc.sparkContext.union(rdds);
  }

  /** A batch from before a restart: the parent has no RDD then, the checkpoint had its blocks. */
  #restored(time: number): RDD<T> | undefined {
    const blocks = time < (this.ssc.firstBatchTime ?? Number.NEGATIVE_INFINITY) ? this.#batches.get(time) : undefined;
    return blocks && checkpointedRDD<T>(this.ssc.sparkContext, blocks);
  }

  /**
   * @internal With a checkpoint directory: computes the parent's batch `time` into blocks when the
   * batch runs, and forgets the batches no later window reads.
   */
  commitJob(time: number): (() => Promise<StateOperatorProgress | undefined>) | undefined {
    if (this.ssc.checkpointDirectory === undefined) return undefined;
    const rdd = this.parents[0].getOrCompute(time);
    // Bound now, before the batch's windows are: a computed batch is persisted in place, so the
    // window reads the blocks this job computes.
    const compute = rdd && checkpointBlocks(rdd);
    return async () => {
      if (compute) this.#batches.set(time, await compute());
      for (const t of this.#batches.keys()) if (t <= time - this.#windowMs) this.#batches.delete(t);
      return undefined;
    };
  }

  /** @internal The remembered batches, for checkpoints. */
  snapshot(): Omit<OperatorCheckpoint, 'id' | 'kind'> | undefined {
    if (this.#batches.size === 0) return undefined;
    const batches = [...this.#batches].sort(([a], [b]) => a - b).map(([time, blocks]) => ({ time, blocks }));
    return { blocks: [], batches, window: { windowMs: this.#windowMs, slideMs: this.#slideMs } };
  }

  /**
   * @internal Puts a checkpoint's batches back, before start. A window whose length changed reads
   * those of them its windows cover, as Spark's would read the remembered RDDs.
   */
  restore(saved: OperatorCheckpoint): void {
    for (const b of saved.batches ?? []) this.#batches.set(b.time, b.blocks);
  }
}
