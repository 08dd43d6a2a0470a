import { IllegalArgumentError } from '../errors.js';
import type { KafkaDecoder } from '../plan/task.js';
import { parseBrokers } from '../exec/kafka-client.js';
import type { PerPartitionRate } from './kafka-rate.js';

/**
 * `kafkaParams`, with Kafka's own consumer configuration names. Those chispa reads:
 * `bootstrap.servers` (required), `group.id` (where `commitAsync` commits; and where a stream
 * with neither checkpoint nor `fromOffsets` starts), `auto.offset.reset` (`latest`, the default,
 * or `earliest`; Kafka 0.8's `largest` / `smallest` too), `client.id`, and `enable.auto.commit`,
 * which must be false or absent: a direct stream commits only what you pass to `commitAsync`,
 * as Spark's does. Other names are accepted and ignored.
 */
export type KafkaParams = Record<string, string | number | boolean>;

/** `kafkaParams` checked and read. */
export interface DirectStreamConfig {
  readonly brokers: string[];
  readonly groupId: string | undefined;
  readonly clientId: string;
  readonly reset: 'earliest' | 'latest';
}

export function readKafkaParams(params: KafkaParams): DirectStreamConfig {
  if (params === null || typeof params !== 'object') throw new IllegalArgumentError('createDirectStream: kafkaParams must be an object');
  const servers = params['bootstrap.servers'] ?? params['metadata.broker.list'];
  if (typeof servers !== 'string' || parseBrokers(servers).length === 0) {
    throw new IllegalArgumentError("createDirectStream: kafkaParams must give 'bootstrap.servers' as \"host:port[,host:port…]\"");
  }
  const resetRaw = String(params['auto.offset.reset'] ?? 'latest').toLowerCase();
  const reset = resetRaw === 'earliest' || resetRaw === 'smallest' ? 'earliest' : resetRaw === 'latest' || resetRaw === 'largest' ? 'latest' : undefined;
  if (!reset) throw new IllegalArgumentError(`createDirectStream: auto.offset.reset must be 'earliest' or 'latest', got '${resetRaw}'`);
  const autoCommit = params['enable.auto.commit'];
  if (autoCommit === true || autoCommit === 'true') {
    throw new IllegalArgumentError(
      "createDirectStream: 'enable.auto.commit' must be false: a direct stream commits the offset ranges you pass to stream.commitAsync(ranges), once their output is done",
    );
  }
  const groupId = params['group.id'] === undefined ? undefined : String(params['group.id']);
  return { brokers: parseBrokers(servers), groupId, clientId: String(params['client.id'] ?? 'chispa'), reset };
}

/** Options beyond Kafka's own parameters (PySpark's decoders; Spark's rate settings). */
export interface DirectStreamOptions {
  /** How keys are decoded: `utf8` (default, as PySpark's utf8_decoder), `buffer`, or `json`. */
  keyDecoder?: KafkaDecoder;
  /** How values are decoded: `utf8` (default), `buffer`, or `json`. */
  valueDecoder?: KafkaDecoder;
  /**
   * Spark's `spark.streaming.kafka.maxRatePerPartition`: at most this many records per second
   * per partition, so a batch reads at most rate × batch seconds from each; with backpressure
   * on, the cap on each partition's share of the estimated rate. A number for every partition,
   * or a function of `{ topic, partition }` (Spark's `PerPartitionConfig`).
   */
  maxRatePerPartition?: PerPartitionRate;
  /**
   * Spark's `spark.streaming.kafka.minRatePerPartition`: under a rate, a batch still reads at
   * least this many records from each partition that has them. Default 1.
   */
  minRatePerPartition?: PerPartitionRate;
  /** How long a task retries an unreachable broker before its batch fails, ms. Default 60 000. */
  pollTimeoutMs?: number;
}

export function checkDecoder(name: string, d: unknown): KafkaDecoder {
  if (d === undefined) return 'utf8';
  if (d === 'utf8' || d === 'buffer' || d === 'json') return d;
  throw new IllegalArgumentError(`createDirectStream: ${name} must be 'utf8', 'buffer' or 'json', got ${JSON.stringify(d)}`);
}
