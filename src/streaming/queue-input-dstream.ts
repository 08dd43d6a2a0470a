import { asRDD, RDD } from '../rdd/rdd.js';
import { InputDStream } from './input-dstream.js';
import type { StreamingContext } from './streaming-context.js';

/** One batch of a queue stream: its records, or an RDD. */
export type QueueItem<T> = readonly T[] | RDD<T>;

/**
 * `ssc.queueStream`: each batch takes the next item of a queue (or all queued items when
 * `oneAtATime` is false); once the queue is drained, batches are empty or `defaultBatch`.
 * The queue is copied at definition, as PySpark turns the list into RDDs then.
 */
export class QueueInputDStream<T> extends InputDStream<T> {
  readonly #queue: QueueItem<T>[];
  readonly #oneAtATime: boolean;
  readonly #defaultBatch: QueueItem<T> | undefined;

  constructor(ssc: StreamingContext, batches: Iterable<QueueItem<T>>, oneAtATime: boolean, defaultBatch?: QueueItem<T>) {
    super(ssc);
    this.#queue = [...batches];
    this.#oneAtATime = oneAtATime;
    this.#defaultBatch = defaultBatch;
  }

  override get kind(): string {
    return 'queueStream';
  }

  protected compute(time: number): RDD<T> | undefined {
    const items = this.#oneAtATime ? this.#queue.splice(0, 1) : this.#queue.splice(0);
    if (items.length === 0 && this.#defaultBatch) items.push(this.#defaultBatch);
    if (items.length === 0) return undefined;
    const sc = this.ssc.sparkContext;
    const rdds = items.map((item) => asRDD(sc, item));
    this.noteRecords(time, items.reduce((n, item) => n + (item instanceof RDD ? 0 : item.length), 0));
    return rdds.length === 1 ? rdds[0] : sc.union(rdds);
  }
}
