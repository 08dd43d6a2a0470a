import { availableParallelism } from 'node:os';
import { positiveInteger } from '../check-argument.js';
import { AsyncFunctionError, IllegalArgumentError, IllegalStateError } from '../errors.js';
import { InProcessRunner, PoolRunner, type PoolLimits, type TaskRunner } from '../exec/task-runner.js';
import { add } from '../functions.js';
import { setLogLevel } from '../log.js';
import { parallelizeBlock } from '../memory/partitioned-block.js';
import { compileFunction, isAsyncFunction, shipFunction, usesModules, type ImportOptions, type ShippedFunction } from '../plan/ship.js';
import type { FnRef } from '../plan/task.js';
import { DAGScheduler, type TaskEndInfo } from './dag-scheduler.js';
import { RDD } from './rdd.js';

export interface SparkConf {
  /** `local` (tasks on this thread), `local[N]` or `local[*]` (a pool of N / all-core threads). Default `local[*]`. */
  master?: string;
  appName?: string;
  /**
   * Run recognised code (the seed's `flatMap(line => line.split(' ')).map(w => [w, 1])
   * .reduceByKey(add)`) as a byte-level kernel on the shared-memory batch. Default true; false
   * forces the generic path (for comparisons).
   */
  fastPath?: boolean;
  /**
   * Attempts per task when the worker running it dies (a crash, `process.exit`, `taskTimeout`,
   * `workerMemoryLimitMB`), as Spark's `spark.task.maxFailures`; then the job fails with the last
   * cause. A user function that throws fails at once. Default 4.
   */
  taskMaxFailures?: number;
  /**
   * Seconds a task may run on a worker before it fails with `CHISPA_ERR_TASK_TIMEOUT` and its
   * worker is terminated and replaced (a `while (true) {}` function). Off by default; pools only.
   */
  taskTimeout?: number;
  /**
   * Heap cap of each worker thread in MB (V8 old generation; piscina's `resourceLimits`). A worker
   * over it is stopped and its task fails with `CHISPA_ERR_WORKER_MEMORY`. Default: Node's. Pools only.
   */
  workerMemoryLimitMB?: number;
}

/** Receives scheduler events; every method is optional. */
export interface SparkListener {
  onTaskEnd?(info: TaskEndInfo): void;
}

/**
 * The entry point to the engine: owns the task runner (one worker pool for `local[N]`) and
 * creates RDDs. Several contexts may live in one process; each has its own pool.
 *
 * @example
 * ```ts
 * const sc = new SparkContext({ master: 'local[*]', appName: 'Mi app' });
 * sc.setLogLevel('WARN');
 * console.log(await sc.parallelize([1, 2, 3]).map((x) => x * 2).collect()); // [2, 4, 6]
 * await sc.stop();
 * ```
 */
export class SparkContext {
  readonly master: string;
  readonly appName: string;
  /** Whether recognised code runs on byte-level kernels (see `SparkConf.fastPath`). */
  readonly fastPath: boolean;
  /** Default number of partitions: the number of threads tasks run on. */
  readonly defaultParallelism: number;
  /** @internal */
  readonly scheduler: DAGScheduler;
  readonly #runner: TaskRunner;
  readonly #listeners = new Set<SparkListener>();
  readonly #prepared = new WeakMap<(...args: any[]) => any, Map<object | undefined, FnRef>>();
  readonly #shippedBySource = new Map<string, ShippedFunction>();
  #stopped: Promise<void> | undefined;

  /** @internal The worker pool's utilisation (0..1), for metrics; undefined under `local`. */
  get poolUtilization(): number | undefined {
    return this.#runner.utilization;
  }

