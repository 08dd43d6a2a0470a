import { asOperatorError, IllegalArgumentError } from '../errors.js';
import type { RDD } from '../rdd/rdd.js';
import { DStream } from './dstream.js';
import type { StreamingContext } from './streaming-context.js';

/** A stream computed from its parents' RDDs of the same batch by a driver-side function. */
export class TransformedDStream<T> extends DStream<T> {
  readonly parents: readonly DStream<unknown>[];
  readonly #op: string;
  readonly #fn: (rdds: RDD<unknown>[], time: number) => RDD<T>;

  constructor(ssc: StreamingContext, op: string, parents: readonly DStream<unknown>[], fn: (rdds: RDD<unknown>[], time: number) => RDD<T>) {
    super(ssc);
    if (parents.some((p) => p.slideDurationMs !== parents[0].slideDurationMs)) {
      throw new IllegalArgumentError(
        `${op}: the streams have different slide durations (${parents.map((p) => `${p.slideDurationMs / 1000} s`).join(', ')})`,
      );
    }
    this.parents = parents;
    this.#op = op;
    this.#fn = fn;
  }

  protected compute(time: number): RDD<T> | undefined {
    // A parent with no data for this batch (Spark's None) is an empty RDD here, so that a
    // transform always sees an RDD and `count` can report 0.
    const rdds = this.parents.map((p) => p.getOrCompute(time) ?? this.ssc.sparkContext.emptyRDD<unknown>());
    try {
      return this.#fn(rdds, time);
    } catch (e) {
      // A driver-side function (`transform`) threw while the batch was generated.
      throw asOperatorError(this.#op, e);
    }
  }
}
