import type { ReceiverStats } from '../sources/socket-receiver.js';
/**
 * Spark's streaming listener interface and the info objects it hands out, with Spark's names
 * (`org.apache.spark.streaming.scheduler`). Times are epoch milliseconds, delays milliseconds.
 * Where Spark passes an event wrapper (`batchCompleted.batchInfo`), chispa passes the info itself.
 */

/** What one input stream contributed to a batch, as Spark's StreamInputInfo. */
export interface StreamInputInfo {
  /** The input's stream id: its position among the context's inputs (0, 1, …). */
  readonly inputStreamId: number;
  /** Records it contributed (lines for a socket or files, items for a queue). */
  readonly numRecords: number;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/**
 * One output operation of a batch (a `pprint`, `foreachRDD`, `saveAsTextFiles`), as Spark's
 * OutputOperationInfo: `id` is its position among the context's output operations.
 */
export class OutputOperationInfo {
  constructor(
    readonly batchTime: number,
    readonly id: number,
    /** The operation: `pprint`, `foreachRDD`, `saveAsTextFiles`. */
    readonly name: string,
    /** Where the program registered it (`file:line`). */
    readonly description: string,
    readonly startTime?: number,
    readonly endTime?: number,
    /** The error's stack when the operation failed. */
    readonly failureReason?: string,
  ) {}

  /** `endTime - startTime` once the operation has finished. */
  get duration(): number | undefined {
    return this.startTime !== undefined && this.endTime !== undefined ? this.endTime - this.startTime : undefined;
  }
}

/** What chispa's listener learns of each batch, as Spark's BatchInfo plus `failures` and `stateOperators`. */
export class BatchInfo {
  readonly batchTime: number;
  /** Per input stream id, what it contributed. */
  readonly streamIdToInputInfo: ReadonlyMap<number, StreamInputInfo>;
  /** When the batch was handed to the job scheduler. */
  readonly submissionTime: number;
  /** When its first job started; undefined until then. */
  readonly processingStartTime?: number;
  /** When its last job ended; undefined until then. */
  readonly processingEndTime?: number;
  /** Per output operation id, how it went. */
  readonly outputOperationInfos: ReadonlyMap<number, OutputOperationInfo>;
  /** chispa: errors of the batch's jobs (state commits and outputs); empty when every job succeeded. */
  readonly failures: readonly Error[];
  /** chispa: what each stateful operator did in the batch (on completion; operators that ran only). */
  readonly stateOperators?: readonly StateOperatorProgress[];

  constructor(init: {
    batchTime: number;
    streamIdToInputInfo: ReadonlyMap<number, StreamInputInfo>;
    submissionTime: number;
    processingStartTime?: number;
    processingEndTime?: number;
    outputOperationInfos?: ReadonlyMap<number, OutputOperationInfo>;
    failures?: readonly Error[];
    stateOperators?: readonly StateOperatorProgress[];
  }) {
    this.batchTime = init.batchTime;
    this.streamIdToInputInfo = init.streamIdToInputInfo;
    this.submissionTime = init.submissionTime;
    this.processingStartTime = init.processingStartTime;
    this.processingEndTime = init.processingEndTime;
    this.outputOperationInfos = init.outputOperationInfos ?? new Map();
    this.failures = init.failures ?? [];
    this.stateOperators = init.stateOperators;
  }

  /** Time the batch waited for earlier batches: `processingStartTime - submissionTime`. */
  get schedulingDelay(): number | undefined {
    return this.processingStartTime === undefined ? undefined : this.processingStartTime - this.submissionTime;
  }

  /** Time its jobs took: `processingEndTime - processingStartTime`. */
  get processingDelay(): number | undefined {
    return this.processingEndTime === undefined || this.processingStartTime === undefined
      ? undefined
      : this.processingEndTime - this.processingStartTime;
  }

  /** `schedulingDelay + processingDelay`. */
  get totalDelay(): number | undefined {
    const s = this.schedulingDelay;
    const p = this.processingDelay;
    return s === undefined || p === undefined ? undefined : s + p;
  }

  /** Records all inputs contributed. */
  get numRecords(): number {
    let n = 0;
    for (const i of this.streamIdToInputInfo.values()) n += i.numRecords;
    return n;
  }
}

/**
 * One stateful operator's work in a batch, as Spark's StateOperatorProgress: how big its state is
 * and how much of it the batch computed. An incremental window updates only the keys of the
 * batches that enter and leave it; `updateStateByKey` calls its function for every key.
 */
export interface StateOperatorProgress {
  /** The id its state is checkpointed under (`updateStateByKey#0`, or its `.name()`). */
  readonly id: string;
  /** `updateStateByKey`, `mapWithState` or `reduceByKeyAndWindow`. */
  readonly operator: string;
  /** Keys in the state after the batch. */
  readonly numRowsTotal: number;
  /** Keys whose state the batch computed; the others were carried over as they were. */
  readonly numRowsUpdated: number;
}

/** A receiver's state, as Spark's ReceiverInfo. */
export interface ReceiverInfo {
  /** The stream id of its input (see {@link StreamInputInfo.inputStreamId}). */
  readonly streamId: number;
  /** `SocketReceiver-<streamId>`. */
  readonly name: string;
  /** Started and not stopped (a receiver reconnecting after an error stays active, as in Spark). */
  readonly active: boolean;
  /** Where it runs: this process's host. */
  readonly location: string;
  readonly executorId: string;
  /** What went wrong last (`cannot connect to host:port`); '' when nothing has. */
  readonly lastErrorMessage: string;
  /** The error itself (`Error: connect ECONNREFUSED …`); '' when nothing has. */
  readonly lastError: string;
  /** When; -1 when nothing has. */
  readonly lastErrorTime: number;
  /**
   * The receiver's counters when the error was posted (chispa's addition): resets, reconnects,
   * partial lines dropped, truncated and invalid UTF-8 lines, as `receiverStats()` gives them.
   */
  readonly stats?: ReceiverStats;
}

/** Spark's StreamingListenerStreamingStarted. */
export interface StreamingStartedInfo {
  /** When `start()` was called. */
  readonly time: number;
}

/**
 * Spark's StreamingListener: every method optional, called on the main thread, in order. A
 * listener that throws is logged and the job goes on.
 *
 * Order for a job: `onStreamingStarted`, `onReceiverStarted` (each receiver), then per batch
 * `onBatchSubmitted`, `onBatchStarted`, per output operation `onOutputOperationStarted` /
 * `onOutputOperationCompleted`, `onBatchCompleted`; `onReceiverError` when a receiver's connection
 * fails, and `onReceiverStopped` at `stop()`.
 */
export interface StreamingListener {
  onStreamingStarted?(info: StreamingStartedInfo): void;
  onReceiverStarted?(info: ReceiverInfo): void;
  onReceiverError?(info: ReceiverInfo): void;
  onReceiverStopped?(info: ReceiverInfo): void;
  onBatchSubmitted?(info: BatchInfo): void;
  onBatchStarted?(info: BatchInfo): void;
  onBatchCompleted?(info: BatchInfo): void;
  onOutputOperationStarted?(info: OutputOperationInfo): void;
  onOutputOperationCompleted?(info: OutputOperationInfo): void;
}
