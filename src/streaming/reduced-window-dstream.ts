import type { OperatorCheckpoint, Pane } from '../checkpoint/checkpoint-store.js';
import { IllegalStateError } from '../errors.js';
import { StateBlockWriter } from '../memory/state-block.js';
import type { FnRef, WindowMerge } from '../plan/task.js';
import type { RDD } from '../rdd/rdd.js';
import { stateRDD, windowRDD, type StateRDD } from '../rdd/state-rdd.js';
import { DStream } from './dstream.js';
import type { StateOperatorProgress } from './listener.js';
import { statePartBlock } from '../memory/state-part.js';
import { countKeys } from './state-dstream.js';
import type { StreamingContext } from './streaming-context.js';

/** What an incremental window needs: its durations, partitions and functions. */
export interface ReducedWindowConfig {
  readonly op: string;
  readonly windowMs: number;
  readonly slideMs: number;
  readonly partitions: number;
  /** Reduces each batch's values per key into its pane. */
  readonly reduce: FnRef;
  readonly merge: WindowMerge;
}

/**
 * reduceByKeyAndWindow with an inverse function, as Spark's ReducedWindowedDStream but kept in the
 * partitioned state store. Every batch, the parent's values are reduced per key into a pane: state
 * blocks partitioned like the window. Every slide, each window partition is merged in a worker
 * from the previous window's block, the panes that leave (inverse) and the panes that enter
 * (reduce): a slide costs what enters and leaves, not the window's length.
 *
 * Panes are kept until they leave the window, and checkpointed with it, so a recovered program
 * subtracts what it added before the crash. A pane joins the window at the first slide that
 * commits after its batch; a failed slide leaves the window as it was and its panes for the next.
 */
export class ReducedWindowedDStream<K, V> extends DStream<[K, V]> {
  readonly parents: readonly DStream<unknown>[];
  readonly #config: ReducedWindowConfig;
  /** Panes by batch time, until they leave the window. */
  readonly #panes = new Map<number, readonly SharedArrayBuffer[]>();
  #window: readonly SharedArrayBuffer[] | null = null;
  /** The slide the window blocks are of: panes at or before it are in them. */
  #windowTime = Number.NEGATIVE_INFINITY;
  /** @internal The stable id its state is checkpointed under; assigned by the context at start. */
  id = '';

  /** @internal */
  constructor(ssc: StreamingContext, parent: DStream<unknown>, config: ReducedWindowConfig) {
    super(ssc);
    this.parents = [parent];
    this.#config = config;
  }

  override get slideDurationMs(): number {
    return this.#config.slideMs;
  }

  get kind(): string {
    return this.#config.op;
  }

  protected compute(time: number): RDD<[K, V]> {
    const { partitions, merge, op, windowMs } = this.#config;
    return windowRDD<[K, V]>(this.ssc.sparkContext, {
      partitions,
      merge,
      op,
      prev: () => this.#window,
      // Read when the merge runs: every pane since the last committed slide enters; every pane
      // already in the window that is now older than its length leaves.
      panes: () => {
        const entering: (readonly SharedArrayBuffer[])[] = [];
        const leaving: (readonly SharedArrayBuffer[])[] = [];
        for (const [t, blocks] of this.#panes) {
          if (t > this.#windowTime && t <= time && t > time - windowMs) entering.push(blocks);
          else if (t <= this.#windowTime && t <= time - windowMs) leaving.push(blocks);
        }
        return { entering, leaving };
      },
    });
  }

  /** @internal Every batch: the batch's pane; every slide, the window's merge too. */
  commitJob(time: number): (() => Promise<StateOperatorProgress>) | undefined {
    const values = this.parents[0].getOrCompute(time);
    const window = this.isTimeValid(time) ? (this.getOrCompute(time) as StateRDD<[K, V]>) : undefined;
    if (!values && !window) return undefined;
    return async () => {
      if (values) {
        const state = (await this.#pane(values).computeState()).state.map(statePartBlock);
        // A batch without data adds nothing and has nothing to take away: no pane to keep.
        if (countKeys(state) > 0) this.#panes.set(time, state);
      }
      let updated = 0;
      if (window) {
        const result = await window.computeState();
        this.#window = result.state.map(statePartBlock);
        this.#windowTime = time;
        updated = result.updated;
        // Panes that have left the window, or that expired before any slide took them in.
        for (const t of this.#panes.keys()) if (t <= time - this.#config.windowMs) this.#panes.delete(t);
      }
      return { id: this.id, operator: this.kind, numRowsTotal: this.#window ? countKeys(this.#window) : 0, numRowsUpdated: updated };
    };
  }

  /**
   * The pane of one batch: its values reduced per key into blocks partitioned like the window, by
   * the keyed-state path with no previous state (`fn: null` keeps the one value `combineWith` left).
   */
  #pane(values: RDD<unknown>): StateRDD<[K, V]> {
    const { partitions, op, reduce } = this.#config;
    return stateRDD(values, { partitions, op, update: { kind: 'update', fn: null, combineWith: reduce }, prev: () => null });
  }

  /** @internal The window and its panes, for checkpoints. */
  snapshot(): Omit<OperatorCheckpoint, 'id' | 'kind'> | undefined {
    if (!this.#window && this.#panes.size === 0) return undefined;
    const panes: Pane[] = [...this.#panes].map(([time, blocks]) => ({ time, blocks }));
    // Before the first slide there is no window yet: empty blocks stand in, without a window time.
    const blocks = this.#window ?? Array.from({ length: this.#config.partitions }, () => new StateBlockWriter().seal());
    const { windowMs, slideMs } = this.#config;
    return { blocks, panes, windowTime: this.#window ? this.#windowTime : undefined, window: { windowMs, slideMs } };
  }

  /** @internal */
  restore(saved: OperatorCheckpoint): void {
    const { partitions, windowMs, slideMs } = this.#config;
    if (saved.window && (saved.window.windowMs !== windowMs || saved.window.slideMs !== slideMs)) {
      // Panes were kept, and have left the window, for the old length: another one would subtract
      // batches that were never added, or never subtract some that were.
      throw new IllegalStateError(
        `Checkpointed window '${saved.id}' is ${saved.window.windowMs / 1000} s sliding every ${saved.window.slideMs / 1000} s; ` +
          `the program now asks for ${windowMs / 1000} s every ${slideMs / 1000} s. Keep the durations, or pass ` +
          `{ dropState: ['${saved.id}'] } to StreamingContext.getOrCreate.`,
      );
    }
    if (saved.blocks.length !== partitions) {
      throw new IllegalStateError(
        `Checkpointed window '${saved.id}' has ${saved.blocks.length} partitions; the program now asks for ${partitions}. ` +
          `Keep numPartitions as it was, or pass { dropState: ['${saved.id}'] } to StreamingContext.getOrCreate.`,
      );
    }
    this.#window = saved.windowTime === undefined ? null : saved.blocks;
    this.#windowTime = saved.windowTime ?? Number.NEGATIVE_INFINITY;
    for (const p of saved.panes ?? []) this.#panes.set(p.time, p.blocks);
  }
}
