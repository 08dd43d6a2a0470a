import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { asOperatorError, IllegalArgumentError, IllegalStateError } from '../errors.js';
import { log } from '../log.js';
import type { SparkContext } from '../rdd/spark-context.js';
import { SystemClock, type Clock } from './clock.js';
import type { DStream } from './dstream.js';
import { readLatestCheckpoint } from '../checkpoint/checkpoint-store.js';
import { Checkpointing, type CheckpointWrite, type RecoveryOptions } from './checkpointing.js';
import { JobScheduler } from './job-scheduler.js';
import type { StreamingListener } from './listener.js';
import { StreamingListenerBus } from './listener-bus.js';
import { FileInputDStream, type TextFileStreamOptions } from './file-input-dstream.js';
import { QueueInputDStream, type QueueItem } from './queue-input-dstream.js';
import { PushInputDStream, type PushStreamOptions } from './push-input-dstream.js';
import { feedIterable, feedReadable, type ReadableFeedOptions } from '../sources/push-feeders.js';
import type { Readable } from 'node:stream';
import { SocketInputDStream, type SocketTextStreamOptions } from './socket-input-dstream.js';
import { ReceiverInputDStream, type ReceiverStreamOptions } from './receiver-input-dstream.js';
import type { Receiver } from '../sources/receiver.js';
import { ZeroMQReceiver, type ZeroMQStreamOptions } from '../sources/zeromq-receiver.js';
import { DStreamGraph, type BatchJobs } from './dstream-graph.js';
import type { RateLimitOptions } from '../sources/rate-limiter.js';
import type { BackpressureOptions } from './rate-controller.js';
import { installShutdownHook } from './shutdown-hook.js';

export type StreamingContextState = 'INITIALIZED' | 'ACTIVE' | 'STOPPED';

export interface StreamingContextOptions {
  /** What drives batch times; default the system clock. Tests pass a `ManualClock`. */
  clock?: Clock;
  /**
   * Spark's receiver write-ahead log: every batch a socket receiver cuts is logged in the
   * checkpoint directory before it is processed, and replayed after a crash. Needs `checkpoint(dir)`.
   */
  writeAheadLog?: boolean;
  /** `spark.streaming.receiver.*`: `maxRate`, records per second each receiver accepts at most (default unlimited). */
  receiver?: Pick<RateLimitOptions, 'maxRate'>;
  /**
   * `spark.streaming.backpressure.*`: with `enabled`, each receiver's rate follows, batch by batch,
   * what the job manages to process (Spark's PID estimator); when the limit binds the receiver
   * stops reading its socket, so TCP slows the sender and nothing is dropped.
   */
  backpressure?: BackpressureOptions;
  /**
   * `spark.streaming.stopGracefullyOnShutdown`: SIGINT and SIGTERM stop the context gracefully
   * (`stop(true, true)`) while it is active, then the process exits 0; a second signal exits at
   * once. Default false.
   */
  stopGracefullyOnShutdown?: boolean;
  /** `spark.streaming.gracefulStopTimeout`, in seconds: how long a graceful stop waits. Default 10 × the batch interval. */
  gracefulStopTimeout?: number;
  /**
   * Seconds `stop()` waits for the running batch to finish; then its tasks are terminated (their
   * workers replaced) and the batch fails with `CHISPA_ERR_TASK_CANCELLED`, so `stop()` resolves
   * even under a function that never returns. Default 10.
   */
  stopTimeout?: number;
}

/**
 * The entry point of a streaming program, as PySpark's: inputs and transformations are defined,
 * then `start()` cuts the stream into batches every `batchDuration` seconds, at multiples of the
 * interval in epoch time, and runs each batch's jobs, one batch at a time, in order.
 *
 * Unlike Spark, any number of contexts may be created, started and even run at once in one
 * process, each with its own batches; only a stopped context cannot be restarted.
 *
 * @example
 * ```ts
 * const ssc = new StreamingContext(sc, 5);
 * const lines = ssc.socketTextStream('localhost', 9999);
 * lines.flatMap((line) => line.split(' ')).map((word) => [word, 1]).reduceByKey(add).pprint();
 * ssc.start();
 * await ssc.awaitTerminationOrTimeout(60);
 * await ssc.stop();
 * ```
 */
