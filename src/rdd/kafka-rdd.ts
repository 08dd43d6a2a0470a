import type { KafkaDecoder, SourceDesc } from '../plan/task.js';
import type { OffsetRange } from '../plan/offset-range.js';
import { RDD } from './rdd.js';
import type { SparkContext } from './spark-context.js';

/** Where and how a KafkaRDD's tasks fetch their ranges. */
export interface KafkaFetchSpec {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly keyDecoder: KafkaDecoder;
  readonly valueDecoder: KafkaDecoder;
  readonly pollTimeoutMs: number;
}

/**
 * One batch of a direct Kafka stream, as Spark's KafkaRDD: partition i reads offset range i,
 * fetched by the task that computes it. Records are `[key, value]`. It is Spark's
 * `HasOffsetRanges`: `offsetRanges()` gives the ranges, in partition order. As in Spark, only the
 * RDD the stream hands out has them: call it first thing in `foreachRDD` or `transform`.
 */
export class KafkaRDD<K = string | null, V = string> extends RDD<[K, V]> {
  readonly #ranges: readonly OffsetRange[];

  /**
   * @internal Made by the direct stream. Partition i is range i, as in Spark (so
   * `mapPartitionsWithIndex` can find its range); an empty range is an empty partition.
   */
  constructor(sc: SparkContext, ranges: readonly OffsetRange[], spec: KafkaFetchSpec) {
    const partitions: SourceDesc[] = ranges.map((r) =>
      r.untilOffset > r.fromOffset
        ? { kind: 'kafka', range: { ...spec, brokers: [...spec.brokers], topic: r.topic, partition: r.partition, fromOffset: r.fromOffset, untilOffset: r.untilOffset } }
        : { kind: 'empty' },
    );
    super(sc, { kind: 'source', partitions });
    this.#ranges = ranges.map((r) => ({ ...r }));
  }

  /** The offset ranges this batch reads, one per topic-partition (empty ones included). */
  offsetRanges(): OffsetRange[] {
    return this.#ranges.map((r) => ({ ...r }));
  }
}
