/**
 * Clocks drive batch times. The system clock follows wall time; a {@link ManualClock} moves only
 * when told to, so tests (ours and our users') decide exactly when each batch is cut.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` once the clock reaches `atMs`; returns a cancel function. */
  schedule(atMs: number, fn: () => void): () => void;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  schedule(atMs: number, fn: () => void): () => void {
    const t = setTimeout(fn, Math.max(0, atMs - Date.now()));
    return () => clearTimeout(t);
  }
}

/**
 * A clock that advances only through {@link ManualClock.advance}, firing what falls due in time
 * order, synchronously. Spark's tests use the same device (`spark.streaming.clock`).
 *
 * @example
 * ```ts
 * const clock = new ManualClock(0);
 * const ssc = new StreamingContext(sc, 1, { clock });
 * // ... define the stream, ssc.start()
 * clock.advance(1000); // batch at t = 1000 ms is generated now
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #timers: { at: number; fn: () => void; seq: number }[] = [];
  #seq = 0;

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  schedule(atMs: number, fn: () => void): () => void {
    const timer = { at: atMs, fn, seq: this.#seq++ };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    this.setTime(this.#now + ms);
  }

  setTime(ms: number): void {
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= ms).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#now = Math.max(this.#now, ms);
  }
}
