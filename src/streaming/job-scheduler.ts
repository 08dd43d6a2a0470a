import { asOperatorError } from '../errors.js';
import type { Clock } from './clock.js';
import type { OutputJob } from './dstream-graph.js';
import { BatchInfo, OutputOperationInfo, type StateOperatorProgress, type StreamInputInfo } from './listener.js';
import type { StreamingListenerBus } from './listener-bus.js';

/** One batch's work: its state commits and output jobs, already bound to the batch's RDDs. */
export interface JobSet {
  readonly time: number;
  readonly inputInfos: ReadonlyMap<number, StreamInputInfo>;
  readonly submissionTime: number;
  /** State commits, run before the outputs. */
  readonly jobs: readonly (() => Promise<void>)[];
  readonly outputs: readonly OutputJob[];
  /** Filled by the batch's state commits as they run; reported with the batch's completion. */
  readonly stateOperators: readonly StateOperatorProgress[];
  /** Set when generating the batch already failed (a `transform` threw). */
  readonly generationError?: Error;
}

/**
 * Runs batches one at a time, in batch-time order, and each batch's jobs in the order their
 * output operations were registered. A failed job fails its batch, is reported, and the next
 * batches still run, as in Spark. Posts Spark's batch and output operation events.
 */
export class JobScheduler {
  readonly #clock: Clock;
  readonly #bus: StreamingListenerBus;
  readonly #onError: (error: Error) => void;
  /** After a batch's jobs: its checkpoint, if one is due; an error returned fails the batch. */
  readonly #onBatchDone: (time: number) => Error | undefined;
  readonly #queue: JobSet[] = [];
  #running: Promise<void> | undefined;
  #cancelled = false;

  constructor(opts: {
    clock: Clock;
    bus: StreamingListenerBus;
    onError: (error: Error) => void;
    onBatchDone: (time: number) => Error | undefined;
  }) {
    this.#clock = opts.clock;
    this.#bus = opts.bus;
    this.#onError = opts.onError;
    this.#onBatchDone = opts.onBatchDone;
  }

  submit(set: JobSet): void {
    this.#queue.push(set);
    this.#bus.post('onBatchSubmitted', batchInfo(set, pendingOps(set)));
    this.#running ??= this.#drain();
  }

  /** Drops batches not started yet (non-graceful stop). */
  discardPending(): void {
    this.#queue.length = 0;
  }

  /** Stopping for good: drops pending batches and skips the running batch's jobs not started yet. */
  cancel(): void {
    this.#cancelled = true;
    this.discardPending();
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
    const ops = pendingOps(set);
    this.#bus.post('onBatchStarted', batchInfo(set, ops, { start }));
    const failures: Error[] = [];
    const seen = new Set<unknown>();
    if (set.generationError) {
      failures.push(set.generationError);
      for (const [id, op] of ops) ops.set(id, withEnd(op, undefined, undefined, failureReason(set.generationError)));
    } else {
      for (const job of set.jobs) {
        if (this.#cancelled) break;
        try {
          await job();
        } catch (e) {
          // A batch's state update runs once and every output over it awaits that one result:
          // its failure reaches each of them as the same error, reported once.
          if (!seen.has(e)) failures.push(asBatchError(e));
          seen.add(e);
        }
      }
      for (const out of set.outputs) {
        if (this.#cancelled) break;
        const started = withEnd(ops.get(out.id)!, this.#clock.now());
        ops.set(out.id, started);
        this.#bus.post('onOutputOperationStarted', started);
        let reason: string | undefined;
        try {
          await out.run();
        } catch (e) {
          const err = asOperatorError(out.name, e);
          // A failed state update fails its commit and every output that reads the state with the
          // same error: the output fails, and the batch reports the error once.
          if (!seen.has(e)) failures.push(err);
          seen.add(e);
          reason = failureReason(err);
        }
        const done = withEnd(started, started.startTime, this.#clock.now(), reason);
        ops.set(out.id, done);
        this.#bus.post('onOutputOperationCompleted', done);
      }
    }
    const checkpointFailure = this.#onBatchDone(set.time);
    if (checkpointFailure) failures.push(checkpointFailure);
    const end = this.#clock.now();
    for (const f of failures) this.#onError(f);
    this.#bus.post('onBatchCompleted', batchInfo(set, ops, { start, end, failures }));
  }
}

function pendingOps(set: JobSet): Map<number, OutputOperationInfo> {
  return new Map(set.outputs.map((o) => [o.id, new OutputOperationInfo(set.time, o.id, o.name, o.description)]));
}

function withEnd(op: OutputOperationInfo, startTime?: number, endTime?: number, reason?: string): OutputOperationInfo {
  return new OutputOperationInfo(op.batchTime, op.id, op.name, op.description, startTime, endTime, reason);
}

function batchInfo(
  set: JobSet,
  ops: ReadonlyMap<number, OutputOperationInfo>,
  run: { start?: number; end?: number; failures?: Error[] } = {},
): BatchInfo {
  return new BatchInfo({
    batchTime: set.time,
    streamIdToInputInfo: set.inputInfos,
    submissionTime: set.submissionTime,
    processingStartTime: run.start,
    processingEndTime: run.end,
    outputOperationInfos: new Map(ops),
    failures: run.failures ?? [],
    stateOperators: run.end === undefined ? undefined : set.stateOperators,
  });
}

/** Spark's failure reason: the error with its stack. */
function failureReason(e: Error): string {
  return e.stack ?? `${e.name}: ${e.message}`;
}

/**
 * What a failed job other than an output operation (a state commit) fails its batch with: a
 * ChispaError as it is (it names its operator), anything else blamed on `foreachRDD`.
 */
function asBatchError(e: unknown): Error {
  return asOperatorError('foreachRDD', e);
}
