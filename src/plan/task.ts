import type { ErrorReport } from '../errors.js';
import type { ShippedFunction } from './ship.js';
import type { StatePart } from '../memory/state-part.js';

/**
 * The task contract between the planner (main thread) and the executor (a worker, or the main
 * thread under master `local`). Everything here is structured-cloneable: shared memory travels as
 * SharedArrayBuffer handles inside the task object, never as copies.
 *
 * A task reads one partition from a source, pushes each record through a chain of narrow
 * operations, and hands the results to a sink.
 */

/** A user function: shipped by source to workers, or the function itself under `local`. */
export type FnRef = ShippedFunction | ((...args: any[]) => any);

/** Narrow operations: one record (or one partition) in, any number out, no data movement. */
export type NarrowOp =
  | { readonly kind: 'map' | 'flatMap' | 'filter' | 'mapValues' | 'flatMapValues' | 'keyBy'; readonly fn: FnRef; readonly op: string }
  | { readonly kind: 'mapPartitions'; readonly fn: FnRef; readonly op: string; readonly withIndex: boolean }
  | { readonly kind: 'glom'; readonly op: string }
  /** Tags a pair's value with the side it comes from, ahead of a cogroup shuffle. */
  | { readonly kind: 'tagSide'; readonly side: number; readonly sides: number; readonly op: string }
  /** Expands cogrouped `[k, [vs0, vs1]]` into the rows of a join of the given kind. */
  | { readonly kind: 'joinRows'; readonly join: 'inner' | 'left' | 'right' | 'full'; readonly op: string }
  /**
   * mapAsync / flatMapAsync: the partition's records so far are awaited through `fn`, at most
   * `concurrency` calls at a time, in order; the task runs asynchronously from here on.
   */
  | { readonly kind: 'mapAsync'; readonly fn: FnRef; readonly op: string; readonly flat: boolean; readonly concurrency: number };

/** How a shuffle map task combines records before they leave it, and how reducers merge them. */
export type Aggregator =
  /** combineByKey; `create` absent means the value is its own combiner (reduceByKey). */
  | { readonly kind: 'combine'; readonly create?: FnRef; readonly merge: FnRef; readonly mergeCombiners: FnRef; readonly op: string }
  /** groupByKey: a combiner is the array of values. */
  | { readonly kind: 'group'; readonly op: string }
  /** cogroup of `sides` tagged inputs: a combiner is one array of values per side. */
  | { readonly kind: 'cogroup'; readonly sides: number; readonly op: string }
  /** No keys: records move as they are (repartition). */
  | { readonly kind: 'none'; readonly op: string }
  /** `[sortKey, record]` pairs, sorted by key on the reduce side (sortBy). */
  | { readonly kind: 'sort'; readonly ascending: boolean; readonly op: string };

export type Partitioner =
  | { readonly kind: 'hash'; readonly partitions: number }
  | { readonly kind: 'roundRobin'; readonly partitions: number }
  /** Range partitioning by sort key; `bounds` has partitions − 1 ascending keys. */
  | { readonly kind: 'range'; readonly bounds: readonly unknown[]; readonly ascending: boolean };

/** One line segment's lines [from, to). */
export interface LineRange {
  readonly sab: SharedArrayBuffer;
  readonly from: number;
  readonly to: number;
}

export type SourceDesc =
  | { readonly kind: 'lines'; readonly ranges: readonly LineRange[] }
  | { readonly kind: 'block'; readonly sab: SharedArrayBuffer; readonly section: number }
  /**
   * Section `section` of every map task's block. `sum`: the planner recognised the combiners'
   * merge as `a + b` (and the fast path is on), so a partition of `[string, number]` records may
   * be summed in WebAssembly rather than by calling it.
   */
  | { readonly kind: 'shuffle'; readonly blocks: readonly SharedArrayBuffer[]; readonly section: number; readonly agg: Aggregator; readonly sum?: boolean }
  /** One partition of a stateful operator's state: `[key, state]` pairs. */
  | { readonly kind: 'state'; readonly part: StatePart }
  | { readonly kind: 'empty' }
  /**
   * One Kafka partition's offsets [from, until) (a direct stream's partition): the task fetches
   * them from the brokers before it runs (exec/kafka-fetch.ts), then reads them as `records`.
   */
  | { readonly kind: 'kafka'; readonly range: KafkaRangeSource }
  /** Records already in this thread's memory (a Kafka range once fetched); never sent to a worker. */
  | { readonly kind: 'records'; readonly records: readonly unknown[] };

/** How a record's key or value bytes become a value: UTF-8 text, the bytes, or parsed JSON. */
export type KafkaDecoder = 'utf8' | 'buffer' | 'json';

/** What a task needs to fetch one offset range of one Kafka partition. */
export interface KafkaRangeSource {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: number;
  readonly untilOffset: number;
  readonly keyDecoder: KafkaDecoder;
  readonly valueDecoder: KafkaDecoder;
  /** How long a fetch keeps retrying an unreachable broker before the task fails, ms. */
  readonly pollTimeoutMs: number;
}

/**
 * How a stateful operator turns new values into state. `fn: null` loads initial state (the last
 * value of a key becomes its state).
 * - `update`: updateStateByKey, `fn(values, state | null)` for every key with state or values.
 * - `map`: mapWithState, `fn(key, value, state)` once per record, and once per timed-out key;
 *   states are stored as `[state, lastUpdatedMs]`.
 */
