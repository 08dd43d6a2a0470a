import type { FromOffsets } from '../plan/offset-range.js';
import type { DirectStreamOptions, KafkaParams } from './kafka-params.js';
import { DirectKafkaInputDStream } from './direct-kafka-input-dstream.js';
import type { StreamingContext } from './streaming-context.js';

/**
 * PySpark's `KafkaUtils`, for Kafka's direct stream.
 *
 * @example
 * ```ts
 * const stream = KafkaUtils.createDirectStream(ssc, ['lines'], {
 *   'bootstrap.servers': '127.0.0.1:9092', 'group.id': 'wordcount', 'auto.offset.reset': 'earliest',
 * });
 * stream.foreachRDD(async (rdd) => {
 *   const ranges = (rdd as KafkaRDD).offsetRanges();
 *   // … write the batch's results somewhere, then:
 *   stream.commitAsync(ranges);
 * });
 * stream.map(([, line]) => line).flatMap((l) => l.split(' ')).map((w) => [w, 1]).reduceByKey(add).pprint();
 * ```
 */
export const KafkaUtils = {
  /**
   * A stream of `[key, value]` records from `topics`, read straight from the brokers each batch
   * (see {@link DirectKafkaInputDStream}). `kafkaParams` takes Kafka's names
   * (`bootstrap.servers`, `group.id`, `auto.offset.reset`, …); `fromOffsets` says where to start
   * per topic-partition; `opts` sets decoders (`utf8` by default) and `maxRatePerPartition`.
   */
  createDirectStream<K = string | null, V = string>(
    ssc: StreamingContext,
    topics: readonly string[],
    kafkaParams: KafkaParams,
    fromOffsets?: FromOffsets,
    opts?: DirectStreamOptions,
  ): DirectKafkaInputDStream<K, V> {
    return ssc.graph.addInput(new DirectKafkaInputDStream<K, V>(ssc, topics, kafkaParams, fromOffsets, opts));
  },
};
