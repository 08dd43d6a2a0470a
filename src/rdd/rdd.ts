import { positiveInteger } from '../check-argument.js';
import { IllegalArgumentError } from '../errors.js';
import { commitTextOutput } from './commit-text-output.js';
import type { Aggregator, NarrowOp } from '../plan/task.js';
import { pairWithOne, sum, underKeyZero } from '../functions.js';
import type { LineageNode } from './lineage.js';
import type { SparkContext } from './spark-context.js';

/** Options every operation that takes a user function accepts. */
export interface FnOptions {
  /**
   * Values the function may use by name when it runs on a worker thread, where only its source
   * travels. Functions in the context are shipped by source too; anything else is copied.
   */
  context?: Record<string, unknown>;
  /**
   * Modules the function uses, bound as its free variables: variable name → `'specifier'` (the
   * module namespace) or `'specifier#export'`, e.g. `{ createHash: 'node:crypto#createHash',
   * z: 'zod#z' }`. Each thread imports a module once, before the first task that needs it; under
   * master `local` the main thread does. Relative and bare specifiers resolve from `importsFrom`.
   */
  imports?: Record<string, string>;
  /** Where `imports` resolve from: pass `import.meta.url`; default the working directory. */
  importsFrom?: string | URL;
}

/** Options of `mapAsync` and `flatMapAsync`. */
export interface AsyncOptions extends FnOptions {
  /** The most calls of the function awaited at once, per task (partition). Default 16. */
  concurrency?: number;
}

const DEFAULT_CONCURRENCY = 16;

/** Options of the operations that shuffle. */
export interface ShuffleOptions extends FnOptions {
  /** Partitions after the shuffle; default: the parent's number of partitions. */
  numPartitions?: number;
}

/** A pair operation's last argument: PySpark's positional `numPartitions`, or options. */
export type PartitionsArg = number | ShuffleOptions | undefined;

/** A {@link PartitionsArg} as options: a number is `{ numPartitions }`. */
export function shuffleOptions(arg: PartitionsArg): ShuffleOptions {
  return typeof arg === 'number' ? { numPartitions: arg } : (arg ?? {});
}

/**
 * A Resilient Distributed Dataset: one batch's data, partitioned, planned lazily and computed on
 * the context's task runner when an action (`collect`, `count`, `take`, …) is awaited.
 *
 * Records are any structured-cloneable values; a pair is a 2-element array `[key, value]`.
 *
 * @example
 * ```ts
 * const sc = new SparkContext({ master: 'local[2]' });
 * const rdd = sc.parallelize(['a b', 'b']).flatMap((l) => l.split(' ')).map((w) => [w, 1]);
 * console.log(await rdd.reduceByKey(add).collect()); // [['a', 1], ['b', 2]]
 * ```
 */
export class RDD<T> {
  /** The context this RDD runs on. */
  readonly context: SparkContext;
  #node: LineageNode;

  /** @internal Use `sc.parallelize` or a DStream's RDDs. */
  constructor(context: SparkContext, node: LineageNode) {
    this.context = context;
    this.#node = node;
  }

  /** @internal The lineage node; the planner's view of this RDD. */
  get node(): LineageNode {
    return this.#node;
  }

