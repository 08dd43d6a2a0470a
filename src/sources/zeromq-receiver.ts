import type { Pull, Subscriber } from 'zeromq';
import { IllegalArgumentError } from '../errors.js';
import { log } from '../log.js';
import { Receiver } from './receiver.js';

/** How `zeromqStream` reads its endpoint. */
export interface ZeroMQStreamOptions<T = string> {
  /** `sub` (default) subscribes to a PUB socket's `topics`; `pull` takes a PUSH socket's share of messages. */
  type?: 'sub' | 'pull';
  /** SUB only: the topic prefixes to subscribe to. Default `['']`: every message. */
  topics?: readonly (string | Buffer)[];
  /**
   * Spark's `bytesToObjects`: a message's frames to records. Default: every frame as a UTF-8 string,
   * after the first (the topic) when a SUB message has more than one frame.
   */
  bytesToObjects?: (frames: Buffer[]) => Iterable<T>;
  /**
   * ZeroMQ's receive high-water mark, in messages (default 1000). While batches have not taken
   * what is stored, the receiver stops reading; then ZeroMQ queues up to this many messages, and
   * past it a PUB drops messages for this subscriber while a PUSH blocks its sender.
   */
  highWaterMark?: number;
  /** First reconnect delay; it doubles up to `reconnectMaxIntervalMs`. Default 100 ms / 5000 ms. */
  reconnectIntervalMs?: number;
  reconnectMaxIntervalMs?: number;
}

type Socket = Subscriber | Pull;

/**
 * Spark's ZeroMQReceiver (`ZeroMQUtils.createStream`): connects a SUB or PULL socket to
 * `endpoint` (`tcp://host:port`, `ipc://…`), turns each message's frames into records and stores
 * them. ZeroMQ reconnects on its own when the peer goes away or is not up yet; each lost connection
 * is reported to listeners (`onReceiverError`).
 */
export class ZeroMQReceiver<T = string> extends Receiver<T> {
  readonly endpoint: string;
  readonly #type: 'sub' | 'pull';
  readonly #topics: readonly (string | Buffer)[];
  readonly #toRecords: (frames: Buffer[]) => Iterable<T>;
  readonly #opts: ZeroMQStreamOptions<T>;
  #socket: Socket | undefined;
  #loop: Promise<void> | undefined;

  constructor(endpoint: string, opts: ZeroMQStreamOptions<T> = {}) {
    super();
    const type = opts.type ?? 'sub';
    if (type !== 'sub' && type !== 'pull') throw new IllegalArgumentError(`zeromqStream: type must be 'sub' or 'pull', got ${String(type)}`);
    if (type === 'pull' && opts.topics !== undefined) throw new IllegalArgumentError('zeromqStream: topics apply to a SUB socket only');
    if (typeof endpoint !== 'string' || !/^[a-z]+:\/\/./.test(endpoint)) {
      throw new IllegalArgumentError(`zeromqStream: endpoint must be a ZeroMQ address such as tcp://127.0.0.1:5555, got ${String(endpoint)}`);
    }
    this.endpoint = endpoint;
    this.#type = type;
    this.#topics = opts.topics ?? [''];
    this.#opts = opts;
    this.#toRecords =
      opts.bytesToObjects ?? ((frames) => (type === 'sub' && frames.length > 1 ? frames.slice(1) : frames).map((f) => f.toString('utf8') as T));
  }

  override get name(): string {
    return `ZeroMQReceiver-${this.streamId}`;
  }

  async onStart(): Promise<void> {
    const zmq = await import('zeromq');
    const options = {
      receiveHighWaterMark: this.#opts.highWaterMark ?? 1000,
      reconnectInterval: this.#opts.reconnectIntervalMs ?? 100,
      reconnectMaxInterval: this.#opts.reconnectMaxIntervalMs ?? 5000,
      linger: 0,
    };
    const socket: Socket = this.#type === 'sub' ? new zmq.Subscriber(options) : new zmq.Pull(options);
    if (socket instanceof zmq.Subscriber) socket.subscribe(...this.#topics);
    socket.events.on('disconnect', () => {
      // The observer can still deliver a disconnect after close(): not an error then.
      if (this.#socket === socket && !this.isStopped()) this.reportError(`connection to ${this.endpoint} lost; reconnecting`);
    });
    socket.connect(this.endpoint);
    this.#socket = socket;
    this.#loop = this.#receive(socket);
  }

  async onStop(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return;
    socket.close();
    await this.#loop;
  }

  /** Reads messages one at a time; awaiting `store` is what stops reading under backpressure. */
  async #receive(socket: Socket): Promise<void> {
    try {
      while (!socket.closed) {
        const frames = await socket.receive();
        let records: T[];
        try {
          records = [...this.#toRecords(frames)];
        } catch (e) {
          // A message the user's decoder rejects is reported and skipped; receiving goes on.
          this.reportError(`bytesToObjects failed on a message from ${this.endpoint}`, e instanceof Error ? e : new Error(String(e)));
          continue;
        }
        if (records.length > 0) await this.store(records);
      }
    } catch (e) {
      if (socket.closed || this.isStopped()) return; // close() rejects the pending receive
      log.debug(`ZeroMQ receive from ${this.endpoint} failed: ${String(e)}`);
      this.restart(`receiving from ${this.endpoint} failed`, e instanceof Error ? e : new Error(String(e)));
    }
  }
}
