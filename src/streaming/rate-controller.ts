import { RateLimiter } from '../sources/rate-limiter.js';
import type { InputDStream } from './input-dstream.js';
import type { BatchInfo, StreamingListener } from './listener.js';
import { PIDRateEstimator, type PIDOptions } from './pid-rate-estimator.js';

/** Spark's `spark.streaming.backpressure.*` settings. */
export interface BackpressureOptions {
  /** `backpressure.enabled`: let each receiver's rate follow what batches manage to process. Default false. */
  enabled?: boolean;
  /** `backpressure.initialRate`: records per second per receiver before the first estimate. Default: `receiver.maxRate`. */
  initialRate?: number;
  /** `backpressure.pid.*`: the estimator's terms (Spark's defaults: 1.0, 0.2, 0.0, minRate 100). */
  pid?: PIDOptions;
}

/**
 * Spark's `RateController` for one receiver input: a listener that, on each completed batch, feeds
 * the input's record count and the batch's delays to a {@link PIDRateEstimator} and publishes the
 * new rate to the receiver's {@link RateLimiter} (capped there at `receiver.maxRate`).
 */
export class ReceiverRateController implements StreamingListener {
  readonly #input: InputDStream<unknown>;
  readonly #estimator: PIDRateEstimator;
  readonly #limiter: RateLimiter;
  #latestRate = -1;

  constructor(input: InputDStream<unknown>, batchIntervalMs: number, limiter: RateLimiter, pid?: PIDOptions) {
    this.#input = input;
    this.#estimator = new PIDRateEstimator(batchIntervalMs, pid);
    this.#limiter = limiter;
  }

  /** The last rate published, records per second; -1 before the first. */
  getLatestRate(): number {
    return this.#latestRate;
  }

  onBatchCompleted(info: BatchInfo): void {
    const { processingEndTime, processingDelay, schedulingDelay } = info;
    if (processingEndTime === undefined || processingDelay === undefined || schedulingDelay === undefined) return;
    const rate = this.#estimator.compute(processingEndTime, this.#input.numRecords(info.batchTime), processingDelay, schedulingDelay);
    if (rate === undefined) return;
    // Spark publishes the estimate truncated to whole records per second.
    this.#latestRate = Math.trunc(rate);
    this.#limiter.updateRate(this.#latestRate);
  }
}

/** What {@link receiverRateLimit} reads of the context. */
interface RateContext {
  readonly batchDurationMs: number;
  readonly rateOptions: { receiver?: { maxRate?: number }; backpressure?: BackpressureOptions };
  addStreamingListener(listener: StreamingListener): void;
}

/**
 * One receiver input's rate limit, as the context's options say: a limiter at `receiver.maxRate`
 * (starting at `backpressure.initialRate`), and, with backpressure on, the controller that moves
 * it batch by batch, registered as a listener of the context.
 */
export function receiverRateLimit(input: InputDStream<unknown>, ssc: RateContext): { limiter: RateLimiter; controller: ReceiverRateController | undefined } {
  const { receiver, backpressure } = ssc.rateOptions;
  const bp = backpressure?.enabled ? backpressure : undefined;
  const limiter = new RateLimiter({ maxRate: receiver?.maxRate, initialRate: bp?.initialRate });
  if (!bp) return { limiter, controller: undefined };
  const controller = new ReceiverRateController(input, ssc.batchDurationMs, limiter, bp.pid);
  ssc.addStreamingListener(controller);
  return { limiter, controller };
}
