import { IllegalStateError } from '../errors.js';
import type { StatePart } from '../memory/state-part.js';
import type { StateUpdate, WindowMerge } from '../plan/task.js';
import type { StateNode, StateUpdateResult, WindowNode } from './lineage.js';
import { RDD } from './rdd.js';
import type { SparkContext } from './spark-context.js';

/**
 * The RDD of a keyed state after one batch, or of an incremental window after one slide: its
 * records are the stored `[key, state]` pairs. The streaming layer builds these through
 * {@link stateRDD} and {@link windowRDD} and commits them with {@link StateRDD.computeState};
 * it never sees the lineage nodes or the scheduler.
 */
export class StateRDD<T> extends RDD<T> {
  /** Kept apart from `node`, which `persist()` wraps: the update is this node, persisted or not. */
  readonly #state: StateNode | WindowNode;

  /** @internal Use {@link stateRDD} or {@link windowRDD}. */
  constructor(context: SparkContext, state: StateNode | WindowNode) {
    super(context, state);
    this.#state = state;
  }

  /**
   * @internal The update's new state blocks (one per partition), records it emitted and keys it
   * updated; the update runs once, in the first job that needs it, and this returns its result.
   */
  computeState(): Promise<StateUpdateResult> {
    return this.context.scheduler.stateResult(this.#state);
  }

  /** @internal The records a mapWithState function returned in this update. */
  emitted<U>(): RDD<U> {
    if (this.#state.kind !== 'state') throw new IllegalStateError('A window merge emits no records');
    return new RDD<U>(this.context, { kind: 'emitted', state: this.#state });
  }
}

/** What a state update needs besides its input: see {@link StateNode}. */
export interface StateUpdateSpec {
  readonly partitions: number;
  readonly update: StateUpdate;
  readonly op: string;
  /** The previous state's partitions, read when the update runs (null: no state yet). */
  readonly prev: () => readonly StatePart[] | null;
}

/** @internal The state after folding `values`' `[key, value]` records into the previous state. */
export function stateRDD<T>(values: RDD<unknown>, spec: StateUpdateSpec): StateRDD<T> {
  const { partitions, update, op, prev } = spec;
  return new StateRDD<T>(values.context, { kind: 'state', values: values.node, partitions, update, op, prev });
}

/** What a window merge needs: see {@link WindowNode}. */
export interface WindowMergeSpec {
  readonly partitions: number;
  readonly merge: WindowMerge;
  readonly op: string;
  readonly prev: () => readonly SharedArrayBuffer[] | null;
  readonly panes: WindowNode['panes'];
}

/** @internal The window after one slide: the previous window with leaving panes subtracted and entering ones added. */
export function windowRDD<T>(sc: SparkContext, spec: WindowMergeSpec): StateRDD<T> {
  const { partitions, merge, op, prev, panes } = spec;
  return new StateRDD<T>(sc, { kind: 'window', partitions, merge, op, prev, panes });
}

/** @internal An RDD reading stored state blocks (a checkpoint's), one partition per block. */
export function stateBlocksRDD<T>(sc: SparkContext, blocks: readonly StatePart[]): RDD<T> {
  return new RDD<T>(sc, { kind: 'source', partitions: blocks.map((part) => ({ kind: 'state', part })) });
}