  /**
   * Keeps this RDD's partitions, once the first job has computed them, in shared-memory blocks
   * (encoded records, Spark's MEMORY_ONLY_SER), so later jobs on it, and on RDDs derived from it
   * from then on, read them instead of recomputing the lineage. Returns this RDD, as Spark's
   * `persist`.
   */
  persist(): this {
    if (this.#node.kind !== 'persisted') this.#node = { kind: 'persisted', parent: this.#node };
    return this;
  }

  /** Same as {@link RDD.persist}. */
  cache(): this {
    return this.persist();
  }

  /**
   * @internal Whether computing this RDD runs operations (narrow ops, a union or a shuffle) rather
   * than reading what is in shared memory already (an input's batch, state, persisted blocks).
   */
  get isComputed(): boolean {
    return COMPUTED_KINDS.has(this.#node.kind);
  }

  /** Whether {@link RDD.persist} was called (Spark's `is_cached`). */
  get isCached(): boolean {
    return this.#node.kind === 'persisted';
  }

  /** Forgets the persisted partitions: later jobs compute the lineage again. */
  unpersist(): this {
    if (this.#node.kind === 'persisted') this.#node = this.#node.parent;
    return this;
  }

  #narrow<U>(op: NarrowOp): RDD<U> {
    return new RDD<U>(this.context, { kind: 'narrow', parent: this.node, ops: [op] });
  }

  #fn(fn: (...args: any[]) => any, op: string, opts?: FnOptions) {
    return this.context.prepareFunction(fn, op, opts?.context, opts);
  }

  // ---- narrow transformations ----

  /** Applies `fn` to every record. A function returning `[k, v]` gives a pair RDD. */
  map<K, V>(fn: (x: T) => [K, V], opts?: FnOptions): RDD<[K, V]>;
  map<U>(fn: (x: T) => U, opts?: FnOptions): RDD<U>;
  map<U>(fn: (x: T) => U, opts?: FnOptions): RDD<U> {
    return this.#narrow({ kind: 'map', fn: this.#fn(fn, 'map', opts), op: 'map' });
  }

  /**
   * Applies an `async` function (or one returning a Promise) to every record and awaits it, at
   * most `concurrency` calls at a time in each partition; results keep the records' order. The
   * other operators call their functions synchronously and refuse an `async` one
   * (`CHISPA_ERR_ASYNC_FUNCTION`). A partition is held in memory while its calls are awaited.
   *
   * @example
   * ```ts
   * const users = ids.mapAsync(async (id) => (await fetch(`http://127.0.0.1:8080/u/${id}`)).json(), { concurrency: 8 });
   * ```
   */
  mapAsync<U>(fn: (x: T) => Promise<U> | U, opts?: AsyncOptions): RDD<U> {
    return this.#narrow(awaitedOp(this.context, fn, 'mapAsync', false, opts));
  }

  /** As {@link RDD.mapAsync}, for a function whose awaited result is an iterable to flatten. */
  flatMapAsync<U>(fn: (x: T) => Promise<Iterable<U>> | Iterable<U>, opts?: AsyncOptions): RDD<U> {
    return this.#narrow(awaitedOp(this.context, fn, 'flatMapAsync', true, opts));
  }

  /** Applies `fn` to every record and flattens the iterables it returns. */
  flatMap<U>(fn: (x: T) => Iterable<U>, opts?: FnOptions): RDD<U> {
    return this.#narrow({ kind: 'flatMap', fn: this.#fn(fn, 'flatMap', opts), op: 'flatMap' });
  }

  /** Keeps the records for which `fn` is truthy. */
  filter(fn: (x: T) => unknown, opts?: FnOptions): RDD<T> {
    return this.#narrow({ kind: 'filter', fn: this.#fn(fn, 'filter', opts), op: 'filter' });
  }

  /** Applies `fn` to each partition's records (an iterable) at once. */
  mapPartitions<U>(fn: (records: Iterable<T>) => Iterable<U>, opts?: FnOptions): RDD<U> {
    return this.#narrow({ kind: 'mapPartitions', fn: this.#fn(fn, 'mapPartitions', opts), op: 'mapPartitions', withIndex: false });
  }

  /** As `mapPartitions`, with the partition's index first. */
  mapPartitionsWithIndex<U>(fn: (index: number, records: Iterable<T>) => Iterable<U>, opts?: FnOptions): RDD<U> {
    const op = 'mapPartitionsWithIndex';
    return this.#narrow({ kind: 'mapPartitions', fn: this.#fn(fn, op, opts), op, withIndex: true });
  }

  /** Each partition becomes one record: the array of its records. */
  glom(): RDD<T[]> {
    return this.#narrow({ kind: 'glom', op: 'glom' });
  }

  /** Pairs each record with a key computed from it: `[fn(x), x]`. */
  keyBy<K>(fn: (x: T) => K, opts?: FnOptions): RDD<[K, T]> {
    return this.#narrow({ kind: 'keyBy', fn: this.#fn(fn, 'keyBy', opts), op: 'keyBy' });
  }

  /** The records of both RDDs; partitions are concatenated, nothing moves. */
  union(other: RDD<T>): RDD<T> {
    return new RDD<T>(this.context, { kind: 'union', parents: [this.node, other.node] });
  }

  /** Redistributes the records evenly over `numPartitions` partitions (a shuffle). */
  repartition(numPartitions: number): RDD<T> {
    return this.#shuffle({ kind: 'none', op: 'repartition' }, positiveInteger(numPartitions, 'repartition: numPartitions'), 'roundRobin');
  }

  /** Sorts by `fn(record)`, range-partitioned so that partition order is sort order. */
  sortBy<K>(fn: (x: T) => K, ascending = true, numPartitions?: PartitionsArg): RDD<T> {
    const o = shuffleOptions(numPartitions);
    const keyed = this.#narrow<[K, T]>({ kind: 'keyBy', fn: this.#fn(fn, 'sortBy', o), op: 'sortBy' });
    return keyed.#shuffle({ kind: 'sort', ascending, op: 'sortBy' }, o.numPartitions ?? null, 'range');
  }

  // ---- pair transformations (records are [key, value]) ----

  /** Merges the values of each key with an associative, commutative `fn`, combining map-side first. */
  reduceByKey<K, V>(this: RDD<[K, V]>, fn: (a: V, b: V) => V, numPartitions?: PartitionsArg): RDD<[K, V]> {
    return this.reduceByKeyAs(fn, numPartitions, 'reduceByKey');
  }

  /** @internal reduceByKey under another operator's name (`reduce` is built on it). */
  reduceByKeyAs<K, V>(this: RDD<[K, V]>, fn: (a: V, b: V) => V, numPartitions: PartitionsArg, op: string): RDD<[K, V]> {
    const o = shuffleOptions(numPartitions);
    const merge = this.#fn(fn, op, o);
    return this.#shuffle({ kind: 'combine', merge, mergeCombiners: merge, op }, o.numPartitions ?? null, 'hash');
  }

  /** Groups the values of each key into an array. */
  groupByKey<K, V>(this: RDD<[K, V]>, numPartitions?: PartitionsArg): RDD<[K, V[]]> {
    return this.#shuffle({ kind: 'group', op: 'groupByKey' }, shuffleOptions(numPartitions).numPartitions ?? null, 'hash');
  }

  /** Spark's generic per-key aggregation: `createCombiner`, `mergeValue`, `mergeCombiners`. */
  combineByKey<K, V, C>(
    this: RDD<[K, V]>,
    createCombiner: (v: V) => C,
    mergeValue: (c: C, v: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    numPartitions?: PartitionsArg,
  ): RDD<[K, C]> {
    const o = shuffleOptions(numPartitions);
    const op = 'combineByKey';
    const agg: Aggregator = {
      kind: 'combine',
      create: this.#fn(createCombiner, op, o),
      merge: this.#fn(mergeValue, op, o),
      mergeCombiners: this.#fn(mergeCombiners, op, o),
      op,
    };
    return this.#shuffle(agg, o.numPartitions ?? null, 'hash');
  }

  /** Applies `fn` to each value, keeping the key. */
  mapValues<K, V, U>(this: RDD<[K, V]>, fn: (v: V) => U, opts?: FnOptions): RDD<[K, U]> {
    return this.#narrow({ kind: 'mapValues', fn: this.#fn(fn, 'mapValues', opts), op: 'mapValues' });
  }

  /** Applies `fn` to each value and pairs the key with every element it returns. */
  flatMapValues<K, V, U>(this: RDD<[K, V]>, fn: (v: V) => Iterable<U>, opts?: FnOptions): RDD<[K, U]> {
    return this.#narrow({ kind: 'flatMapValues', fn: this.#fn(fn, 'flatMapValues', opts), op: 'flatMapValues' });
  }

  /** For each key, the array of its values in this RDD and the array in `other`. */
  cogroup<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: PartitionsArg): RDD<[K, [V[], W[]]]> {
    return this.#cogroup(other, numPartitions, 'cogroup');
  }

  /** Inner join: `[k, [v, w]]` for every pair of values of a key present in both. */
  join<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: PartitionsArg): RDD<[K, [V, W]]> {
    return this.#joined(other, numPartitions, 'inner', 'join');
  }

