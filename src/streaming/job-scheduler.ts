import { ChispaError, UserFunctionError } from '../errors.js';
import type { Clock } from './clock.js';
import type { BatchInfo, StateOperatorProgress, StreamingListener } from './listener.js';

/** One batch's work: its output jobs, already bound to the batch's RDDs. */
export interface JobSet {
  readonly time: number;
  readonly numRecords: number;
  readonly submissionTime: number;
  readonly jobs: readonly (() => Promise<void>)[];
  /** Filled by the batch's state commits as they run; reported with the batch's completion. */
  readonly stateOperators: readonly StateOperatorProgress[];
  /** Set when generating the batch already failed (a `transform` threw). */
  readonly generationError?: Error;
}

/**
 * Runs batches one at a time, in batch-time order, and each batch's jobs in the order their
 * output operations were registered. A failed job fails its batch, is reported, and the next
 * batches still run, as in Spark.
 */
export class JobScheduler {
  readonly #clock: Clock;
  readonly #listeners: ReadonlySet<StreamingListener>;
  readonly #onError: (error: Error) => void;
  readonly #onBatchDone: (time: number) => void;
  readonly #queue: JobSet[] = [];
  #running: Promise<void> | undefined;

  constructor(opts: {
    clock: Clock;
    listeners: ReadonlySet<StreamingListener>;
    onError: (error: Error) => void;
    onBatchDone: (time: number) => void;
  }) {
    this.#clock = opts.clock;
    this.#listeners = opts.listeners;
    this.#onError = opts.onError;
    this.#onBatchDone = opts.onBatchDone;
  }

  submit(set: JobSet): void {
    this.#queue.push(set);
    this.#emit('onBatchSubmitted', { batchTime: set.time, numRecords: set.numRecords, submissionTime: set.submissionTime, failures: [] });
    this.#running ??= this.#drain();
  }

  /** Drops batches not started yet (non-graceful stop). */
  discardPending(): void {
    this.#queue.length = 0;
  }

  /** Resolves when every submitted batch has finished. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      for (let set = this.#queue.shift(); set; set = this.#queue.shift()) await this.#runBatch(set);
    } finally {
      this.#running = undefined;
    }
  }

  async #runBatch(set: JobSet): Promise<void> {
    const start = this.#clock.now();
    const base = { batchTime: set.time, numRecords: set.numRecords, submissionTime: set.submissionTime };
    this.#emit('onBatchStarted', { ...base, processingStartTime: start, schedulingDelay: start - set.submissionTime, failures: [] });
    const failures: Error[] = set.generationError ? [set.generationError] : [];
    if (!set.generationError) {
      for (const job of set.jobs) {
        try {
          await job();
        } catch (e) {
          failures.push(asBatchError(e));
        }
      }
    }
    const end = this.#clock.now();
    for (const f of failures) this.#onError(f);
    this.#onBatchDone(set.time);
    this.#emit('onBatchCompleted', {
      ...base,
      processingStartTime: start,
      processingEndTime: end,
      schedulingDelay: start - set.submissionTime,
      processingDelay: end - start,
      failures,
      stateOperators: set.stateOperators,
    });
  }

  #emit(event: keyof StreamingListener, info: BatchInfo): void {
    for (const l of this.#listeners) {
      try {
        l[event]?.(info);
      } catch {
        // A listener's own failure must not fail the batch it observes.
      }
    }
  }
}

/** Errors from driver-side output functions (`foreachRDD`) get the operator's name too. */
function asBatchError(e: unknown): Error {
  if (e instanceof ChispaError) return e;
  return new UserFunctionError('foreachRDD', e instanceof Error ? e.message : String(e), { cause: e });
}
