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
}

/** Spark's StreamingListener: every method optional, called on the main thread. */
export interface StreamingListener {
  onBatchSubmitted?(info: BatchInfo): void;
  onBatchStarted?(info: BatchInfo): void;
  onBatchCompleted?(info: BatchInfo): void;
}
