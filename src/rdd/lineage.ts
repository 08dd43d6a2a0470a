import type { Aggregator, NarrowOp, Partitioner, SourceDesc, StateUpdate, WindowMerge } from '../plan/task.js';
import type { StatePart } from '../memory/state-part.js';

/**
 * The lineage graph's node kinds, owned here and built only by `rdd/` (RDD's operations, the
 * SparkContext and the factories in `line-rdd.ts` and `state-rdd.ts`): an RDD is a node in a graph
 * of sources, narrow operations, unions, shuffles, state updates and window merges. The DAG
 * scheduler plans and runs it.
 */
export type LineageNode =
  | { readonly kind: 'source'; readonly partitions: readonly SourceDesc[] }
  | { readonly kind: 'narrow'; readonly parent: LineageNode; readonly ops: readonly NarrowOp[] }
  | { readonly kind: 'union'; readonly parents: readonly LineageNode[] }
  | ShuffleNode
  | StateNode
  | WindowNode
  /** A persisted RDD: its partitions computed once, by the first job, into shared-memory blocks. */
  | { readonly kind: 'persisted'; readonly parent: LineageNode; blocks?: Promise<SharedArrayBuffer[]> }
  /** The records a mapWithState function returned in the batch of `state`. */
  | { readonly kind: 'emitted'; readonly state: StateNode };

export interface ShuffleNode {
  readonly kind: 'shuffle';
  readonly parent: LineageNode;
  readonly agg: Aggregator;
  /**
   * Partitions after the shuffle; null keeps the parent's count, known only once the parent is
   * planned (a socket batch has as many partitions as it had data for).
   */
  readonly partitions: number | null;
  /** Partitioner family; `range` bounds are sampled from the data when the stage runs. */
  readonly partitioner: 'hash' | 'roundRobin' | 'range';
  /** Map-stage output, computed by the first job that needs it. */
  output?: Promise<PartitionPlan[]>;
  /** A range partitioner's sampled bounds, computed once by the first to need them. */
  ranges?: Promise<Partitioner>;
}

/**
 * A stateful operator's state after one batch: the batch's `[key, value]` records are grouped by
 * key into the state's partitions and folded into the previous state blocks, one task per
 * partition. `prev` is read when the update runs, not when the node is built, because batches are
 * generated ahead of running and the previous batch may still be running (or fail).
 */
export interface StateNode {
  readonly kind: 'state';
  readonly values: LineageNode;
  readonly partitions: number;
  readonly update: StateUpdate;
  readonly op: string;
  readonly prev: () => readonly StatePart[] | null;
  /** The update's output, computed by the first job that needs it. */
  result?: Promise<StateUpdateResult>;
}

/** A state update's new blocks and mapped records, one per partition, and how many keys it updated. */
export interface StateUpdateResult {
  readonly state: StatePart[];
  readonly emitted: (SharedArrayBuffer | null)[];
  readonly updated: number;
}

/**
 * An incremental window after one slide: per partition, the previous window's block with the
 * panes (per-batch reduced state blocks, partitioned like the window) that leave subtracted and
 * those that enter added. `prev` and `panes` are read when the merge runs, as for a StateNode.
 */
export interface WindowNode {
  readonly kind: 'window';
  readonly partitions: number;
  readonly merge: WindowMerge;
  readonly op: string;
  readonly prev: () => readonly SharedArrayBuffer[] | null;
  /** Blocks of each entering and each leaving pane, one per partition. */
  readonly panes: () => { entering: readonly (readonly SharedArrayBuffer[])[]; leaving: readonly (readonly SharedArrayBuffer[])[] };
  /** The merge's output, computed by the first job that needs it. */
  result?: Promise<StateUpdateResult>;
}

/** What a task of the final stage starts from: a source partition and the narrow ops after it. */
export interface PartitionPlan {
  readonly source: SourceDesc;
  readonly ops: readonly NarrowOp[];
}
