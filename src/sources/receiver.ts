import { IllegalStateError } from '../errors.js';

/**
 * What runs a {@link Receiver}: the engine's side of Spark's `ReceiverSupervisor`. A receiver only
 * talks to it through the methods of `Receiver`; `ssc.receiverStream` attaches one at start.
 */
export interface ReceiverSupervisor<T> {
  /** Puts records in the block store (and the write-ahead log when on); resolves once they are. */
  pushRecords(records: readonly T[]): Promise<void>;
  reportError(message: string, error: Error | undefined): void;
  restartReceiver(message: string, error: Error | undefined, delayMs: number | undefined): void;
  stop(message: string, error: Error | undefined): void;
  isReceiverStarted(): boolean;
  isReceiverStopped(): boolean;
}

/** Spark's `spark.streaming.receiverRestartDelay` default. */
export const DEFAULT_RESTART_DELAY_MS = 2000;

/** An array of records is a block; anything else (not itself an array) is one record. */
type OneRecord<T> = T extends readonly unknown[] ? never : T;

/**
 * Spark's Receiver: the way to bring any source into a stream. Subclass it, start receiving in
 * {@link Receiver.onStart} (it must not block: start a socket, a timer, an async loop) and
 * release everything in {@link Receiver.onStop}; hand records to `store`. Pass an
 * instance to `ssc.receiverStream(receiver)`.
 *
 * Errors: `reportError` tells listeners and goes on; `restart` calls `onStop`, waits, and calls
 * `onStart` again; `stop` ends receiving for good. An `onStart` that throws (or rejects) is
 * restarted after the restart delay, as Spark's receiver tracker relaunches a failed receiver.
 *
 * A reliable receiver acknowledges its source only once `await this.store(records)` has returned:
 * the records are then in the block store and, with `writeAheadLog: true`, durably logged, so a
 * crash after the acknowledgement loses nothing.
 *
 * @example
 * ```ts
 * class TickReceiver extends Receiver<number> {
 *   #timer?: NodeJS.Timeout;
 *   onStart() { let n = 0; this.#timer = setInterval(() => void this.store(n++), 10); }
 *   onStop() { clearInterval(this.#timer); }
 * }
 * ssc.receiverStream(new TickReceiver()).count().pprint();
 * ```
 */
export abstract class Receiver<T> {
  #supervisor: ReceiverSupervisor<T> | undefined;
  #streamId = -1;

  /** Starts receiving. Must return promptly; receive asynchronously and call `store`. */
  abstract onStart(): void | Promise<void>;

  /** Stops receiving and frees what `onStart` set up. The engine waits for a returned promise. */
  abstract onStop(): void | Promise<void>;

  /** A name for logs and listeners (`ReceiverInfo.name`). Default: the class name and stream id. */
  get name(): string {
    return `${this.constructor.name}-${this.#streamId}`;
  }

  /**
   * Stores one record, or (given an array) a block of records. Resolves once they are in the
   * block store (and in the write-ahead log when it is on); while unprocessed records fill the
   * store it resolves only when batches have taken them, so awaiting it slows the receiver down
   * (backpressure). A record that is itself an array (a pair) goes in a block: `store([[k, v]])`.
   */
  store(records: readonly T[]): Promise<void>;
  store(record: OneRecord<T>): Promise<void>;
  store(x: T | readonly T[]): Promise<void> {
    return this.supervisor.pushRecords(Array.isArray(x) ? (x as readonly T[]) : [x as T]);
  }

  /** Reports an error to listeners (`onReceiverError`); receiving goes on. */
  reportError(message: string, error?: Error): void {
    this.supervisor.reportError(message, error);
  }

  /**
   * Restarts the receiver: `onStop` now, `onStart` after `delayMs` (default the stream's
   * `restartDelayMs`, 2000 ms as in Spark). Returns at once; the message and error reach
   * listeners. Ignored while a restart is pending or after `stop`.
   */
  restart(message: string, error?: Error, delayMs?: number): void {
    this.supervisor.restartReceiver(message, error, delayMs);
  }

  /** Stops the receiver for good (`onStop` is called); the stream's batches go on, empty. */
  stop(message: string, error?: Error): void {
    this.supervisor.stop(message, error);
  }

  /** `onStart` has returned and the receiver has not been stopped since. */
  isStarted(): boolean {
    return this.#supervisor?.isReceiverStarted() ?? false;
  }

  /** The receiver is stopping or stopped: receiving loops should end when this turns true. */
  isStopped(): boolean {
    return this.#supervisor?.isReceiverStopped() ?? true;
  }

  /** The id of the input stream this receiver feeds (Spark's `streamId`); -1 before start. */
  get streamId(): number {
    return this.#streamId;
  }

  /** @internal Called by the engine when the stream starts. */
  attachSupervisor(supervisor: ReceiverSupervisor<T>, streamId: number): void {
    if (this.#supervisor) throw new IllegalStateError(`${this.name}: a receiver can feed only one stream, and only once`);
    this.#supervisor = supervisor;
    this.#streamId = streamId;
  }

  private get supervisor(): ReceiverSupervisor<T> {
    if (!this.#supervisor) {
      throw new IllegalStateError(
        'A ReceiverSupervisor has not been attached to the receiver yet. Maybe you are starting some computation in the receiver before the Receiver.onStart() has been called.',
      );
    }
    return this.#supervisor;
  }
}
