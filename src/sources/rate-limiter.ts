import { IllegalArgumentError } from '../errors.js';

/** Settings of a receiver's {@link RateLimiter}, as Spark's configuration names them. */
export interface RateLimitOptions {
  /** `spark.streaming.receiver.maxRate`: records per second the receiver accepts at most. Default unlimited. */
  maxRate?: number;
  /**
   * `spark.streaming.backpressure.initialRate`: the limit before the first estimate arrives
   * (never above `maxRate`). Default: `maxRate`.
   */
  initialRate?: number;
}

/**
 * Spark's receiver `RateLimiter`: at most `rate` records per second pass. Like Guava's smooth
 * bursty limiter Spark uses, permits accrue at `rate` per second while the receiver is idle, up to
 * one second's worth, and the first record passes at once. Records are taken in whole numbers, so a
 * receiver can cut its input exactly where the limit binds. Times are in milliseconds from `now`.
 */
export class RateLimiter {
  readonly #maxRate: number;
  readonly #now: () => number;
  #rate: number;
  #permits = 1;
  #at: number;

  constructor(opts: RateLimitOptions = {}, now: () => number = () => performance.now()) {
    const max = opts.maxRate ?? Number.POSITIVE_INFINITY;
    // Spark treats maxRate <= 0 as no limit.
    this.#maxRate = max > 0 ? max : Number.POSITIVE_INFINITY;
    if (opts.initialRate !== undefined && !(opts.initialRate > 0)) {
      throw new IllegalArgumentError(`backpressure.initialRate must be a positive number of records per second, got ${opts.initialRate}`);
    }
    this.#rate = Math.min(opts.initialRate ?? this.#maxRate, this.#maxRate);
    this.#now = now;
    this.#at = now();
  }

  /** The current limit in records per second; Infinity when there is none. */
  get rate(): number {
    return this.#rate;
  }

  /** Whether a limit applies at all. */
  get limited(): boolean {
    return this.#rate !== Number.POSITIVE_INFINITY;
  }

  /**
   * Spark's `updateRate`: sets the limit to `newRate`, capped at `maxRate`; no effect unless
   * `newRate` is positive.
   */
  updateRate(newRate: number): void {
    if (!(newRate > 0)) return;
    this.#accrue();
    this.#rate = Math.min(newRate, this.#maxRate);
    this.#permits = Math.min(this.#permits, Math.max(1, this.#rate));
  }

  /** Takes up to `n` permits now; returns how many were granted (0 ≤ result ≤ n). */
  take(n: number): number {
    if (!this.limited) return n;
    this.#accrue();
    const granted = Math.min(n, Math.floor(this.#permits));
    this.#permits -= granted;
    return granted;
  }

  /** Milliseconds until at least `n` permits are available (0 when they are now). */
  waitMs(n = 1): number {
    if (!this.limited) return 0;
    this.#accrue();
    const need = Math.min(n, Math.max(1, this.#rate)) - this.#permits;
    return need <= 0 ? 0 : Math.ceil((need * 1000) / this.#rate);
  }

  #accrue(): void {
    const t = this.#now();
    if (this.limited) this.#permits = Math.min(Math.max(1, this.#rate), this.#permits + ((t - this.#at) * this.#rate) / 1000);
    this.#at = t;
  }
}