export class StreamingContext {
  readonly sparkContext: SparkContext;
  /** The batch interval in milliseconds. */
  readonly batchDurationMs: number;
  /** @internal The streams, inputs and outputs defined on this context. */
  readonly graph = new DStreamGraph(this);
  readonly #clock: Clock;
  /** @internal Spark's listener bus: inputs post receiver events on it. */
  readonly listenerBus = new StreamingListenerBus();
  readonly #scheduler: JobScheduler;
  readonly #waiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  #state: StreamingContextState = 'INITIALIZED';
  #rememberMs: number;
  #checkpointDir: string | undefined;
  #cancelTimer: (() => void) | undefined;
  #lastBatch: number | undefined;
  #startTime: number | undefined;
  readonly #checkpointObservers = new Set<(w: CheckpointWrite) => void>();
  readonly #checkpointWritten = (w: CheckpointWrite): void => {
    for (const fn of this.#checkpointObservers) fn(w);
  };
  /** Batches waiting for their inputs' `prepareBatch`, generated in order (see #generateWhenReady). */
  #preparing: Promise<void> | undefined;
  #firstBatch: number | undefined;
  /** Spark's zero time: the first batch time − the batch interval, or the checkpoint's on recovery. */
  #zeroTime: number | undefined;
  #error: Error | undefined;
  #stopping: Promise<void> | undefined;
  #checkpointing: Checkpointing | undefined;
  readonly #writeAheadLog: boolean;
  readonly #opts: StreamingContextOptions;
  /** The batch a graceful stop generates last; its completion writes a final checkpoint. */
  #finalBatch: number | undefined;
  #removeShutdownHook: (() => void) | undefined;
  readonly #stopTimeoutMs: number;
  /** The batch time of the checkpoint this context was recovered from. */
  #recoveredAt: number | undefined;
  static readonly #active = new Set<StreamingContext>();

