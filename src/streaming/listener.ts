/** What a streaming listener learns of each batch; times in epoch ms, delays in ms. */
export interface BatchInfo {
  readonly batchTime: number;
  /** Records the inputs contributed (lines for a socket, items for a queue). */
  readonly numRecords: number;
  readonly submissionTime: number;
  readonly processingStartTime?: number;
  readonly processingEndTime?: number;
  /** Time the batch waited for earlier batches. */
  readonly schedulingDelay?: number;
  readonly processingDelay?: number;
  /** Errors of the batch's jobs; empty when every job succeeded. */
  readonly failures: readonly Error[];
  /** What each stateful operator did in the batch (on completion; operators that ran only). */
  readonly stateOperators?: readonly StateOperatorProgress[];
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

/** Spark's StreamingListener: every method optional, called on the main thread. */
export interface StreamingListener {
  onBatchSubmitted?(info: BatchInfo): void;
  onBatchStarted?(info: BatchInfo): void;
  onBatchCompleted?(info: BatchInfo): void;
}
