import type { OperatorCheckpoint } from '../checkpoint/checkpoint-store.js';
import { statePartBlock, statePartCount, type StatePart } from '../memory/state-part.js';
import type { RDD } from '../rdd/rdd.js';
import { stateBlocksRDD, stateRDD, type StateRDD } from '../rdd/state-rdd.js';
import type { StateUpdate } from '../plan/task.js';
import { DStream } from './dstream.js';
import type { StateOperatorProgress } from './listener.js';
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

/** What a keyed state stream needs, whichever operator it serves. */
export interface StateStreamConfig<K, S> {
  readonly op: string;
  readonly partitions: number;
  readonly initial?: RDD<[K, S]>;
  /** The update to run for batch `time`; `fn: null` for loading the initial state. */
  readonly update: (time: number, loading: boolean) => StateUpdate;
}

/**
 * Keyed state over batches: each batch's RDD is the stored state after that batch. The state lives
 * in shared-memory state blocks, one per partition, and the merge runs in the workers. The driver
 * holds only the handles of the last committed blocks and swaps them in after every partition of a
 * batch has succeeded, so a failed batch leaves the previous state as it was.
 */
export class StateDStream<K, S> extends DStream<[K, S]> {
  readonly parents: readonly DStream<unknown>[];
  readonly #config: StateStreamConfig<K, S>;
  #initial: RDD<[K, S]> | undefined;
  #committed: readonly StatePart[] | null = null;
  #restoring: RDD<[K, S]> | undefined;
  /** @internal The stable id its state is checkpointed under; assigned by the context at start. */
  id = '';

  constructor(ssc: StreamingContext, parent: DStream<unknown>, config: StateStreamConfig<K, S>) {
    super(ssc);
    this.parents = [parent];
    this.#config = config;
    this.#initial = config.initial;
  }

  protected compute(time: number): RDD<[K, S]> {
    const sc = this.ssc.sparkContext;
    const values = this.parents[0].getOrCompute(time) ?? sc.emptyRDD();
    return this.#stateRDD(values, this.#config.update(time, false));
  }

  /** @internal The operator (`updateStateByKey`, `mapWithState`): a checkpoint's state must match it. */
  get kind(): string {
    return this.#config.op;
  }

  /**
   * @internal The committed state as blocks, for checkpoints; undefined before the first batch.
   * An indexed partition (the summing update's) is copied into a block: its log keeps growing
   * past the committed version as later batches merge, and a checkpoint holds the version alone.
   */
  snapshot(): { blocks: readonly SharedArrayBuffer[] } | undefined {
    return this.#committed ? { blocks: this.#committed.map(statePartBlock) } : undefined;
  }

  /**
   * @internal Restores checkpointed state blocks, replacing any initial state (as Spark ignores
   * the initial RDD on recovery). Blocks saved with another partition count are re-partitioned by
   * the first batch, through the same load path as an initial RDD.
   */
  restore({ blocks }: OperatorCheckpoint): void {
    this.#initial = undefined;
    if (blocks.length === this.#config.partitions) {
      this.#committed = blocks;
      return;
    }
    this.#restoring = stateBlocksRDD(this.ssc.sparkContext, blocks);
  }

  /** @internal The RDD of batch `time`'s update. */
  stateAt(time: number): StateRDD<[K, S]> {
    return this.getOrCompute(time) as StateRDD<[K, S]>;
  }

  /**
   * @internal Binds batch `time`'s update now (its input is cut at generation) and returns the job
   * that runs and commits it. The context runs it before the batch's output jobs, so the state
   * advances every batch whatever the outputs read.
   */
  commitJob(time: number): (() => Promise<StateOperatorProgress>) | undefined {
    if (!this.isTimeValid(time)) return undefined;
    const rdd = this.stateAt(time);
    return async () => {
      if (this.#initial) {
        this.#committed = (await this.#stateRDD(this.#initial, this.#config.update(time, true)).computeState()).state;
        this.#initial = undefined;
      }
      if (this.#restoring) {
        // Stored entries are loaded as they are (for mapWithState, with their timestamps).
        this.#committed = (await this.#stateRDD(this.#restoring, { kind: 'update', fn: null }).computeState()).state;
        this.#restoring = undefined;
      }
      const { state, updated } = await rdd.computeState();
      this.#committed = state;
      return { id: this.id, operator: this.kind, numRowsTotal: countKeys(state), numRowsUpdated: updated };
    };
  }

  #stateRDD(values: RDD<unknown>, update: StateUpdate): StateRDD<[K, S]> {
    const { partitions, op } = this.#config;
    return stateRDD(values, { partitions, update, op, prev: () => this.#committed });
  }
}

/** Keys in a state's partitions. */
export function countKeys(parts: readonly StatePart[]): number {
  return parts.reduce((n, p) => n + statePartCount(p), 0);
}


/**
 * The stream `mapWithState` returns: the records the mapping function returned in each batch.
 * `stateSnapshots()` is the stream of the whole state after each batch.
 */
export class MapWithStateDStream<K, S, U> extends DStream<U> {
  readonly parents: readonly DStream<unknown>[];
  readonly #state: StateDStream<K, [S, number]>;

  /** @internal */
  constructor(ssc: StreamingContext, state: StateDStream<K, [S, number]>) {
    super(ssc);
    this.parents = [state as DStream<unknown>];
    this.#state = state;
  }

  protected compute(time: number): RDD<U> {
    return this.#state.stateAt(time).emitted<U>();
  }

  /** Names the operator: the id its state is checkpointed under. */
  override name(id: string): this {
    this.#state.name(id);
    return super.name(id);
  }

  /** Sets how often the operator's state is checkpointed, in seconds. */
  override checkpoint(interval: number): this {
    this.#state.checkpoint(interval);
    return super.checkpoint(interval);
  }

  /** `[key, state]` for every key with state, after each batch. */
  stateSnapshots(): DStream<[K, S]> {
    return this.#state.map(withoutTimestamp);
  }
}

/** Stored mapWithState entries carry the time they were last updated; snapshots show the state. */
const withoutTimestamp = <K, S>([k, [s]]: [K, [S, number]]): [K, S] => [k, s];
