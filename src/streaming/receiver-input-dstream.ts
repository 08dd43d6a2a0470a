import type { RDD } from '../rdd/rdd.js';
import { DEFAULT_RESTART_DELAY_MS, type Receiver } from '../sources/receiver.js';
import { ReceiverWriteAheadLog } from '../checkpoint/receiver-wal.js';
import { InputDStream } from './input-dstream.js';
import type { ReceiverInfo } from './listener.js';
import { ReceiverSupervisorImpl } from './receiver-supervisor.js';
import type { RateLimiter } from '../sources/rate-limiter.js';
import { receiverRateLimit, type RateController } from './rate-controller.js';
import type { StreamingContext } from './streaming-context.js';

export interface ReceiverStreamOptions {
  /**
   * Records stored and not yet taken by a batch above which `store()` waits for the next batch
   * (backpressure: a receiver that awaits `store` slows down, and its source with it). Default
   * 1,000,000.
   */
  maxBufferedRecords?: number;
  /**
   * Spark's `spark.streaming.receiverRestartDelay`: how long a receiver whose `onStart` failed, or
   * that called `restart` without a delay, waits before starting again. Default 2000 ms.
   */
  restartDelayMs?: number;
}

/**
 * `ssc.receiverStream(receiver)`: the input stream of a custom {@link Receiver} (Spark's
 * ReceiverInputDStream), run by a `ReceiverSupervisorImpl` on the main thread. Stored
 * records wait in the block store (an array) until the next batch takes them; each batch's records
 * become one parallelized RDD.
 */
export class ReceiverInputDStream<T> extends InputDStream<T> {
  readonly receiver: Receiver<T>;
  readonly #maxBuffered: number;
  readonly #restartDelay: number;
  #pending: T[] = [];
  #drained: (() => void)[] = [];
  #supervisor: ReceiverSupervisorImpl<T> | undefined;
  #contextStopped = false;
  #wal: ReceiverWriteAheadLog | undefined;
  #stored = 0;
  #limiter: RateLimiter | undefined;
  #rateController: RateController | undefined;

  constructor(ssc: StreamingContext, receiver: Receiver<T>, opts: ReceiverStreamOptions = {}) {
    super(ssc);
    this.receiver = receiver;
    this.#maxBuffered = Math.max(1, opts.maxBufferedRecords ?? 1_000_000);
    this.#restartDelay = Math.max(0, opts.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS);
  }

  override get kind(): string {
    return 'receiverStream';
  }

  /** Spark's ReceiverInfo of this input's receiver; undefined before start. */
  receiverInfo(): ReceiverInfo | undefined {
    return this.#supervisor?.info;
  }

  /** The receiver's current rate limit in records per second (Infinity when none), as Spark's `getCurrentLimit`. */
  get currentRateLimit(): number {
    return this.#limiter?.rate ?? Number.POSITIVE_INFINITY;
  }

  /** Records stored so far (all monotonic), and whether the receiver is started now. */
  receiverStats(): { connected: boolean; records: number } {
    return { connected: this.#supervisor?.isReceiverStarted() ?? false, records: this.#stored };
  }

  override start(): void {
    const walDir = this.ssc.writeAheadLogDir(this.id);
    if (walDir) {
      this.#wal = new ReceiverWriteAheadLog(walDir);
      this.#pending = this.#wal.recover(this.ssc.recoveredAt) as T[];
    }
    // receiver.maxRate and backpressure, as for socketTextStream: the same limiter and PID controller.
    ({ limiter: this.#limiter, controller: this.#rateController } = receiverRateLimit(this, this.ssc));
    this.#supervisor = new ReceiverSupervisorImpl(this.receiver, this.streamId, this.ssc.listenerBus, {
      push: (records) => this.#push(records),
      restartDelayMs: this.#restartDelay,
    });
    this.#supervisor.start();
  }

  override async stop(): Promise<void> {
    this.#contextStopped = true;
    if (this.#rateController) this.ssc.removeStreamingListener(this.#rateController);
    await this.#supervisor?.shutdown();
    for (const w of this.#drained.splice(0)) w();
  }

  protected compute(time: number): RDD<T> | undefined {
    const records = this.#pending;
    this.#pending = [];
    this.#wal?.assign(time);
    for (const w of this.#drained.splice(0)) w();
    this.noteRecords(time, records.length);
    return this.ssc.sparkContext.parallelize(records);
  }

  override checkpointed(time: number): void {
    this.#wal?.trim(time);
  }

  async #push(records: readonly T[]): Promise<void> {
    if (this.#contextStopped) return;
    // Backpressure: wait while what earlier batches have not taken is over the limit.
    while (this.#pending.length >= this.#maxBuffered && !this.#contextStopped) {
      await new Promise<void>((resolve) => this.#drained.push(resolve));
    }
    // The rate limit: records pass as permits accrue (Spark's BlockGenerator waits per record).
    for (let left = records.length; left > 0 && this.#limiter && !this.#contextStopped; ) {
      left -= this.#limiter.take(left);
      if (left > 0) await new Promise((r) => setTimeout(r, this.#limiter!.waitMs(left)));
    }
    if (this.#contextStopped) return;
    // Logged before it is in the store, so no batch can take a block the log does not have.
    this.#wal?.append(records);
    for (const r of records) this.#pending.push(r);
    this.#stored += records.length;
  }
}