  /** Left outer join; a key missing from `other` gives `[k, [v, null]]`. */
  leftOuterJoin<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: PartitionsArg): RDD<[K, [V, W | null]]> {
    return this.#joined(other, numPartitions, 'left', 'leftOuterJoin');
  }

  /** Right outer join; a key missing from this RDD gives `[k, [null, w]]`. */
  rightOuterJoin<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: PartitionsArg): RDD<[K, [V | null, W]]> {
    return this.#joined(other, numPartitions, 'right', 'rightOuterJoin');
  }

  /** Full outer join; the missing side is `null`. */
  fullOuterJoin<K, V, W>(this: RDD<[K, V]>, other: RDD<[K, W]>, numPartitions?: PartitionsArg): RDD<[K, [V | null, W | null]]> {
    return this.#joined(other, numPartitions, 'full', 'fullOuterJoin');
  }

  #cogroup<U>(other: RDD<unknown>, numPartitions: PartitionsArg, op: string): RDD<U> {
    const tag = (node: LineageNode, side: number): LineageNode => ({ kind: 'narrow', parent: node, ops: [{ kind: 'tagSide', side, sides: 2, op }] });
    const tagged = new RDD<unknown>(this.context, { kind: 'union', parents: [tag(this.node, 0), tag(other.node, 1)] });
    return tagged.#shuffle({ kind: 'cogroup', sides: 2, op }, shuffleOptions(numPartitions).numPartitions ?? null, 'hash');
  }

  #joined<U>(other: RDD<unknown>, numPartitions: PartitionsArg, join: 'inner' | 'left' | 'right' | 'full', op: string): RDD<U> {
    return this.#cogroup<unknown>(other, numPartitions, op).#narrow({ kind: 'joinRows', join, op });
  }

  /** A shuffle to `partitions` partitions; null keeps the parent's count, as Spark's default partitioner. */
  #shuffle<U>(agg: Aggregator, partitions: number | null, partitioner: 'hash' | 'roundRobin' | 'range'): RDD<U> {
    return new RDD<U>(this.context, { kind: 'shuffle', parent: this.node, agg, partitions, partitioner });
  }

  // ---- actions ----

  /** All records, in partition order. */
  async collect(): Promise<T[]> {
    return ((await this.context.scheduler.runJob(this.node, { kind: 'collect' })) as T[][]).flat();
  }

  /** Number of records. */
  async count(): Promise<number> {
    return ((await this.context.scheduler.runJob(this.node, { kind: 'count' })) as number[]).reduce((a, b) => a + b, 0);
  }

  /**
   * The first `n` records. As in Spark, it reads one partition first and more only if needed,
   * so `pprint` on a large batch does not compute all of it.
   */
  async take(n: number): Promise<T[]> {
    const out: T[] = [];
    if (n <= 0) return out;
    const total = await this.getNumPartitions();
    let scanned = 0;
    while (out.length < n && scanned < total) {
      const tryCount = scanned === 0 ? 1 : Math.min(total - scanned, scanned * 4);
      const from = scanned;
      const parts = (await this.context.scheduler.runJob(this.node, { kind: 'take', n: n - out.length }, () =>
        Array.from({ length: tryCount }, (_, i) => from + i),
      )) as T[][];
      for (const p of parts) for (const x of p) if (out.length < n) out.push(x);
      scanned += tryCount;
    }
    return out;
  }

  /** The first record; throws on an empty RDD, as Spark does. */
  async first(): Promise<T> {
    const [x] = await this.take(1);
    if (x === undefined && (await this.isEmpty())) throw new IllegalArgumentError('RDD is empty');
    return x;
  }

  async isEmpty(): Promise<boolean> {
    return (await this.take(1)).length === 0;
  }

  /** Reduces all records with an associative, commutative `fn`; throws on an empty RDD. */
  async reduce(fn: (a: T, b: T) => T, opts?: FnOptions): Promise<T> {
    // As Spark's DStream.reduce: one key, combined map-side in every partition, then once more.
    const single = this.map(underKeyZero).reduceByKeyAs(fn, { ...opts, numPartitions: 1 }, 'reduce');
    const [pair] = await single.collect();
    if (pair === undefined) throw new IllegalArgumentError('Can not reduce() empty RDD');
    return pair[1];
  }

  /** Counts each distinct record: a Map from record to count (compound records by value). */
  async countByValue(): Promise<Map<T, number>> {
    const pairs = await this.map(pairWithOne).reduceByKey(sum).collect();
    return new Map(pairs as [T, number][]);
  }

  async getNumPartitions(): Promise<number> {
    return this.context.scheduler.numPartitions(this.node);
  }

  /**
   * Saves the records as text under the directory `path`, as PySpark's `saveAsTextFile`: one
   * file per partition, `part-00000`, `part-00001`, …, written by that partition's task (on a
   * worker thread under `local[N]`), each record on its own line as Python's `str()` shows it (a
   * string as is; a pair as `('a', 1)`), plus an empty `_SUCCESS`. The parts are written into a
   * hidden temporary sibling directory that is renamed to `path` once all are done, so `path`
   * appears complete or not at all; an existing `path` is replaced whole (unlike Spark, which
   * refuses), so re-running a batch leaves no duplicate or stale parts.
   *
   * @example
   * ```ts
   * await sc.parallelize(['a b', 'b']).flatMap((l) => l.split(' ')).map((w) => [w, 1]).reduceByKey(add)
   *   .saveAsTextFile('/tmp/counts'); // /tmp/counts/part-00000: ('a', 1) …, /tmp/counts/_SUCCESS
   * ```
   */
  async saveAsTextFile(path: string): Promise<void> {
    await commitTextOutput(path, (dir) => this.context.scheduler.runJob(this.node, { kind: 'saveText', dir }));
  }
}

const COMPUTED_KINDS: ReadonlySet<LineageNode['kind']> = new Set(['narrow', 'union', 'shuffle']);

/** The lineage operation of `mapAsync` / `flatMapAsync`, validated now. */
function awaitedOp(sc: SparkContext, fn: (x: any) => unknown, op: string, flat: boolean, opts?: AsyncOptions): NarrowOp {
  const concurrency = positiveInteger(opts?.concurrency ?? DEFAULT_CONCURRENCY, 'concurrency', op);
  return { kind: 'mapAsync', fn: sc.prepareFunction(fn, op, opts?.context, { async: true }), op, flat, concurrency };
}

/** Records given as an array are parallelized; an RDD is used as it is (queueStream, initial state). */
export function asRDD<T>(sc: SparkContext, items: RDD<T> | readonly T[]): RDD<T> {
  return items instanceof RDD ? items : sc.parallelize(items);
}
