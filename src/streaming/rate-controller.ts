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
 * Spark's `RateController` for one input: a listener that, on each completed batch, feeds the
 * input's record count and the batch's delays to a {@link PIDRateEstimator} and publishes the new
 * rate: to a receiver's {@link RateLimiter} (capped there at `receiver.maxRate`), or, for a direct
 * Kafka stream, nowhere: the stream reads {@link getLatestRate} when it plans its next batch.
 */
export class RateController implements StreamingListener {
  readonly #input: InputDStream<unknown>;
  readonly #estimator: PIDRateEstimator;
  readonly #publish: (rate: number) => void;
  #latestRate = -1;

  constructor(input: InputDStream<unknown>, batchIntervalMs: number, publish: (rate: number) => void, pid?: PIDOptions) {
    this.#input = input;
    this.#estimator = new PIDRateEstimator(batchIntervalMs, pid);
    this.#publish = publish;
  }

  /** The last rate published, records per second; -1 before the first. */
  getLatestRate(): number {
    return this.#latestRate;
  }

  onBatchCompleted(info: BatchInfo): void {
    const { processingEndTime, processingDelay, schedulingDelay } = info;
    if (processingEndTime === undefined || processingDelay === undefined || schedulingDelay === undefined) return;
    // As Spark's: the count the batch's own info carries (the input may have let its own go).
    const records = info.streamIdToInputInfo.get(this.#input.streamId)?.numRecords;
    if (records === undefined) return;
    const rate = this.#estimator.compute(processingEndTime, records, processingDelay, schedulingDelay);
    if (rate === undefined) return;
    // Spark publishes the estimate truncated to whole records per second.
    this.#latestRate = Math.trunc(rate);
    this.#publish(this.#latestRate);
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
export function receiverRateLimit(input: InputDStream<unknown>, ssc: RateContext): { limiter: RateLimiter; controller: RateController | undefined } {
  const { receiver, backpressure } = ssc.rateOptions;
  const bp = backpressure?.enabled ? backpressure : undefined;
  const limiter = new RateLimiter({ maxRate: receiver?.maxRate, initialRate: bp?.initialRate });
  if (!bp) return { limiter, controller: undefined };
  const controller = new RateController(input, ssc.batchDurationMs, (rate) => limiter.updateRate(rate), bp.pid);
  ssc.addStreamingListener(controller);
  return { limiter, controller };
}

/**
 * A direct stream's rate controller (Spark's `DirectKafkaRateController`), registered as a
 * listener of the context, when backpressure is on; with `initialRate`, what the stream uses
 * before the first estimate (0: none).
 */
export function directRateController(input: InputDStream<unknown>, ssc: RateContext): { controller: RateController; initialRate: number } | undefined {
  const bp = ssc.rateOptions.backpressure;
  if (!bp?.enabled) return undefined;
  const controller = new RateController(input, ssc.batchDurationMs, () => {}, bp.pid);
  ssc.addStreamingListener(controller);
  return { controller, initialRate: bp.initialRate ?? 0 };
}
