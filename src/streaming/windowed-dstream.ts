import type { RDD } from '../rdd/rdd.js';
import { DStream } from './dstream.js';
import type { StreamingContext } from './streaming-context.js';

/** `window()`: the union of the parent's RDDs in (t − window, t], every slide. */
export class WindowedDStream<T> extends DStream<T> {
  readonly parents: readonly DStream<unknown>[];
  readonly #windowMs: number;
  readonly #slideMs: number;

  /** @internal */
  constructor(ssc: StreamingContext, parent: DStream<unknown>, windowMs: number, slideMs: number) {
    super(ssc);
    this.parents = [parent];
    this.#windowMs = windowMs;
    this.#slideMs = slideMs;
  }

  override get slideDurationMs(): number {
    return this.#slideMs;
  }

  override get parentRememberMs(): number {
    return this.#windowMs;
  }

  protected compute(time: number): RDD<T> {
    const parent = this.parents[0] as DStream<T>;
    const step = parent.slideDurationMs;
    const rdds: RDD<T>[] = [];
    for (let t = time - this.#windowMs + step; t <= time; t += step) {
      const rdd = parent.getOrCompute(t);
      // Each batch is in several windows: as Spark persists a window's parent, a batch computed
      // through operations is kept in shared memory by the first window that computes it. What is
      // in shared memory already (an input's batch, state) is read as it is.
      if (rdd) rdds.push(rdd.isComputed ? rdd.persist() : rdd);
    }
    return rdds.length === 1 ? rdds[0] : this.ssc.sparkContext.union(rdds);
  }
}
