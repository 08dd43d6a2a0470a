import { positiveInteger } from '../check-argument.js';
import { IllegalArgumentError, IllegalStateError } from '../errors.js';
import { one, pairValue, pairWithOne, partitionSize, positiveValue, subtract, sum, underKeyZero } from '../functions.js';
import { shuffleOptions, type AsyncOptions, type FnOptions, type PartitionsArg, type RDD } from '../rdd/rdd.js';
import { formatPprint } from './pprint.js';
import { mapWithStateConfig, statePartitions, updateStateConfig } from './state-config.js';
import { incrementalWindow, windowDurations } from './window-config.js';
import type { MapWithStateDStream, UpdateStateOptions } from './state-dstream.js';
import type { StateSpec } from './state-spec.js';
import type { StreamingContext } from './streaming-context.js';

/** A function run on the driver for every batch's RDD; `time` is the batch time in epoch ms. */
export type ForeachRDDFunction<T> = (rdd: RDD<T>, time: number) => void | Promise<void>;

/**
 * A discretized stream: a sequence of RDDs, one per batch interval. Transformations describe how
 * each batch's RDD derives from its parents' RDDs of the same batch time; output operations
 * (`pprint`, `foreachRDD`) register the jobs that run each batch.
 *
 * User functions given to transformations are checked when the transformation is defined: on a
 * worker pool they travel by source, so a function that captures a variable fails here with a
 * `ClosureCaptureError` naming it, not later in a worker.
 *
 * @example
 * ```ts
 * const counts = lines.flatMap((line) => line.split(' ')).map((word) => [word, 1]).reduceByKey(add);
 * counts.pprint();
 * ```
 */
export abstract class DStream<T> {
  /** The streaming context this stream belongs to. */
  readonly ssc: StreamingContext;
  readonly #generated = new Map<number, RDD<T> | undefined>();
  /** Batches at or before this time were forgotten: never computed again (an input would re-cut). */
  #forgottenThrough = Number.NEGATIVE_INFINITY;
  #name: string | undefined;
  /** @internal How long this stream keeps each batch's RDD, in ms; set by the context at start. */
  rememberMs = 0;
  #persist = false;
  #checkpointMs: number | undefined;
  /** The stateful stream this one shows (countByWindow's counts): `name` and `checkpoint` go to it too. */
  #stateOf: DStream<unknown> | undefined;

  /** @internal */
  constructor(ssc: StreamingContext) {
    ssc.assertDefinable();
    this.ssc = ssc;
    ssc.graph.register(this as DStream<unknown>);
  }

  /** @internal The RDD of batch `time`; undefined when this stream has no data then. */
  protected abstract compute(time: number): RDD<T> | undefined;

  /** @internal The streams this one reads; the graph releases their batches in order. */
  abstract readonly parents: readonly DStream<unknown>[];

  /**
   * Names this stream. A stateful stream's name is the stable id its state is checkpointed under:
   * name it, and a checkpoint survives reordering the program's stateful operators; rename it,
   * and recovery reports the old name as state nobody claims.
   */
  name(id: string): this {
    this.ssc.assertDefinable();
    if (typeof id !== 'string' || id === '') throw new IllegalArgumentError('name: expected a non-empty string');
    this.#name = id;
    this.#stateOf?.name(id);
    return this;
  }

  /** @internal The name given with `name()`, if any. */
  get givenName(): string | undefined {
    return this.#name;
  }

  /**
   * Sets how often a stateful stream's state is checkpointed, in seconds (a multiple of the batch
   * interval). Default: the smallest multiple of the batch interval that is at least 10 s.
   */
  checkpoint(interval: number): this {
    this.ssc.assertDefinable();
    const ms = Math.round(interval * 1000);
    if (!(ms > 0) || ms % this.ssc.batchDurationMs !== 0) {
      throw new IllegalArgumentError(
        `checkpoint interval ${interval} s must be a positive multiple of the batch interval ${this.ssc.batchDurationMs / 1000} s`,
      );
    }
    this.#checkpointMs = ms;
    this.#stateOf?.checkpoint(interval);
    return this;
  }