export type StateUpdate =
  /**
   * `combineWith`, when set, is an addition: the planner recognised `fn` as summing its values, so
   * values are summed map-side and `fn` gets one partial sum per key, which gives the same state.
   */
  | { readonly kind: 'update'; readonly fn: FnRef | null; readonly combineWith?: FnRef }
  | { readonly kind: 'map'; readonly fn: FnRef | null; readonly time: number; readonly timeoutMs: number | null };

/** The functions of an incremental window: `filter`, when set, decides which keys stay. */
export interface WindowMerge {
  readonly reduce: FnRef;
  readonly inverse: FnRef;
  readonly filter: FnRef | null;
}

export type SinkDesc =
  | { readonly kind: 'collect' }
  /** Encodes the partition's records into a one-section PartitionedBlock (persist). */
  | { readonly kind: 'materialize' }
  | { readonly kind: 'count' }
  | { readonly kind: 'take'; readonly n: number }
  | { readonly kind: 'shuffle'; readonly partitioner: Partitioner; readonly agg: Aggregator }
  /**
   * Folds a partition's grouped new values (`[key, values[]]`) into its previous state block.
   * The result is `{ state, emitted }`: the new state block and, for mapWithState, a one-section
   * block of the mapped records.
   */
  | { readonly kind: 'updateState'; readonly prev: StatePart | null; readonly op: string; readonly update: StateUpdate }
  /**
   * One partition of an incremental window (reduceByKeyAndWindow with an inverse): the previous
   * window's block, minus the panes (per-batch reduced blocks) leaving it, plus those entering.
   * Reads no records from the task's source. The result is `{ state, updated }`.
   */
  | {
      readonly kind: 'mergeWindow';
      readonly prev: SharedArrayBuffer | null;
      readonly entering: readonly SharedArrayBuffer[];
      readonly leaving: readonly SharedArrayBuffer[];
      readonly merge: WindowMerge;
      readonly op: string;
    }
  /** Sort keys of the partition, sorted, thinned to at most `n` evenly spaced (range bounds). */
  | { readonly kind: 'sampleKeys'; readonly n: number; readonly ascending: boolean }
  /** Writes the partition's records, one per line as Python's `str()`, to `dir/part-NNNNN` (saveAsTextFile). */
  | { readonly kind: 'saveText'; readonly dir: string };

/**
 * A byte-level kernel that replaces a stage's narrow operations when the planner recognised them
 * (`src/plan/recognize.ts`); its output is what the generic path gives, record for record.
 * - `splitCount`: lines split on `separator`, each token paired with `value`, summed per token.
 */
export type Kernel = { readonly kind: 'splitCount'; readonly separator: string; readonly value: number };

export interface Task {
  readonly source: SourceDesc;
  readonly ops: readonly NarrowOp[];
  /** Runs instead of `ops` on a `lines` source, when set. */
  readonly kernel?: Kernel;
  readonly sink: SinkDesc;
  /** Index of the partition this task computes (mapPartitionsWithIndex, round-robin start). */
  readonly partition: number;
  /**
   * On a keyed shuffle source: also return the merged partition as a block (`kept`), which later
   * jobs over the same shuffle read instead of merging it again.
   */
  readonly keep?: boolean;
  /**
   * Set by the pool runner: the worker writes `Date.now()` into this Float64 cell when it starts
   * the task, so a task timeout counts from then, not from when the task was queued.
   */
  readonly startedAt?: SharedArrayBuffer;
}

/** What a task sends back; `threadId` shows where it ran (0 is the main thread). */
export type TaskResult =
  | { readonly ok: true; readonly threadId: number; readonly value: unknown; readonly kept?: SharedArrayBuffer }
  | {
      readonly ok: false;
      readonly threadId: number;
      readonly error: ErrorReport;
    };

/** Names of the sinks that are actions, as the user called them. */
const ACTION_NAMES: Partial<Record<SinkDesc['kind'], string>> = {
  collect: 'collect',
  materialize: 'persist',
  count: 'count',
  take: 'take',
  sampleKeys: 'sortBy',
  saveText: 'saveAsTextFile',
};

/**
 * The operator a failure of `task` is blamed on when no operator raised it (a worker that could
 * not send its result, a corrupt source block): its sink's operator, or its last operation's.
 */
export function taskOperator(task: Task): string {
  const sink = task.sink;
  if (sink.kind === 'shuffle') return sink.agg.op;
  if (sink.kind === 'updateState' || sink.kind === 'mergeWindow') return sink.op;
  return task.ops.at(-1)?.op ?? ACTION_NAMES[sink.kind] ?? sink.kind;
}

/**
 * The operators a task runs, as the user wrote them, for errors that cannot tell which one was
 * running (a worker that died or timed out under it): `map`, or `flatMap → map → reduceByKey`.
 */
export function taskOperatorChain(task: Task): string {
  const names = task.ops.map((o) => o.op);
  const sink = task.sink;
  if (sink.kind === 'shuffle') names.push(sink.agg.op);
  else if (sink.kind === 'updateState' || sink.kind === 'mergeWindow') names.push(sink.op);
  else if (sink.kind === 'saveText') names.push(ACTION_NAMES.saveText!);
  if (task.source.kind === 'shuffle' && names.length === 0) names.push(task.source.agg.op);
  const distinct = names.filter((n, i) => names.indexOf(n) === i);
  return distinct.length > 0 ? distinct.join(' → ') : task.sink.kind;
}
