import { LineBatchBuilder } from '../memory/line-batch.js';
import { log } from '../log.js';
import type { RDD } from '../rdd/rdd.js';
import { SocketReceiver, type ReceiverStats, type SocketReceiverOptions } from '../sources/socket-receiver.js';
import { LineBatchInputDStream } from './line-batch-input.js';
import type { StreamingContext } from './streaming-context.js';

export { splitLines } from './line-batch-input.js';

export interface SocketTextStreamOptions extends SocketReceiverOptions {
  /** Lines longer than this many bytes are cut there (a warning, and `truncatedLines` counts it). Default 1 MiB. */
  maxLineBytes?: number;
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
  #receiver: SocketReceiver | undefined;

  constructor(ssc: StreamingContext, host: string, port: number, opts: SocketTextStreamOptions = {}) {
    super(ssc);
    this.host = host;
    this.port = port;
    this.#opts = opts;
  }

  /** Receiver counters: connection state, lines and bytes received, lines truncated. */
  receiverStats(): ReceiverStats {
    return this.#receiver?.stats ?? { connected: false, connects: 0, lines: 0, bytes: 0, truncatedLines: 0 };
  }

  override start(): void {
    const max = this.#opts.maxLineBytes ?? 1024 * 1024;
    this.#builder = new LineBatchBuilder(this.pool, {
      maxLineBytes: max,
      onTruncate: () => log.warn(`socketTextStream ${this.host}:${this.port}: a line longer than ${max} bytes was cut to ${max} bytes`),
    });
    this.#receiver = new SocketReceiver(this.host, this.port, this.#builder, this.#opts);
    this.#receiver.start();
  }

  override async stop(): Promise<void> {
    await this.#receiver?.stop();
  }

  override dispose(): void {
    super.dispose();
    this.#builder?.dispose();
  }

  protected compute(time: number): RDD<string> | undefined {
    if (!this.#builder) return undefined;
    return this.batchRDD(time, this.#builder.cut());
  }
}
