import { IllegalArgumentError, IllegalStateError } from '../errors.js';
import type { RDD } from '../rdd/rdd.js';
import { InputDStream } from './input-dstream.js';
import type { StreamingContext } from './streaming-context.js';

/** Options of the streams a program pushes records into. */
export interface PushStreamOptions {
  /**
   * The most records accepted but not yet processed: waiting for their batch, or in a batch whose
   * jobs have not completed. While the job is this far behind, `push` waits, an iterable is not
   * pulled and a Readable is paused. Default 100 000.
   */
  maxPendingRecords?: number;
}

const DEFAULT_MAX_PENDING = 100_000;

/**
 * A stream of the records a program pushes in (`ssc.pushStream()`), for code that has events
 * rather than a stream: an HTTP handler, a message callback. Each batch holds the records accepted
 * since the previous one, in order. Records are accepted while fewer than `maxPendingRecords` are
 * pending; beyond that `push` waits until batches complete, so a job that falls behind slows its
 * producers instead of filling memory.
 *
 * Records live in the driver's memory until their batch runs; they are not checkpointed (as
 * Spark's receivers without a write-ahead log): a crash loses what was accepted and not processed.
 *
 * @example
 * ```ts
 * const events = ssc.pushStream<{ route: string; ms: number }>();
 * events.map((e) => [e.route, e.ms]).reduceByKey(add).pprint();
 * ssc.start();
 * await events.push({ route: '/a', ms: 12 });
 * ```
 */
export class PushInputDStream<T> extends InputDStream<T> {
  readonly #max: number;
  #buffer: T[] = [];
  /** Records of each cut batch whose jobs have not completed, by batch time. */
  readonly #inFlight = new Map<number, number>();
  #pending = 0;
  #waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  #closed = false;
  readonly #onStop: (() => void)[] = [];
  readonly #feed: ((self: PushInputDStream<T>) => void) | undefined;

  /** @internal `feed`, when given, starts pulling a source into the stream at context start. */
  constructor(ssc: StreamingContext, opts: PushStreamOptions = {}, feed?: (self: PushInputDStream<T>) => void) {
    super(ssc);
    this.#feed = feed;
    const max = opts.maxPendingRecords ?? DEFAULT_MAX_PENDING;
    if (!Number.isInteger(max) || max < 1) {
      throw new IllegalArgumentError(`maxPendingRecords must be a positive integer, got ${max}`);
    }
    this.#max = max;
    ssc.addStreamingListener({ onBatchCompleted: (info) => this.#completed(info.batchTime) });
  }

  override get kind(): string {
    return 'pushStream';
  }

  /** Records accepted and not yet processed (buffered, or in a batch still running). */
  get pendingRecords(): number {
    return this.#pending;
  }

  /**
   * Hands one record to the stream. Resolves once it is accepted (it will be in the next batch
   * cut); waits first while `maxPendingRecords` are pending.
   *
   * @throws IllegalStateError (rejects) once the context is stopped; a record not accepted then is lost.
   */
  async push(record: T): Promise<void> {
    while (this.#pending >= this.#max && !this.#closed) {
      await new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    }
    this.#assertOpen();
    this.#buffer.push(record);
    this.#pending++;
  }

  /** Pushes `records` in order, each as `push` does; resolves when the last is accepted. */
  async pushAll(records: Iterable<T>): Promise<void> {
    for (const r of records) {
      if (this.#pending < this.#max) {
        this.#assertOpen();
        this.#buffer.push(r);
        this.#pending++;
      } else {
        await this.push(r);
      }
    }
  }

  /** @internal Whether `push` would accept a record now without waiting. */
  get hasRoom(): boolean {
    return this.#pending < this.#max && !this.#closed;
  }

  /** @internal Resolves when `push` would accept a record now (or the stream closed). */
  async room(): Promise<void> {
    while (this.#pending >= this.#max && !this.#closed) {
      await new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    }
  }

  /** @internal Whether the context stopped this input. */
  get closed(): boolean {
    return this.#closed;
  }

  /** @internal Runs `fn` when the input stops (feeders stop pulling). */
  onStop(fn: () => void): void {
    this.#onStop.push(fn);
  }

  override start(): void {
    this.#feed?.(this);
  }

  override async stop(): Promise<void> {
    this.#closed = true;
    for (const fn of this.#onStop.splice(0)) fn();
    const error = new IllegalStateError('The StreamingContext was stopped: the stream accepts no more records');
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }

  protected compute(time: number): RDD<T> | undefined {
    const records = this.#buffer;
    this.#buffer = [];
    this.noteRecords(time, records.length);
    if (records.length === 0) return undefined;
    this.#inFlight.set(time, (this.#inFlight.get(time) ?? 0) + records.length);
    return this.ssc.sparkContext.parallelize(records);
  }

  #completed(time: number): void {
    const n = this.#inFlight.get(time);
    if (n === undefined) return;
    this.#inFlight.delete(time);
    this.#pending -= n;
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  #assertOpen(): void {
    if (this.#closed) throw new IllegalStateError('The StreamingContext was stopped: the stream accepts no more records');
  }
}