  /** @internal The checkpoint interval set with `checkpoint()`, if any. */
  get checkpointIntervalMs(): number | undefined {
    return this.#checkpointMs;
  }

  /**
   * Persists every batch's RDD (see {@link RDD.persist}): computed once by the first job that needs
   * it, then read from shared memory by every later job and window that holds the batch.
   */
  persist(): this {
    this.ssc.assertDefinable();
    this.#persist = true;
    return this;
  }

  /** Same as {@link DStream.persist}. */
  cache(): this {
    return this.persist();
  }

  /** The time between this stream's RDDs, in ms: its parent's (the batch interval), or a window's slide. */
  get slideDurationMs(): number {
    return this.parents[0]?.slideDurationMs ?? this.ssc.batchDurationMs;
  }

  /** @internal How far back before its own batch this stream reads its parents' RDDs, in ms (a window's length). */
  get parentRememberMs(): number {
    return 0;
  }

  /**
   * @internal Whether this stream has an RDD at `time`, as Spark's `DStream.isTimeValid`: after the
   * context's zero time by a multiple of this stream's slide. Batches before the first one this
   * run generates are not valid either: chispa does not recompute what ran before a restart.
   */
  isTimeValid(time: number): boolean {
    const zero = this.ssc.zeroTime;
    const first = this.ssc.firstBatchTime;
    if (zero === undefined || first === undefined) return false;
    return time > zero && time >= first && (time - zero) % this.slideDurationMs === 0;
  }

  /**
   * @internal Each batch's RDD is computed once, however many streams derive from it; undefined
   * at times that are not this stream's (before the first batch, between slides) or forgotten.
   */
  getOrCompute(time: number): RDD<T> | undefined {
    if (!this.#generated.has(time)) {
      if (time <= this.#forgottenThrough || !this.isTimeValid(time)) return undefined;
      const rdd = this.compute(time);
      // What is in shared memory already (keyed state, a window's merge, an input's batch) is read as
      // it is: wrapping it would hide the node the state commit runs from the job that reads it.
      this.#generated.set(time, this.#persist && rdd?.isComputed ? rdd.persist() : rdd);
    }
    return this.#generated.get(time);
  }

  /** @internal Forgets RDDs of batches at or before `time`. */
  clearBefore(time: number): void {
    this.#forgottenThrough = Math.max(this.#forgottenThrough, time);
    for (const t of this.#generated.keys()) if (t <= time) this.#generated.delete(t);
  }

  /**
   * The RDDs of this stream from `from` to `to` (epoch ms or Dates, both included, aligned down to
   * the slide counted from the zero time), as Spark's `slice`: only batches the context still
   * remembers (see `StreamingContext.remember`) and that had data. Call it once the context has
   * started.
   */
  slice(from: number | Date, to: number | Date): RDD<T>[] {
    if (this.ssc.firstBatchTime === undefined) throw new IllegalStateError('slice: the streaming context has not been started');
    const step = this.slideDurationMs;
    const zero = this.ssc.zeroTime!;
    const align = (t: number | Date) => zero + Math.floor((Number(t) - zero) / step) * step;
    const rdds: RDD<T>[] = [];
    for (let t = align(from); t <= align(to); t += step) {
      const rdd = this.getOrCompute(t);
      if (rdd) rdds.push(rdd);
    }
    return rdds;
  }

  #derive<U>(op: string, fn: (rdd: RDD<T>, time: number) => RDD<U>): DStream<U> {
    return this.ssc.graph.transformed<U>(op, [this as DStream<unknown>], ([rdd], time) => fn(rdd as RDD<T>, time));
  }

  /** Validates `fn` now (closure capture on a worker pool), so errors surface at definition. */
  #check(fn: (...args: any[]) => any, op: string, opts?: FnOptions): void {
    this.ssc.sparkContext.prepareFunction(fn, op, opts?.context, opts);
  }

  // ---- transformations ----

