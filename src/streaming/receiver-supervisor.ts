import { hostname } from 'node:os';
import { log } from '../log.js';
import type { Receiver, ReceiverSupervisor } from '../sources/receiver.js';
import type { ReceiverInfo } from './listener.js';
import type { StreamingListenerBus } from './listener-bus.js';

export interface SupervisorOptions<T> {
  /** Where stored records go (the input's block store). */
  push(records: readonly T[]): Promise<void>;
  /** How long a failed start, or a `restart` without a delay, waits. */
  restartDelayMs: number;
  /** Log `reportError` calls as warnings (Spark does); off for receivers that log their own. */
  logReportedErrors?: boolean;
  /** The receiver's counters, attached to its `onReceiverError` events. */
  stats?: () => ReceiverInfo['stats'];
}

type State = 'initialized' | 'started' | 'stopped';

/**
 * Runs one {@link Receiver} on the main thread: Spark's ReceiverSupervisorImpl and the receiver
 * tracker's part in one. It starts and stops the receiver, restarts it when asked (or when
 * `onStart` fails, as the tracker relaunches a failed receiver), keeps its `ReceiverInfo`, and
 * posts `onReceiverStarted` / `onReceiverError` / `onReceiverStopped` on the listener bus.
 */
export class ReceiverSupervisorImpl<T> implements ReceiverSupervisor<T> {
  readonly receiver: Receiver<T>;
  readonly #bus: StreamingListenerBus;
  readonly #opts: SupervisorOptions<T>;
  #info: ReceiverInfo;
  #state: State = 'initialized';
  #restarting: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined; // the current onStop call
  #halted = false; // the receiver stopped itself, or the context stopped it: no restart

  constructor(receiver: Receiver<T>, streamId: number, bus: StreamingListenerBus, opts: SupervisorOptions<T>) {
    this.receiver = receiver;
    this.#bus = bus;
    this.#opts = opts;
    receiver.attachSupervisor(this, streamId);
    this.#info = {
      streamId,
      name: receiver.name,
      active: false,
      location: hostname(),
      executorId: 'driver',
      lastErrorMessage: '',
      lastError: '',
      lastErrorTime: -1,
    };
  }

  /** Spark's ReceiverInfo as of the last event. */
  get info(): ReceiverInfo {
    return this.#info;
  }

  /** Starts the receiver (once). */
  start(): void {
    if (this.#state === 'initialized') this.#startReceiver();
  }

  /** Stops the receiver for good, as the context stops; resolves once `onStop` has returned. */
  async shutdown(): Promise<void> {
    this.#halted = true;
    clearTimeout(this.#restarting);
    await this.#stopReceiver('Stopped by driver', undefined);
  }

  // ---- ReceiverSupervisor, what the receiver calls ----

  pushRecords(records: readonly T[]): Promise<void> {
    return this.#opts.push(records);
  }

  reportError(message: string, error: Error | undefined): void {
    if (this.#opts.logReportedErrors ?? true) log.warn(`receiver ${this.receiver.name} reported an error: ${describe(message, error)}`);
    this.#post('onReceiverError', { ...errorFields(message, error), ...(this.#opts.stats ? { stats: this.#opts.stats() } : {}) });
  }

  /** Spark's restartReceiver: onStop now, onStart after `delayMs`; one restart at a time. */
  restartReceiver(message: string, error: Error | undefined, delayMs = this.#opts.restartDelayMs): void {
    if (this.#state !== 'started' || this.#halted) return;
    log.warn(`restarting receiver ${this.receiver.name} in ${delayMs} ms: ${describe(message, error)}`);
    void this.#stopReceiver(`Restarting receiver with delay ${delayMs} ms: ${message}`, error ?? new Error(message)).then(() => {
      if (this.#halted) return;
      this.#restarting = setTimeout(() => {
        this.#restarting = undefined;
        if (!this.#halted) this.#startReceiver();
      }, delayMs);
    });
  }

  stop(message: string, error: Error | undefined): void {
    this.#halted = true;
    clearTimeout(this.#restarting);
    void this.#stopReceiver(message, error);
  }

  isReceiverStarted(): boolean {
    return this.#state === 'started';
  }

  isReceiverStopped(): boolean {
    return this.#state === 'stopped';
  }

  // ---- internal ----

  #post(event: 'onReceiverStarted' | 'onReceiverError' | 'onReceiverStopped', change: Partial<ReceiverInfo>): void {
    this.#info = { ...this.#info, ...change };
    this.#bus.post(event, this.#info);
  }

  /** Spark's startReceiver; a failing onStart is restarted after the default delay. */
  #startReceiver(): void {
    this.#state = 'started';
    this.#post('onReceiverStarted', { active: true });
    const failed = (e: unknown) => this.restartReceiver(`Error starting receiver ${this.#info.streamId}`, asError(e));
    try {
      const started = this.receiver.onStart();
      if (started instanceof Promise) started.catch(failed);
    } catch (e) {
      failed(e);
    }
  }

  /** Spark's stopReceiver: marks it stopped, calls onStop, tells listeners. */
  #stopReceiver(message: string, error: Error | undefined): Promise<void> {
    if (this.#state !== 'started') return this.#stopping ?? Promise.resolve();
    this.#state = 'stopped';
    log.info(`stopping receiver ${this.receiver.name}: ${describe(message, error)}`);
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
}

function describe(message: string, error: Error | undefined): string {
  return error && error.message !== message ? `${message}: ${error.message}` : message;
}

function errorFields(message: string, error: Error | undefined): Partial<ReceiverInfo> {
  return { lastErrorMessage: message, lastError: error ? String(error) : message, lastErrorTime: Date.now() };
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