  constructor(sparkContext: SparkContext, batchDuration: number, opts: StreamingContextOptions = {}) {
    sparkContext.assertRunning();
    if (!(batchDuration > 0)) throw new IllegalArgumentError(`batchDuration must be a positive number of seconds, got ${batchDuration}`);
    this.sparkContext = sparkContext;
    this.batchDurationMs = Math.round(batchDuration * 1000);
    this.#rememberMs = this.batchDurationMs;
    this.#clock = opts.clock ?? new SystemClock();
    this.#writeAheadLog = opts.writeAheadLog ?? false;
    this.#opts = opts;
    if (opts.gracefulStopTimeout !== undefined && !(opts.gracefulStopTimeout > 0)) {
      throw new IllegalArgumentError(`gracefulStopTimeout must be a positive number of seconds, got ${opts.gracefulStopTimeout}`);
    }
    if (opts.stopTimeout !== undefined && !(opts.stopTimeout >= 0)) throw new IllegalArgumentError(`stopTimeout must be a number of seconds >= 0, got ${opts.stopTimeout}`);
    this.#stopTimeoutMs = (opts.stopTimeout ?? 10) * 1000;
    this.#scheduler = new JobScheduler({
      clock: this.#clock,
      bus: this.listenerBus,
      onError: (e) => this.#reportError(e),
      onBatchDone: (t) => {
        const failure = this.#checkpointing?.batchDone(t, t === this.#finalBatch);
        this.graph.forget(t);
        return failure;
      },
    });
  }

  // ---- recovery ----

  /**
   * Recreates a context from the newest sound checkpoint in `checkpointPath`, or creates one
   * with `setupFn` when there is none. Either way `setupFn` builds the graph, so today's code
   * runs; the checkpointed state is restored by stable operator ids (see `DStream.name`), so
   * adding or changing stateless operators keeps the checkpoint usable. Batches that fell due
   * while the program was down are generated when it starts.
   *
   * @example
   * ```ts
   * const ssc = StreamingContext.getOrCreate('/tmp/cpdir', () => {
   *   const ssc = new StreamingContext(new SparkContext(), 5);
   *   ssc.checkpoint('/tmp/cpdir');
   *   ssc.textFileStream('/data/in').flatMap((l) => l.split(' ')).map((w) => [w, 1])
   *     .updateStateByKey((vs: number[], s: number | null) => vs.length + (s ?? 0)).pprint();
   *   return ssc;
   * });
   * ssc.start();
   * ```
   */
  static getOrCreate(checkpointPath: string, setupFn: () => StreamingContext, opts: RecoveryOptions = {}): StreamingContext {
    const cp = readLatestCheckpoint(checkpointPath, { startFresh: opts.startFresh ?? false });
    const ssc = setupFn();
    if (!(ssc instanceof StreamingContext)) throw new IllegalArgumentError('getOrCreate: setupFn must return a StreamingContext');
    if (ssc.#checkpointDir === undefined) ssc.checkpoint(checkpointPath);
    if (cp) {
      if (cp.batchDurationMs !== ssc.batchDurationMs) {
        throw new IllegalStateError(
          `Checkpoint ${cp.path} was written with a batch interval of ${cp.batchDurationMs / 1000} s; the program now uses ` +
            `${ssc.batchDurationMs / 1000} s. Batch times must stay multiples of one interval: keep the interval, or start from an empty directory.`,
        );
      }
      ssc.#checkpointing = new Checkpointing(ssc.#checkpointDir!, ssc.batchDurationMs, ssc.graph.checkpointed, ssc.graph.inputs, ssc.#checkpointWritten);
      ssc.#checkpointing.restore(cp, opts);
      ssc.#recoveredAt = cp.batchTime;
      // As Spark restores the graph's zero time, so slides and windows stay where they were. A
      // checkpoint written before zero times were kept slid at epoch multiples: zero time 0.
      ssc.#zeroTime = cp.zeroTime ?? 0;
      log.info(`recovered from checkpoint ${cp.path}`);
    }
    return ssc;
  }

  /** The context started most recently that is still active, or null. */
  static getActive(): StreamingContext | null {
    return [...StreamingContext.#active].pop() ?? null;
  }

  /**
   * The active context if there is one; otherwise `getOrCreate(checkpointPath, setupFn)`, or
   * `setupFn()` when no checkpoint path is given.
   */
  static getActiveOrCreate(setupFn: () => StreamingContext): StreamingContext;
  static getActiveOrCreate(checkpointPath: string, setupFn: () => StreamingContext, opts?: RecoveryOptions): StreamingContext;
  static getActiveOrCreate(
    a: string | (() => StreamingContext),
    b?: () => StreamingContext,
    opts?: RecoveryOptions,
  ): StreamingContext {
    const active = StreamingContext.getActive();
    if (active) return active;
    return typeof a === 'function' ? a() : StreamingContext.getOrCreate(a, b!, opts);
  }

  // ---- inputs ----

  /** Lines of text from a TCP server at `host:port` (this side connects, as Spark's receiver). */
  socketTextStream(host: string, port: number, opts?: SocketTextStreamOptions): SocketInputDStream {
    return this.graph.addInput(new SocketInputDStream(this, host, port, opts));
  }

  /**
   * The records a custom {@link Receiver} stores, as Spark's `receiverStream`: the receiver is
   * started with the context, restarted when it asks to or when `onStart` throws, and stopped
   * with the context; each batch holds what it stored since the previous one.
   */
  receiverStream<T>(receiver: Receiver<T>, opts?: ReceiverStreamOptions): ReceiverInputDStream<T> {
    return this.graph.addInput(new ReceiverInputDStream<T>(this, receiver, opts));
  }

  /**
   * Messages from a ZeroMQ PUB (`type: 'sub'`, the default, with `topics`) or PUSH (`type: 'pull'`)
   * socket at `endpoint`, as Spark's `ZeroMQUtils.createStream`: each message's frames become
   * records (UTF-8 strings by default, the topic frame dropped; `bytesToObjects` to change).
   *
   * @example
   * ```ts
   * ssc.zeromqStream('tcp://127.0.0.1:5555', { topics: ['lines'] })
   *   .flatMap((line) => line.split(' ')).map((w) => [w, 1]).reduceByKey(add).pprint();
   * ```
   */
  zeromqStream<T = string>(endpoint: string, opts?: ZeroMQStreamOptions<T> & ReceiverStreamOptions): ReceiverInputDStream<T> {
    return this.receiverStream(new ZeroMQReceiver<T>(endpoint, opts), opts);
  }

  /**
   * A stream from a queue of batches, each an array of records (or an RDD), with Spark's
   * semantics: each batch takes the next item (with `oneAtATime`, the default) or all items left;
   * once the queue drains, batches are empty, or `defaultBatch` when given. The queue is copied
   * when the stream is defined, as PySpark turns its list into RDDs then: items added to the
   * array afterwards are not seen. For records that arrive while the program runs, use
   * {@link StreamingContext.pushStream}, {@link StreamingContext.iterableStream} or
   * {@link StreamingContext.readableStream}. Like Spark's, a queue stream cannot be recovered
   * from a checkpoint.
   */
  queueStream<T>(batches: Iterable<QueueItem<T>>, oneAtATime = true, defaultBatch?: QueueItem<T>): DStream<T> {
    return this.graph.addInput(new QueueInputDStream<T>(this, batches, oneAtATime, defaultBatch));
  }

  /**
   * A stream the program pushes records into (`await stream.push(record)`, `pushAll(records)`),
   * for code that has events rather than a stream. Each batch holds the records accepted since the
   * previous batch; `push` waits while `maxPendingRecords` are accepted and not yet processed.
   *
   * @example
   * ```ts
   * const requests = ssc.pushStream<{ route: string; ms: number }>();
   * requests.map((r) => [r.route, r.ms]).reduceByKey(add).pprint();
   * ssc.start();
   * server.on('request', (req) => void requests.push({ route: req.url ?? '/', ms: 1 }));
   * ```
   */
  pushStream<T>(opts?: PushStreamOptions): PushInputDStream<T> {
    return this.graph.addInput(new PushInputDStream<T>(this, opts));
  }

  /**
   * A stream of the items of an async (or sync) iterable, one record per item, pulled from
   * `start()`: the next item is pulled only once the previous one is accepted, and none while
   * `maxPendingRecords` are pending, so a generator faster than the job waits in its `yield`.
   * When the iterable ends, batches are empty; an error it throws fails the context (see
   * `awaitTermination`). `stop()` stops pulling (the iterator's `return` is called).
   */
  iterableStream<T>(source: AsyncIterable<T> | Iterable<T>, opts?: PushStreamOptions): DStream<T> {
    return this.graph.addInput(
      new PushInputDStream<T>(this, opts, (self) => void feedIterable(source, self, (e) => this.#reportError(asError(e)))),
    );
  }

  /**
   * A stream of what a Node Readable gives: in object mode one record per chunk; otherwise text
   * lines (split on `\n`, `\r\n` or `\r`). The Readable is paused while `maxPendingRecords` are
   * pending and resumed as batches complete; `stop()` pauses it and lets go of it (the caller
   * still owns it and closes it). A stream error fails the context.
   */
  readableStream<T = string>(readable: Readable, opts?: PushStreamOptions & ReadableFeedOptions): DStream<T> {
    return this.graph.addInput(
      new PushInputDStream<T>(this, opts, (self) =>
        feedReadable(readable, self as PushInputDStream<unknown>, opts ?? {}, (e) => this.#reportError(asError(e))),
      ),
    );
  }

  /**
   * Lines of the text files that appear in `directory`, as PySpark's `textFileStream`: each batch
   * reads the files moved into the directory since the previous batch (in name order), each file
   * once. Move files in atomically (write elsewhere or under a `.`-name, then rename); names
   * starting with `.` or `_` and subdirectories are ignored; files present at start are skipped
   * unless `newFilesOnly` is false. A missing directory gives empty batches until it exists.
   *
   * @example
   * ```ts
   * const lines = ssc.textFileStream('/data/incoming');
   * lines.flatMap((l) => l.split(' ')).map((w) => [w, 1]).reduceByKey(add).pprint();
   * ```
   */
  textFileStream(directory: string, opts?: TextFileStreamOptions): FileInputDStream {
    return this.graph.addInput(new FileInputDStream(this, directory, opts));
  }

  // ---- configuration ----

  /** Sets the checkpoint directory (created if missing); stateful operations need one. */
  checkpoint(directory: string): void {
    mkdirSync(directory, { recursive: true });
    this.#checkpointDir = directory;
  }

  /**
   * Keeps each batch's RDDs and input data for at least `duration` seconds after the batch (for
   * RDDs used after their batch, and `slice`). Windows keep what they need on their own.
   */
  remember(duration: number): void {
    this.assertDefinable();
    this.#rememberMs = Math.max(this.batchDurationMs, Math.round(duration * 1000));
  }

  /** Adds a listener for Spark's streaming events (see {@link StreamingListener}). */
  addStreamingListener(listener: StreamingListener): void {
    this.listenerBus.add(listener);
  }

  removeStreamingListener(listener: StreamingListener): void {
    this.listenerBus.remove(listener);
  }

  getState(): StreamingContextState {
    return this.#state;
  }

  // ---- lifecycle ----

  /** Starts receiving and the batch timer. The first batch is at the next multiple of the interval. */
  start(): void {
    if (this.#state === 'ACTIVE') {
      log.warn('StreamingContext has already been started');
      return;
    }
    if (this.#state === 'STOPPED') throw new IllegalStateError('StreamingContext has already been stopped');
    this.sparkContext.assertRunning();
    if (!this.graph.hasOutputs) {
      throw new IllegalArgumentError('No output operations registered, so nothing to execute');
    }
    if (this.graph.stateful.length > 0 && this.#checkpointDir === undefined) {
      throw new IllegalArgumentError(
        'The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().',
      );
    }
    if (this.#writeAheadLog && this.#checkpointDir === undefined) {
      throw new IllegalArgumentError('Cannot enable receiver write-ahead log without checkpoint directory set. Please set it by StreamingContext.checkpoint().');
    }
    if (this.#checkpointDir !== undefined) {
      this.#checkpointing ??= new Checkpointing(this.#checkpointDir, this.batchDurationMs, this.graph.checkpointed, this.graph.inputs, this.#checkpointWritten);
    }
    this.#state = 'ACTIVE';
    StreamingContext.#active.add(this);
    // As Spark's: the listeners hear the context start before its receivers do.
    this.#startTime = Date.now();
    this.listenerBus.post('onStreamingStarted', { time: this.#startTime });
    if (this.#opts.stopGracefullyOnShutdown) this.#removeShutdownHook = installShutdownHook(() => this.stop(true, true));
    const started: { stop(): Promise<void> }[] = [];
    try {
      for (const input of this.graph.inputs) {
        input.start();
        started.push(input);
      }
    } catch (e) {
      // A start that fails (a write-ahead log directory on a read-only mount) leaves the context
      // as it was: not active, its inputs stopped, startable again once the cause is fixed.
      for (const input of started) void input.stop();
      this.#removeShutdownHook?.();
      this.#removeShutdownHook = undefined;
      this.#state = 'INITIALIZED';
      StreamingContext.#active.delete(this);
      throw e;
    }
    this.graph.remember(this.#rememberMs);
    const now = this.#clock.now();
    let next = (Math.floor(now / this.batchDurationMs) + 1) * this.batchDurationMs;
    if (this.#recoveredAt !== undefined) next = this.#recoveredAt + this.batchDurationMs;
    this.#firstBatch = next;
    // Spark's JobGenerator: graph.start(startTime − batchDuration).
    this.#zeroTime ??= next - this.batchDurationMs;
    if (this.#checkpointing) this.#checkpointing.zeroTime = this.#zeroTime;
    // The batches that fell due while the program was down run first, as in Spark.
    for (; next <= now; next += this.batchDurationMs) this.#generateWhenReady(next);
    this.#schedule(next);
  }

  /**
   * Stops the context: no more batches. Non-graceful (default) drops batches not started yet;
   * graceful stops the receivers from reading, processes every batch already generated and one
   * last batch with everything received, and writes a final checkpoint (when checkpointing), as
   * Spark does, waiting at most `gracefulStopTimeout` (default 10 × the batch interval; past it,
   * batches not started are dropped with a warning). Stops the SparkContext too unless
   * `stopSparkContext` is false. Idempotent; resolves when all is stopped.
   */
  stop(stopSparkContext = true, stopGracefully = false): Promise<void> {
    this.#stopping ??= this.#stop(stopSparkContext, stopGracefully);
    return this.#stopping;
  }

  async #stop(stopSparkContext: boolean, graceful: boolean): Promise<void> {
    const wasActive = this.#state === 'ACTIVE';
    this.#state = 'STOPPED';
    StreamingContext.#active.delete(this);
    this.#removeShutdownHook?.();
    this.#cancelTimer?.();
    if (wasActive) {
      let timedOut = false;
      if (graceful) timedOut = await this.#drainGracefully();
      else {
        await Promise.all(this.graph.inputs.map((i) => i.stop()));
        await this.#preparing;
        this.#scheduler.discardPending();
      }
      // Past the graceful timeout the batch still running is cancelled at once.
      if (timedOut) await this.#cancelRunningBatch();
      else await this.#idleWithin(this.#stopTimeoutMs);
    }
    for (const input of this.graph.inputs) input.dispose();
    if (stopSparkContext) await this.sparkContext.stop();
    for (const w of this.#waiters) w.resolve();
    this.#waiters.clear();
  }

  /**
   * The graceful part of stop: receivers stop, what they received runs, bounded by the timeout.
   * Returns true if it timed out.
   */
  async #drainGracefully(): Promise<boolean> {
    const timeoutMs = this.#opts.gracefulStopTimeout !== undefined ? this.#opts.gracefulStopTimeout * 1000 : 10 * this.batchDurationMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const drain = (async () => {
      await Promise.all(this.graph.inputs.map((i) => i.stop()));
      const next = (this.#lastBatch ?? Math.floor(this.#clock.now() / this.batchDurationMs) * this.batchDurationMs) + this.batchDurationMs;
      this.#finalBatch = next;
      this.#generateWhenReady(next, true);
      await this.#preparing;
      await this.#scheduler.idle();
    })();
    try {
      if ((await Promise.race([drain, timedOut])) === 'timeout') {
        log.warn(`graceful stop timed out after ${timeoutMs / 1000} s; batches not started yet are dropped`);
        this.#scheduler.discardPending();
        return true;
      }
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Waits for the running batch up to `ms`, then cancels it: its remaining jobs are skipped and
   * its running tasks terminated, so the wait ends however the user's functions behave.
   */
  async #idleWithin(ms: number): Promise<void> {
    const idle = this.#scheduler.idle();
    if (await settlesWithin(idle, ms)) return;
    log.warn(`stop: the running batch did not finish within ${ms / 1000} s; cancelling its tasks`);
    await this.#cancelRunningBatch(idle);
  }

  /**
   * Cancels the running batch: its remaining jobs are skipped and its tasks terminated. Code of
   * the batch that runs on this thread (a `foreachRDD` awaiting a promise that never settles)
   * cannot be interrupted, so it is waited for only a moment more, then left behind.
   */
  async #cancelRunningBatch(idle: Promise<void> = this.#scheduler.idle()): Promise<void> {
    this.#scheduler.cancel();
    this.sparkContext.cancelAllTasks();
    if (!(await settlesWithin(idle, 1000))) log.warn('stop: the running batch still has not returned; not waiting for it');
  }


  /** Resolves when the context stops; rejects with the first error a batch reported. */
  awaitTermination(): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#state === 'STOPPED' && this.#stopping) return this.#stopping;
    return new Promise((resolve, reject) => this.#waiters.add({ resolve, reject }));
  }

  /**
   * Waits up to `timeout` seconds: true if the context stopped, false on timeout; rejects with
   * the first error a batch reported.
   */
  async awaitTerminationOrTimeout(timeout: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, timeout * 1000));
    });
    try {
      return await Promise.race([this.awaitTermination().then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- internal ----

  /** @internal Where input `id` keeps its write-ahead log, when the log is on. */
  writeAheadLogDir(id: string): string | undefined {
    return this.#writeAheadLog && this.#checkpointDir !== undefined ? join(this.#checkpointDir, 'wal', id) : undefined;
  }

  /** @internal Observers of checkpoint writes (the UI's metrics); returns the remover. */
  onCheckpointWritten(fn: (w: CheckpointWrite) => void): () => void {
    this.#checkpointObservers.add(fn);
    return () => this.#checkpointObservers.delete(fn);
  }

  /** @internal When `start()` was called (epoch ms, wall clock); undefined before. */
  get startTime(): number | undefined {
    return this.#startTime;
  }

  /** @internal The receivers' rate settings: `receiver.maxRate` and `backpressure`. */
  get rateOptions(): Pick<StreamingContextOptions, 'receiver' | 'backpressure'> {
    return { receiver: this.#opts.receiver, backpressure: this.#opts.backpressure };
  }

  /** @internal The time of the first batch this context generates; undefined before start. */
  get firstBatchTime(): number | undefined {
    return this.#firstBatch;
  }

  /**
   * @internal Spark's zero time, undefined before start: the first batch time minus the batch
   * interval, or the recovered checkpoint's. A stream has an RDD at the times after it that are
   * multiples of its slide from it (`DStream.isTimeValid`).
   */
  get zeroTime(): number | undefined {
    return this.#zeroTime;
  }

  /** @internal The checkpoint directory, if `checkpoint(dir)` set one: checkpointing is on then. */
  get checkpointDirectory(): string | undefined {
    return this.#checkpointDir;
  }

  /** @internal The batch time of the checkpoint this context was recovered from, if any. */
  get recoveredAt(): number | undefined {
    return this.#recoveredAt;
  }

  /** @internal Called by every DStream constructor. */
  assertDefinable(): void {
    if (this.#state === 'ACTIVE') {
      throw new IllegalStateError('Adding new inputs, transformations, and output operations after starting a context is not supported');
    }
    if (this.#state === 'STOPPED') {
      throw new IllegalStateError('Adding new inputs, transformations, and output operations after stopping a context is not supported');
    }
  }

  #schedule(time: number): void {
    this.#cancelTimer = this.#clock.schedule(time, () => {
      if (this.#state !== 'ACTIVE') return;
      this.#generateWhenReady(time);
      this.#schedule(time + this.batchDurationMs);
    });
  }

  /**
   * Generates batch `time` at once, unless an input has work to do first (`prepareBatch`: a direct
   * Kafka stream's offset requests); then once that is done, after every batch before it. The
   * last batch of a graceful stop is generated after the context has stopped (`final`).
   */
  #generateWhenReady(time: number, final = false): void {
    const preparing = this.graph.inputs.filter((i) => i.prepareBatch !== undefined);
    if (preparing.length === 0) {
      this.#generate(time);
      return;
    }
    const chain: Promise<void> = (this.#preparing ?? Promise.resolve()).then(async () => {
      await Promise.all(preparing.map((i) => i.prepareBatch!(time)));
      if (this.#state === 'ACTIVE' || final) this.#generate(time);
      if (this.#preparing === chain) this.#preparing = undefined;
    });
    this.#preparing = chain;
  }

  /** Generates batch `time`: the RDDs now (so inputs are cut at the tick), the jobs later. */
  #generate(time: number): void {
    this.#lastBatch = time;
    const submissionTime = this.#clock.now();
    let batch: BatchJobs = { jobs: [], outputs: [], stateOperators: [] };
    let generationError: Error | undefined;
    try {
      batch = this.graph.generateJobs(time);
    } catch (e) {
      generationError = asOperatorError('transform', e);
    }
    const inputInfos = this.graph.inputInfos(time);
    this.#checkpointing?.noteGenerated(time);
    this.#scheduler.submit({ time, inputInfos, submissionTime, ...batch, generationError });
  }

  #reportError(e: Error): void {
    this.#error ??= e;
    if (this.#waiters.size === 0) log.error(`batch failed: ${e.message}`);
    for (const w of this.#waiters) w.reject(e);
    this.#waiters.clear();
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new IllegalStateError(`an input failed with a non-Error value: ${String(e)}`);
}

/** Whether `p` settles within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