  map<K, V>(fn: (x: T) => [K, V], opts?: FnOptions): DStream<[K, V]>;
  map<U>(fn: (x: T) => U, opts?: FnOptions): DStream<U>;
  map<U>(fn: (x: T) => U, opts?: FnOptions): DStream<U> {
    this.#check(fn, 'map', opts);
    return this.#derive('map', (rdd) => rdd.map(fn, opts));
  }

  /** {@link RDD.mapAsync} on every batch: an `async` function awaited, `concurrency` calls at a time per partition. */
  mapAsync<U>(fn: (x: T) => Promise<U> | U, opts?: AsyncOptions): DStream<U> {
    this.ssc.sparkContext.prepareFunction(fn, 'mapAsync', opts?.context, { async: true });
    return this.#derive('mapAsync', (rdd) => rdd.mapAsync(fn, opts));
  }

  /** {@link RDD.flatMapAsync} on every batch. */
  flatMapAsync<U>(fn: (x: T) => Promise<Iterable<U>> | Iterable<U>, opts?: AsyncOptions): DStream<U> {
    this.ssc.sparkContext.prepareFunction(fn, 'flatMapAsync', opts?.context, { async: true });
    return this.#derive('flatMapAsync', (rdd) => rdd.flatMapAsync(fn, opts));
  }

  flatMap<U>(fn: (x: T) => Iterable<U>, opts?: FnOptions): DStream<U> {
    this.#check(fn, 'flatMap', opts);
    return this.#derive('flatMap', (rdd) => rdd.flatMap(fn, opts));
  }

  filter(fn: (x: T) => unknown, opts?: FnOptions): DStream<T> {
    this.#check(fn, 'filter', opts);
    return this.#derive('filter', (rdd) => rdd.filter(fn, opts));
  }

  mapPartitions<U>(fn: (records: Iterable<T>) => Iterable<U>, opts?: FnOptions): DStream<U> {
    this.#check(fn, 'mapPartitions', opts);
    return this.#derive('mapPartitions', (rdd) => rdd.mapPartitions(fn, opts));
  }

  /** Each partition of each batch becomes one array. */
  glom(): DStream<T[]> {
    return this.#derive('glom', (rdd) => rdd.glom());
  }

  repartition(numPartitions: number): DStream<T> {
    positiveInteger(numPartitions, 'repartition: numPartitions');
    return this.#derive('repartition', (rdd) => rdd.repartition(numPartitions));
  }

  /** The records of this stream and `other`, batch by batch. */
  union(other: DStream<T>): DStream<T> {
    return this.ssc.graph.transformed<T>('union', [this as DStream<unknown>, other as DStream<unknown>], ([a, b]) => (a as RDD<T>).union(b as RDD<T>));
  }

  /** One record per batch: how many records the batch had (0 for an empty batch). */
  count(): DStream<number> {
    return this.#derive('count', (rdd) => countRDD(rdd));
  }

  /** `[value, count]` for each distinct record of each batch. */
  countByValue(numPartitions?: PartitionsArg): DStream<[T, number]> {
    return this.#derive('countByValue', (rdd) => rdd.map(pairWithOne).reduceByKeyAs(sum, numPartitions, 'countByValue'));
  }

  /** One record per non-empty batch: its records reduced with `fn`. */
  reduce(fn: (a: T, b: T) => T, opts?: FnOptions): DStream<T> {
    this.#check(fn, 'reduce', opts);
    return this.#derive('reduce', (rdd) => rdd.map(underKeyZero).reduceByKeyAs(fn, { ...opts, numPartitions: 1 }, 'reduce').map(pairValue));
  }

  /** Any RDD-to-RDD function, run on the driver when each batch is generated. */
  transform<U>(fn: (rdd: RDD<T>, time: number) => RDD<U>): DStream<U> {
    return this.#derive('transform', fn);
  }

