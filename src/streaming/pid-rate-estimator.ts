import { IllegalArgumentError } from '../errors.js';

/** Spark's `spark.streaming.backpressure.pid.*` settings. */
export interface PIDOptions {
  /** How much the correction depends on the current error. Default 1.0. */
  proportional?: number;
  /** How much it depends on the accumulated error (from the scheduling delay). Default 0.2. */
  integral?: number;
  /** How much it depends on the error's rate of change. Default 0.0. */
  derived?: number;
  /** The lowest rate ever estimated, records per second; must be > 0. Default 100. */
  minRate?: number;
}

/**
 * Spark's `PIDRateEstimator`, formula for formula: after each batch, a
 * proportional-integral-derivative controller turns the batch's size, processing time and
 * scheduling delay into the number of records per second the input should ingest. The error is
 * the previous rate minus the measured processing rate; the integral term is the scheduling delay
 * expressed as a rate (the records that overflowed, spread over one batch interval).
 */
export class PIDRateEstimator {
  readonly #batchIntervalMs: number;
  readonly #proportional: number;
  readonly #integral: number;
  readonly #derivative: number;
  readonly #minRate: number;
  #firstRun = true;
  #latestTime = -1;
  #latestRate = -1;
  #latestError = -1;

  constructor(batchIntervalMs: number, opts: PIDOptions = {}) {
    const { proportional = 1.0, integral = 0.2, derived = 0.0, minRate = 100 } = opts;
    const need = (ok: boolean, what: string): void => {
      if (!ok) throw new IllegalArgumentError(what);
    };
    need(batchIntervalMs > 0, `Specified batch interval ${batchIntervalMs} in PIDRateEstimator is invalid.`);
    need(proportional >= 0, `Proportional term ${proportional} in PIDRateEstimator should be >= 0.`);
    need(integral >= 0, `Integral term ${integral} in PIDRateEstimator should be >= 0.`);
    need(derived >= 0, `Derivative term ${derived} in PIDRateEstimator should be >= 0.`);
    need(minRate > 0, 'Minimum rate in PIDRateEstimator should be > 0');
    this.#batchIntervalMs = batchIntervalMs;
    this.#proportional = proportional;
    this.#integral = integral;
    this.#derivative = derived;
    this.#minRate = minRate;
  }

  /**
   * The rate, in records per second, the input should ingest next; undefined when there is no new
   * estimate (the first batch, a batch without records or processing time, or a time not after
   * the last one).
   *
   * @param time when the batch finished processing, ms
   * @param numElements records the batch held
   * @param processingDelay ms its jobs took
   * @param schedulingDelay ms it waited behind earlier batches
   */
  compute(time: number, numElements: number, processingDelay: number, schedulingDelay: number): number | undefined {
    if (!(time > this.#latestTime && numElements > 0 && processingDelay > 0)) return undefined;
    // In seconds, close to the batch interval.
    const delaySinceUpdate = (time - this.#latestTime) / 1000;
    const processingRate = (numElements / processingDelay) * 1000;
    const error = this.#latestRate - processingRate;
    // A scheduling delay s means s × processingRate records overflowed; spread over one interval,
    // that is the rate by which earlier estimates were too high.
    const historicalError = (schedulingDelay * processingRate) / this.#batchIntervalMs;
    const dError = (error - this.#latestError) / delaySinceUpdate;
    const newRate = Math.max(
      this.#latestRate - this.#proportional * error - this.#integral * historicalError - this.#derivative * dError,
      this.#minRate,
    );
    this.#latestTime = time;
    if (this.#firstRun) {
      this.#latestRate = processingRate;
      this.#latestError = 0;
      this.#firstRun = false;
      return undefined;
    }
    this.#latestRate = newRate;
    this.#latestError = error;
    return newRate;
  }
}
