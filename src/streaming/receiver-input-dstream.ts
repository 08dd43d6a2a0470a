import { hostname } from 'node:os';
import { log } from '../log.js';
import type { RDD } from '../rdd/rdd.js';
import { DEFAULT_RESTART_DELAY_MS, type Receiver, type ReceiverSupervisor } from '../sources/receiver.js';
import { ReceiverWriteAheadLog } from '../sources/receiver-wal.js';
import { InputDStream } from './input-dstream.js';
import type { ReceiverInfo } from './listener.js';
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

type State = 'initialized' | 'started' | 'stopped';

/**
 * `ssc.receiverStream(receiver)`: the input stream of a custom {@link Receiver}, and its
 * supervisor (Spark's ReceiverInputDStream, ReceiverSupervisorImpl and the receiver tracker's part
 * in one, since receivers run on the main thread). Stored records wait in the block store (an
 * array) until the next batch takes them; each batch's records become one parallelized RDD.
 */
export class ReceiverInputDStream<T> extends InputDStream<T> {
  readonly receiver: Receiver<T>;
  readonly #maxBuffered: number;
  readonly #restartDelay: number;
  #pending: T[] = [];
  #drained: (() => void)[] = [];
  #state: State = 'initialized';
  #restarting: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined; // the current onStop call
  #contextStopped = false;
  #halted = false; // the receiver stopped itself: no restart
  #wal: ReceiverWriteAheadLog | undefined;
  #info: ReceiverInfo | undefined;
  #stored = 0;

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
    return this.#info;
  }

  /** Records stored so far (all monotonic), and whether the receiver is started now. */
  receiverStats(): { connected: boolean; records: number } {
    return { connected: this.#state === 'started', records: this.#stored };
  }

  override start(): void {
    const walDir = this.ssc.writeAheadLogDir(this.id);
    if (walDir) {
      this.#wal = new ReceiverWriteAheadLog(walDir);
      this.#pending = this.#wal.recover(this.ssc.recoveredAt) as T[];
    }
    this.receiver.attachSupervisor(this.#supervisor(), this.streamId);
    this.#info = {
      streamId: this.streamId,
      name: this.receiver.name,
      active: false,
      location: hostname(),
      executorId: 'driver',
      lastErrorMessage: '',
      lastError: '',
      lastErrorTime: -1,
    };
    this.#startReceiver();
  }

  override async stop(): Promise<void> {
    this.#contextStopped = true;
    clearTimeout(this.#restarting);
    await this.#stopReceiver('Stopped by driver', undefined);
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

  #supervisor(): ReceiverSupervisor<T> {
    return {
      pushRecords: (records) => this.#push(records),
      reportError: (message, error) => {
        log.warn(`receiver ${this.receiver.name} reported an error: ${message}${error ? `: ${error.message}` : ''}`);
        this.#post('onReceiverError', errorFields(message, error));
      },
      restartReceiver: (message, error, delayMs) => this.#restart(message, error, delayMs),
      stop: (message, error) => {
        this.#halted = true;
        clearTimeout(this.#restarting);
        void this.#stopReceiver(message, error);
      },
      isReceiverStarted: () => this.#state === 'started',
      isReceiverStopped: () => this.#state === 'stopped',
    };
  }

  async #push(records: readonly T[]): Promise<void> {
    if (this.#contextStopped) return;
    // Backpressure: wait while what earlier batches have not taken is over the limit.
    while (this.#pending.length >= this.#maxBuffered && !this.#contextStopped) {
      await new Promise<void>((resolve) => this.#drained.push(resolve));
    }
    if (this.#contextStopped) return;
    // Logged before it is in the store, so no batch can take a block the log does not have.
    this.#wal?.append(records);
    for (const r of records) this.#pending.push(r);
    this.#stored += records.length;
  }

  #post(event: 'onReceiverStarted' | 'onReceiverError' | 'onReceiverStopped', change: Partial<ReceiverInfo>): void {
    this.#info = { ...this.#info!, ...change };
    this.ssc.listenerBus.post(event, this.#info);
  }

  /** Spark's startReceiver; a failing onStart is restarted after the default delay, as the tracker does. */
  #startReceiver(): void {
    if (this.#contextStopped) return;
    this.#state = 'started';
    this.#post('onReceiverStarted', { active: true });
    let started: void | Promise<void>;
    try {
      started = this.receiver.onStart();
    } catch (e) {
      this.#restart(`Error starting receiver ${this.streamId}`, asError(e));
      return;
    }
    if (started instanceof Promise) {
      started.catch((e: unknown) => this.#restart(`Error starting receiver ${this.streamId}`, asError(e)));
    }
  }

  /** Spark's stopReceiver: marks it stopped, calls onStop, tells listeners. */
  #stopReceiver(message: string, error: Error | undefined): Promise<void> {
    if (this.#state !== 'started') return this.#stopping ?? Promise.resolve();
    this.#state = 'stopped';
    log.info(`stopping receiver ${this.receiver.name}: ${message}${error ? `: ${error.message}` : ''}`);
    this.#stopping = (async () => {
      try {
        await this.receiver.onStop();
      } catch (e) {
        log.error(`error stopping receiver ${this.receiver.name}: ${asError(e).message}`);
      }
      this.#post('onReceiverStopped', { active: false, ...(error ? errorFields(message, error) : {}) });
    })();
    return this.#stopping;
  }

  /** Spark's restartReceiver: onStop now, onStart after `delayMs`; one restart at a time. */
  #restart(message: string, error: Error | undefined, delayMs = this.#restartDelay): void {
    if (this.#state !== 'started' || this.#contextStopped) return;
    log.warn(`restarting receiver ${this.receiver.name} in ${delayMs} ms: ${message}${error ? `: ${error.message}` : ''}`);
    void this.#stopReceiver(`Restarting receiver with delay ${delayMs} ms: ${message}`, error ?? new Error(message)).then(() => {
      if (this.#contextStopped || this.#halted) return;
      this.#restarting = setTimeout(() => {
        this.#restarting = undefined;
        if (!this.#contextStopped && !this.#halted) this.#startReceiver();
      }, delayMs);
    });
  }
}

function errorFields(message: string, error: Error | undefined): Partial<ReceiverInfo> {
  return { lastErrorMessage: message, lastError: error ? String(error) : message, lastErrorTime: Date.now() };
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