  /** Combines this stream's and `other`'s RDDs of each batch. */
  transformWith<U, R>(other: DStream<U>, fn: (a: RDD<T>, b: RDD<U>, time: number) => RDD<R>): DStream<R> {
    return this.ssc.graph.transformed<R>('transformWith', [this as DStream<unknown>, other as DStream<unknown>], ([a, b], time) => fn(a as RDD<T>, b as RDD<U>, time));
  }

  // ---- pair transformations ----

  reduceByKey<K, V>(this: DStream<[K, V]>, fn: (a: V, b: V) => V, numPartitions?: PartitionsArg): DStream<[K, V]> {
    this.#check(fn, 'reduceByKey', shuffleOptions(numPartitions));
    return this.#derive('reduceByKey', (rdd) => rdd.reduceByKey(fn, numPartitions));
  }

  groupByKey<K, V>(this: DStream<[K, V]>, numPartitions?: PartitionsArg): DStream<[K, V[]]> {
    return this.#derive('groupByKey', (rdd) => rdd.groupByKey(numPartitions));
  }

  combineByKey<K, V, C>(
    this: DStream<[K, V]>,
    createCombiner: (v: V) => C,
    mergeValue: (c: C, v: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    numPartitions?: PartitionsArg,
  ): DStream<[K, C]> {
    for (const f of [createCombiner, mergeValue, mergeCombiners]) this.#check(f, 'combineByKey', shuffleOptions(numPartitions));
    return this.#derive('combineByKey', (rdd) => rdd.combineByKey(createCombiner, mergeValue, mergeCombiners, numPartitions));
  }

  mapValues<K, V, U>(this: DStream<[K, V]>, fn: (v: V) => U, opts?: FnOptions): DStream<[K, U]> {
    this.#check(fn, 'mapValues', opts);
    return this.#derive('mapValues', (rdd) => rdd.mapValues(fn, opts));
  }

  flatMapValues<K, V, U>(this: DStream<[K, V]>, fn: (v: V) => Iterable<U>, opts?: FnOptions): DStream<[K, U]> {
    this.#check(fn, 'flatMapValues', opts);
    return this.#derive('flatMapValues', (rdd) => rdd.flatMapValues(fn, opts));
  }

  cogroup<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: PartitionsArg): DStream<[K, [V[], W[]]]> {
    return this.transformWith(other, (a, b) => a.cogroup(b, numPartitions));
  }

