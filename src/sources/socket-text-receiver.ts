import type { LineBatchBuilder } from '../memory/line-batch.js';
import { Receiver } from './receiver.js';
import { SocketReceiver, type SocketReceiverOptions } from './socket-receiver.js';

/**
 * Spark's SocketReceiver on the Receiver API: `socketTextStream`'s receiver. Its connection is a
 * `SocketReceiver`, which reconnects with backoff by itself and writes the bytes it reads,
 * undecoded, into the input's shared-memory line builder (the socket's `store(bytes)`); failures go
 * to listeners through `reportError`, so a reconnecting receiver stays active, as in Spark.
 * `store(lines)` works too: each string becomes a line in the same builder.
 */
export class SocketTextReceiver extends Receiver<string> {
  readonly host: string;
  readonly port: number;
  readonly #builder: LineBatchBuilder;
  readonly #opts: SocketReceiverOptions;
  #connection: SocketReceiver;
  #stopped = false; // the current connection was stopped: a restart needs a new one

  constructor(host: string, port: number, builder: LineBatchBuilder, opts: SocketReceiverOptions = {}) {
    super();
    this.host = host;
    this.port = port;
    this.#builder = builder;
    this.#opts = opts;
    // Validates the port now, where the stream is defined, as before.
    this.#connection = new SocketReceiver(host, port, builder, this.#connectionOptions());
  }

  override get name(): string {
    return `SocketReceiver-${this.streamId}`;
  }

  /** The latest connection, whose counters `receiverStats()` reports. */
  get connection(): SocketReceiver {
    return this.#connection;
  }

  onStart(): void {
    // A restarted receiver gets a fresh connection: a stopped SocketReceiver stays stopped.
    if (this.#stopped) this.#connection = new SocketReceiver(this.host, this.port, this.#builder, this.#connectionOptions());
    this.#stopped = false;
    this.#connection.start();
  }

  onStop(): Promise<void> {
    this.#stopped = true;
    return this.#connection.stop();
  }

  #connectionOptions(): SocketReceiverOptions {
    return { ...this.#opts, onError: (message, error) => this.reportError(message, error) };
  }
}