  constructor(conf: SparkConf = {}) {
    this.master = conf.master ?? 'local[*]';
    this.appName = conf.appName ?? 'chispa';
    this.fastPath = conf.fastPath ?? true;
    const threads = parseMaster(this.master);
    const limits = poolLimits(conf, threads);
    this.#runner = threads === 0 ? new InProcessRunner() : new PoolRunner(threads, limits, this.fastPath);
    this.defaultParallelism = this.#runner.parallelism;
    this.scheduler = new DAGScheduler(
      this.#runner,
      (info) => {
        for (const l of this.#listeners) l.onTaskEnd?.(info);
      },
      this.fastPath,
      () => this.prepareFunction(add, 'updateStateByKey'),
      conf.taskMaxFailures ?? 4,
    );
  }

  /** True under master `local`: user functions run on this thread, as closures. */
  get isLocal(): boolean {
    return this.#runner instanceof InProcessRunner;
  }

  get isStopped(): boolean {
    return this.#stopped !== undefined;
  }

  /** Sets the process-wide log level: `ALL`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`, `OFF`. */
  setLogLevel(level: string): void {
    setLogLevel(level);
  }

  /** Distributes `data` over `numSlices` partitions (default: `defaultParallelism`), in shared memory. */
  parallelize<T>(data: Iterable<T>, numSlices = this.defaultParallelism): RDD<T> {
    this.assertRunning();
    positiveInteger(numSlices, 'numSlices');
    const sab = parallelizeBlock([...data], numSlices);
    return new RDD<T>(this, {
      kind: 'source',
      partitions: Array.from({ length: numSlices }, (_, section) => ({ kind: 'block' as const, sab, section })),
    });
  }

  /** An RDD with no partitions. */
  emptyRDD<T>(): RDD<T> {
    return new RDD<T>(this, { kind: 'source', partitions: [] });
  }

  /** The union of several RDDs. */
  union<T>(rdds: readonly RDD<T>[]): RDD<T> {
    return new RDD<T>(this, { kind: 'union', parents: rdds.map((r) => r.node) });
  }

  addSparkListener(listener: SparkListener): void {
    this.#listeners.add(listener);
  }

  removeSparkListener(listener: SparkListener): void {
    this.#listeners.delete(listener);
  }

  /**
   * @internal Stops every running task now: their workers are terminated and replaced, and their
   * jobs fail with `CHISPA_ERR_TASK_CANCELLED` (a stopping StreamingContext whose batch would not end).
   */
  cancelAllTasks(): void {
    this.#runner.cancelAll();
  }

  /** Stops the worker pool, terminating tasks that are still running. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= this.#runner.destroy();
    return this.#stopped;
  }

  /**
   * @internal Turns a user function into what tasks carry. Under `local` the function itself (its
   * closure works); on a pool, its source, checked now for captured variables so the mistake
   * surfaces where the operator is called, not as a ReferenceError in a worker.
   */
  prepareFunction(fn: (...args: any[]) => any, op: string, context?: Record<string, unknown>, opts?: ImportOptions & { async?: boolean }): FnRef {
    if (typeof fn !== 'function') throw new IllegalArgumentError(`${op}: expected a function, got ${typeof fn}`, { operator: op });
    // Under both masters: an operator that calls its function record by record would keep the
    // Promises an async function returns as values (and a worker could not send them back).
    if (!opts?.async && isAsyncFunction(fn)) throw new AsyncFunctionError(op);
    // A function that imports modules is shipped under `local` too: the runner imports them
    // (async) before the task, and the task compiles the function with them bound.
    const modules = usesModules(fn, opts);
    if (this.isLocal && context === undefined && !modules) return fn;
    // A DStream prepares its functions once, at definition, and every batch's RDD asks again with
    // the same function and context objects: the cache keeps one shipped id per function, so
    // workers compile it once, not once per batch.
    let byContext = this.#prepared.get(fn);
    if (!byContext) this.#prepared.set(fn, (byContext = new Map()));
    // Keyed by the imports object when there is one (a DStream passes the same options every batch).
    const key = modules ? (opts?.imports ?? fn) : context;
    let ref = byContext.get(key);
    if (!ref) {
      const shipped =
        context === undefined && !modules ? this.#shipBySource(fn, op) : shipFunction(fn, op, context, opts);
      // Under `local` with an explicit context, compile now so both masters see the same function.
      ref = this.isLocal && !modules ? compileFunction(shipped) : shipped;
      byContext.set(key, ref);
    }
    return ref;
  }

  /**
   * A function written inside `foreachRDD` or `transform` is a new closure every batch, with the
   * same source: shipping it once per source text rather than once per closure spares the main
   * thread a parse per batch, and each worker a compile (workers cache compiled functions by id).
   * Equal text is the same function on a worker: only the text travels, and a source that used
   * its enclosing scope was refused. Bounded, as the workers' cache is.
   */
  #shipBySource(fn: (...args: any[]) => any, op: string): ShippedFunction {
    const source = String(fn);
    let shipped = this.#shippedBySource.get(source);
    if (!shipped) {
      shipped = shipFunction(fn, op);
      if (this.#shippedBySource.size >= MAX_SHIPPED_SOURCES) this.#shippedBySource.clear();
      this.#shippedBySource.set(source, shipped);
    }
    return shipped;
  }

  /** @internal */
  assertRunning(): void {
    if (this.#stopped) throw new IllegalStateError('Cannot call methods on a stopped SparkContext.');
  }
}

/** Distinct function sources {@link SparkContext} keeps shipped. */
const MAX_SHIPPED_SOURCES = 1000;

/** The pool limits of `conf`, checked; they need worker threads. */
function poolLimits(conf: SparkConf, threads: number): PoolLimits {
  const positive = (name: string, v: number | undefined, integer: boolean) => {
    if (v === undefined) return;
    if (!(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      throw new IllegalArgumentError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
    }
    if (threads === 0 && name !== 'taskMaxFailures') {
      throw new IllegalArgumentError(`${name} needs worker threads (master 'local[N]'); under 'local' tasks run on the main thread`);
    }
  };
  positive('taskMaxFailures', conf.taskMaxFailures, true);
  positive('taskTimeout', conf.taskTimeout, false);
  positive('workerMemoryLimitMB', conf.workerMemoryLimitMB, true);
  return {
    ...(conf.taskTimeout !== undefined ? { taskTimeoutMs: conf.taskTimeout * 1000 } : {}),
    ...(conf.workerMemoryLimitMB !== undefined ? { workerMemoryLimitMB: conf.workerMemoryLimitMB } : {}),
  };
}

/** Threads for a master string: 0 for `local` (in-process), N for `local[N]`, cores for `local[*]`. */
function parseMaster(master: string): number {
  if (master === 'local') return 0;
  const m = /^local\[(\*|[1-9]\d*)\]$/.exec(master);
  if (!m) throw new IllegalArgumentError(`Could not parse Master URL: '${master}' (use 'local', 'local[N]' or 'local[*]')`);
  return m[1] === '*' ? availableParallelism() : Number(m[1]);
}