  join<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: PartitionsArg): DStream<[K, [V, W]]> {
    return this.transformWith(other, (a, b) => a.join(b, numPartitions));
  }

  leftOuterJoin<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: PartitionsArg): DStream<[K, [V, W | null]]> {
    return this.transformWith(other, (a, b) => a.leftOuterJoin(b, numPartitions));
  }

  rightOuterJoin<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: PartitionsArg): DStream<[K, [V | null, W]]> {
    return this.transformWith(other, (a, b) => a.rightOuterJoin(b, numPartitions));
  }

  fullOuterJoin<K, V, W>(this: DStream<[K, V]>, other: DStream<[K, W]>, numPartitions?: PartitionsArg): DStream<[K, [V | null, W | null]]> {
    return this.transformWith(other, (a, b) => a.fullOuterJoin(b, numPartitions));
  }

  // ---- windows ----

  /**
   * Spark's `window`: the RDD at batch time t holds the records of this stream's batches in
   * (t − windowDuration, t]; one comes every `slideDuration` seconds (default: this stream's
   * slide), counted from the context's zero time (the first batch time − the batch interval).
   * Windows before the stream has run a whole window are partial. Both durations must be
   * multiples of this stream's slide duration.
   *
   * @example
   * ```ts
   * lines.window(30, 10).count().pprint(); // every 10 s: the lines of the last 30 s
   * ```
   */
  window(windowDuration: number, slideDuration?: number): DStream<T> {
    const { windowMs, slideMs } = windowDurations('window', this.slideDurationMs, windowDuration, slideDuration);
    return this.ssc.graph.windowed<T>(this as DStream<unknown>, windowMs, slideMs);
  }

  /**
   * How many records each window holds, maintained incrementally (needs `ssc.checkpoint(dir)`);
   * `name()` and `checkpoint()` on the result name and time the window's checkpointed state.
   */
  countByWindow(windowDuration: number, slideDuration: number): DStream<number> {
    return this.map(one).reduceByWindow(sum, subtract, windowDuration, slideDuration);
  }

  /**
   * Each window's records reduced with `fn`. With `invFn` (the inverse of `fn`: `invFn(fn(a, b), b)
   * = a`) the result is maintained incrementally and needs `ssc.checkpoint(dir)`; `name()` and
   * `checkpoint()` on it then name and time the window's checkpointed state.
   */
  reduceByWindow(fn: (a: T, b: T) => T, invFn: ((a: T, b: T) => T) | null, windowDuration: number, slideDuration: number): DStream<T> {
    if (!invFn) return this.reduce(fn).window(windowDuration, slideDuration).reduce(fn);
    const window = this.map(underKeyZero).reduceByKeyAndWindow(fn, invFn, windowDuration, slideDuration, 1);
    const values = window.map(pairValue);
    // The values are what the program holds: naming it, or setting its checkpoint interval, is
    // naming and timing the window's state.
    values.#stateOf = window as DStream<unknown>;
    return values;
  }

  /**
   * Spark's `reduceByKeyAndWindow`: each window's values reduced per key. Without `invFn` every
   * window is reduced from its batches' per-key results. With `invFn` (the inverse of `fn`) the
   * window is kept in the partitioned state store and updated every slide from the batches that
   * enter and leave it, whatever its length; it then needs `ssc.checkpoint(dir)`, and `filterFn`
   * decides which `[key, value]` pairs stay (drop the keys whose value is back to neutral).
   *
   * @example
   * ```ts
   * ssc.checkpoint('/tmp/cp');
   * pairs.reduceByKeyAndWindow(add, (a, b) => a - b, 30, 10, undefined, ([, n]) => n > 0).pprint();
   * ```
   */
  reduceByKeyAndWindow<K, V>(
    this: DStream<[K, V]>,
    fn: (a: V, b: V) => V,
    invFn: ((a: V, b: V) => V) | null,
    windowDuration: number,
    slideDuration?: number,
    numPartitions?: PartitionsArg,
    filterFn?: (pair: [K, V]) => unknown,
  ): DStream<[K, V]> {
    const op = 'reduceByKeyAndWindow';
    const durations = windowDurations(op, this.slideDurationMs, windowDuration, slideDuration);
    const o = typeof numPartitions === 'object' ? numPartitions : {};
    const partitions = statePartitions(op, typeof numPartitions === 'number' ? numPartitions : o.numPartitions, this.ssc.sparkContext.defaultParallelism);
    if (!invFn) {
      const shuffle = { ...o, numPartitions: partitions };
      const windowed = this.reduceByKey(fn, shuffle).window(windowDuration, slideDuration).reduceByKey(fn, shuffle);
      return filterFn ? windowed.filter(filterFn, o) : windowed;
    }
    const config = incrementalWindow(this.ssc.sparkContext, durations, partitions, { reduce: fn, inverse: invFn, filter: filterFn }, o);
    return this.ssc.graph.reducedWindow<K, V>(this as DStream<unknown>, config);
  }

  /** `[value, count]` for every distinct record of each window with a count above 0, maintained incrementally (needs `ssc.checkpoint(dir)`). */
  countByValueAndWindow(windowDuration: number, slideDuration: number, numPartitions?: PartitionsArg): DStream<[T, number]> {
    return this.map(pairWithOne).reduceByKeyAndWindow(sum, subtract, windowDuration, slideDuration, numPartitions, positiveValue);
  }

  /** `[key, values]` for every key of each window, grouped from the window's batches. */
  groupByKeyAndWindow<K, V>(this: DStream<[K, V]>, windowDuration: number, slideDuration: number, numPartitions?: PartitionsArg): DStream<[K, V[]]> {
    return this.window(windowDuration, slideDuration).groupByKey(numPartitions);
  }

  // ---- stateful transformations ----

  /**
   * Keeps a state per key across batches, as PySpark's `updateStateByKey`: every batch,
   * `updateFn(newValues, lastState)` is called for every key that has state or new values (with
   * `[]` when none arrived, `null` when there is no state yet); returning `null` or `undefined`
   * removes the key. Each batch's RDD is the whole state. Needs `ssc.checkpoint(dir)`.
   *
   * @example
   * ```ts
   * ssc.checkpoint('/tmp/cpdir');
   * const updateFunc = (newValues: number[], lastSum: number | null) =>
   *   newValues.reduce((a, b) => a + b, 0) + (lastSum ?? 0);
   * lines.flatMap((l) => l.split(' ')).map((w) => [w, 1]).updateStateByKey(updateFunc).pprint();
   * ```
   */
  updateStateByKey<K, V, S>(
    this: DStream<[K, V]>,
    updateFn: (newValues: V[], lastState: S | null) => S | null | undefined,
    opts: UpdateStateOptions<K, S> = {},
  ): DStream<[K, S]> {
    return this.ssc.graph.state<K, S>(this as DStream<unknown>, updateStateConfig(this.ssc.sparkContext, updateFn, opts));
  }

  /**
   * Spark's mapWithState: `fn(key, value, state)` is called once per new record of a key (each
   * call sees the state the previous one left) and once for each key whose state times out; keys
   * without data cost no call. The stream holds what `fn` returned; `stateSnapshots()` the state.
   * Needs `ssc.checkpoint(dir)`.
   */
  mapWithState<K, V, S, U>(this: DStream<[K, V]>, spec: StateSpec<K, V, S, U>): MapWithStateDStream<K, S, U> {
    const state = this.ssc.graph.state<K, [S, number]>(this as DStream<unknown>, mapWithStateConfig(this.ssc.sparkContext, spec));
    return this.ssc.graph.mappedState<K, S, U>(state);
  }

  // ---- output operations ----

  /** Runs `fn` on the driver with every batch's RDD; a returned Promise is awaited. */
  foreachRDD(fn: ForeachRDDFunction<T>): void {
    this.#output(fn, 'foreachRDD');
  }

  /** Registers an output operation, named for listeners and the UI. */
  #output(fn: ForeachRDDFunction<T>, name: string): void {
    this.ssc.assertDefinable();
    this.ssc.graph.addOutput(this as DStream<unknown>, fn as ForeachRDDFunction<unknown>, name);
  }

  /** Prints the first `num` records of every batch, as PySpark's `pprint`. */
  pprint(num = 10): void {
    this.#output(async (rdd, time) => {
      const records = await rdd.take(num + 1);
      process.stdout.write(formatPprint(time, records, num));
    }, 'pprint');
  }

  /**
   * Saves every batch as text, as Spark's `saveAsTextFiles`: the RDD of batch time `t` (epoch ms)
   * goes to the directory `prefix-t`, or `prefix-t.suffix` with a suffix, through
   * {@link RDD.saveAsTextFile} (part files, one record per line as Python's `str()`, and
   * `_SUCCESS`; an empty batch still gets its directory). Re-running a batch replaces its
   * directory whole.
   *
   * @example
   * ```ts
   * counts.saveAsTextFiles('/tmp/out/counts', 'txt'); // /tmp/out/counts-1700000005000.txt/part-00000, …
   * ```
   */
  saveAsTextFiles(prefix: string, suffix?: string): void {
    this.#output((rdd, time) => rdd.saveAsTextFile(suffix ? `${prefix}-${time}.${suffix}` : `${prefix}-${time}`), 'saveAsTextFiles');
  }
}

/** Spark's DStream.count: per-partition counts, plus a 0 so an empty batch counts 0. */
function countRDD<T>(rdd: RDD<T>): RDD<number> {
  const sizes = rdd.mapPartitions(partitionSize).union(rdd.context.parallelize([0], 1));
  return sizes.map(underKeyZero).reduceByKeyAs(sum, 1, 'count').map(pairValue);
}
