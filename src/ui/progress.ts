import { ReceiverInputDStream } from '../streaming/receiver-input-dstream.js';
import { SocketInputDStream } from '../streaming/socket-input-dstream.js';
import { BatchInfo, type OutputOperationInfo, type ReceiverInfo, type StateOperatorProgress, type StreamingListener } from '../streaming/listener.js';
import type { StreamingContext } from '../streaming/streaming-context.js';

/** Spark's default `spark.streaming.ui.retainedBatches`. */
export const DEFAULT_RETAINED_BATCHES = 1000;

/**
 * What the UI, its JSON API and /metrics show, as Spark's StreamingJobProgressListener: batches
 * waiting, running and the last `retainedBatches` completed, totals since start, receivers, and
 * the newest progress of each stateful operator. A listener on the context, so everything in it
 * comes from the same events any StreamingListener sees.
 */
export class StreamingProgress implements StreamingListener {
  readonly ssc: StreamingContext;
  readonly retainedBatches: number;
  startTime: number | undefined;
  readonly waiting = new Map<number, BatchInfo>();
  readonly running = new Map<number, BatchInfo>();
  /** Oldest first. */
  readonly completed: BatchInfo[] = [];
  numTotalCompletedBatches = 0;
  numTotalFailedBatches = 0;
  numTotalProcessedRecords = 0;
  numTotalReceivedRecords = 0;
  readonly receivers = new Map<number, ReceiverInfo>();
  readonly stateOperators = new Map<string, StateOperatorProgress>();
  readonly #observers = new Set<(info: BatchInfo) => void>();

  constructor(ssc: StreamingContext, retainedBatches = DEFAULT_RETAINED_BATCHES) {
    this.ssc = ssc;
    this.retainedBatches = Math.max(1, Math.floor(retainedBatches));
    // A UI started after the context catches up with what it cannot have heard.
    this.startTime = ssc.startTime;
    for (const input of ssc.graph.inputs) {
      const info = input instanceof SocketInputDStream || input instanceof ReceiverInputDStream ? input.receiverInfo() : undefined;
      if (info) this.receivers.set(info.streamId, info);
    }
  }

  get batchDuration(): number {
    return this.ssc.batchDurationMs;
  }

  /** Called with each completed batch, after the totals are updated. */
  onCompleted(fn: (info: BatchInfo) => void): void {
    this.#observers.add(fn);
  }

  /** Receiver inputs (socket streams), by stream id. */
  get receiverStreams(): SocketInputDStream[] {
    return this.ssc.graph.inputs.filter((i): i is SocketInputDStream => i instanceof SocketInputDStream);
  }

  onStreamingStarted(e: { time: number }): void {
    this.startTime = e.time;
  }

  onReceiverStarted(r: ReceiverInfo): void {
    this.receivers.set(r.streamId, r);
  }

  onReceiverError(r: ReceiverInfo): void {
    this.receivers.set(r.streamId, r);
  }

  onReceiverStopped(r: ReceiverInfo): void {
    this.receivers.set(r.streamId, r);
  }

  onBatchSubmitted(b: BatchInfo): void {
    this.waiting.set(b.batchTime, b);
    this.numTotalReceivedRecords += b.numRecords;
  }

  onBatchStarted(b: BatchInfo): void {
    this.waiting.delete(b.batchTime);
    this.running.set(b.batchTime, b);
  }

  onOutputOperationStarted(o: OutputOperationInfo): void {
    this.#updateOp(o);
  }

  onOutputOperationCompleted(o: OutputOperationInfo): void {
    this.#updateOp(o);
  }

  onBatchCompleted(b: BatchInfo): void {
    this.waiting.delete(b.batchTime);
    this.running.delete(b.batchTime);
    this.completed.push(b);
    if (this.completed.length > this.retainedBatches) this.completed.shift();
    this.numTotalCompletedBatches++;
    if (b.failures.length > 0) this.numTotalFailedBatches++;
    this.numTotalProcessedRecords += b.numRecords;
    for (const s of b.stateOperators ?? []) this.stateOperators.set(s.id, s);
    for (const fn of this.#observers) fn(b);
  }

  /** Every retained batch, any status. */
  batch(time: number): { info: BatchInfo; status: 'COMPLETED' | 'QUEUED' | 'PROCESSING' } | undefined {
    const running = this.running.get(time);
    if (running) return { info: running, status: 'PROCESSING' };
    const waiting = this.waiting.get(time);
    if (waiting) return { info: waiting, status: 'QUEUED' };
    const done = this.completed.find((b) => b.batchTime === time);
    return done && { info: done, status: 'COMPLETED' };
  }

  /** A running batch's view with its output operations as they progress. */
  #updateOp(o: OutputOperationInfo): void {
    const b = this.running.get(o.batchTime);
    if (!b) return;
    const ops = new Map(b.outputOperationInfos);
    ops.set(o.id, o);
    this.running.set(o.batchTime, new BatchInfo({ ...b, outputOperationInfos: ops }));
  }
}
