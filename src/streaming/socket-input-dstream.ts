import { IllegalArgumentError } from '../errors.js';
import { LineBatchBuilder } from '../memory/line-batch.js';
import { log } from '../log.js';
import type { RDD } from '../rdd/rdd.js';
import type { ReceiverStats, SocketReceiverOptions } from '../sources/socket-receiver.js';
import { SocketTextReceiver } from '../sources/socket-text-receiver.js';
import { DEFAULT_RESTART_DELAY_MS } from '../sources/receiver.js';
import { concatBatches, WriteAheadLog } from '../checkpoint/write-ahead-log.js';
import { LineBatchInputDStream } from './line-batch-input.js';
import type { ReceiverInfo } from './listener.js';
import type { RateLimiter } from '../sources/rate-limiter.js';
import { receiverRateLimit, type RateController } from './rate-controller.js';
import { ReceiverSupervisorImpl } from './receiver-supervisor.js';
import type { StreamingContext } from './streaming-context.js';

export interface SocketTextStreamOptions extends SocketReceiverOptions {
  /** Lines longer than this many bytes are cut there (a warning, and `truncatedLines` counts it). Default 1 MiB. */
  maxLineBytes?: number;
  /**
   * Bytes of received lines not yet processed (kept in shared memory) above which the receiver
   * stops reading the socket until batches are done with theirs, so TCP slows the sender instead
   * of memory growing with any backlog. Default 256 MiB.
   */
  maxBufferedBytes?: number;
}

/**
 * `ssc.socketTextStream`: a TCP client whose lines land in shared-memory segments on the main
 * thread; at each batch time the lines received so far are cut into a batch, and the batch into
 * `defaultParallelism` partitions of about equal bytes, at line boundaries.
 */
export class SocketInputDStream extends LineBatchInputDStream {
  readonly host: string;
  readonly port: number;
  readonly #opts: SocketTextStreamOptions;
  #builder: LineBatchBuilder | undefined;
  #receiver: SocketTextReceiver | undefined;
  #supervisor: ReceiverSupervisorImpl<string> | undefined;
  #wal: WriteAheadLog | undefined;
  #replay: number[] = [];
  #limiter: RateLimiter | undefined;
  #rateController: RateController | undefined;

  constructor(ssc: StreamingContext, host: string, port: number, opts: SocketTextStreamOptions = {}) {
    // Checked where the stream is defined, not when the receiver starts.
    const operator = 'socketTextStream';
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new IllegalArgumentError(`${operator}: port must be an integer in 1..65535, got ${port}`, { operator });
    }
    if (opts.maxLineBytes !== undefined && !(opts.maxLineBytes > 0)) {
      throw new IllegalArgumentError(`${operator}: maxLineBytes must be a positive number of bytes, got ${opts.maxLineBytes}`, { operator });
    }
    super(ssc);
    this.host = host;
    this.port = port;
    this.#opts = opts;
  }

  /**
   * Receiver counters: connection state, lines and bytes received, and the anomalies it survived
   * (lines truncated, resets, reconnects, partial lines dropped, invalid UTF-8 lines).
   */
  receiverStats(): ReceiverStats {
    return (
      this.#receiver?.connection.stats ?? {
        connected: false, connects: 0, lines: 0, bytes: 0, truncatedLines: 0, pauses: 0,
        resets: 0, reconnects: 0, droppedPartialLines: 0, invalidUtf8Lines: 0,
      }
    );
  }

  /** The receiver (a {@link SocketTextReceiver} on the Receiver API); undefined before start. */
  get receiver(): SocketTextReceiver | undefined {
    return this.#receiver;
  }

  /** Spark's ReceiverInfo of this input's receiver; undefined before start. */
  receiverInfo(): ReceiverInfo | undefined {
    return this.#supervisor?.info;
  }

  /** The receiver's current rate limit in records per second (Infinity when none), as Spark's `getCurrentLimit`. */
  get currentRateLimit(): number {
    return this.#limiter?.rate ?? Number.POSITIVE_INFINITY;
  }

  override get kind(): string {
    return 'socketTextStream';
  }

  override start(): void {
    const walDir = this.ssc.writeAheadLogDir(this.id);
    if (walDir) {
      this.#wal = new WriteAheadLog(walDir);
      // Batches logged after the checkpoint we recovered from (all, without one) were received
      // but their effect was not saved: they are replayed. Older ones are already in the state.
      const after = this.ssc.recoveredAt ?? Number.NEGATIVE_INFINITY;
      this.#replay = this.#wal.times().filter((t) => t > after);
    }
    const max = this.#opts.maxLineBytes ?? 1024 * 1024;
    this.#builder = new LineBatchBuilder(this.pool, {
      maxLineBytes: max,
      onTruncate: () => log.warn(`socketTextStream ${this.host}:${this.port}: a line longer than ${max} bytes was cut to ${max} bytes`),
    });
    const limit = this.#opts.maxBufferedBytes ?? 256 * 1024 * 1024;
    ({ limiter: this.#limiter, controller: this.#rateController } = receiverRateLimit(this, this.ssc));
    const builder = this.#builder;
    this.#receiver = new SocketTextReceiver(this.host, this.port, builder, {
      ...this.#opts,
      rateLimiter: this.#limiter,
      // The segment being filled does not count: it is always there, so a limit below one segment
      // would otherwise stop reading for good.
      backpressure: { isFull: () => this.pool.bytesInUse - this.pool.byteCapacity > limit, onDrain: (l) => this.pool.onRelease(l) },
    });
    this.#supervisor = new ReceiverSupervisorImpl(this.#receiver, this.streamId, this.ssc.listenerBus, {
      // store(lines) on the socket receiver: each string a line, in the same shared-memory builder.
      push: async (lines) => {
        for (const line of lines) {
          const bytes = Buffer.from(line);
          builder.append(bytes, 0, bytes.length);
          builder.endLine();
        }
      },
      restartDelayMs: DEFAULT_RESTART_DELAY_MS,
      logReportedErrors: false, // the connection logs its own, once per streak of failures
      stats: () => this.receiverStats(),
    });
    this.#supervisor.start();
  }

  override async stop(): Promise<void> {
    if (this.#rateController) this.ssc.removeStreamingListener(this.#rateController);
    await this.#supervisor?.shutdown();
  }

  override dispose(): void {
    super.dispose();
    this.#builder?.dispose();
  }

  protected compute(time: number): RDD<string> | undefined {
    if (!this.#builder) return undefined;
    let batch = this.#builder.cut();
    if (this.#wal) {
      const due = this.#replay.filter((t) => t <= time);
      this.#replay = this.#replay.filter((t) => t > time);
      if (due.length > 0) batch = concatBatches([...due.flatMap((t) => this.#wal!.read(t, this.pool) ?? []), batch], this.pool);
      this.#wal.append(time, batch);
      // Older logged batches now live inside batch `time`'s record: keep one copy only.
      for (const t of due) if (t !== time) this.#wal.remove(t);
    }
    return this.batchRDD(time, batch);
  }

  override checkpointed(time: number): void {
    this.#wal?.trim(time);
  }
}
