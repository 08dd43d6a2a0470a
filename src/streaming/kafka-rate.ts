import { tpKey, type TopicAndPartition } from '../plan/offset-range.js';

/** A per-partition rate: one number for every partition, or one per partition (Spark's `PerPartitionConfig`). */
export type PerPartitionRate = number | ((tp: TopicAndPartition) => number);

/** What {@link maxMessagesPerPartition} weighs. */
export interface KafkaRateSettings {
  /** The batch interval, ms. */
  readonly batchDurationMs: number;
  /** `maxRatePerPartition`, records/s; 0 or undefined: no cap. */
  readonly maxRatePerPartition?: PerPartitionRate;
  /** `minRatePerPartition`, records per batch at the least (Spark's default 1). */
  readonly minRatePerPartition?: PerPartitionRate;
}

/**
 * Spark's `DirectKafkaInputDStream.maxMessagesPerPartition`, formula for formula: how many
 * records each partition may give the next batch. With a rate estimate (backpressure's latest
 * rate, or `initialRate` before the first), the rate is shared out in proportion to each
 * partition's lag and capped at `maxRatePerPartition`; without one, `maxRatePerPartition` alone
 * applies. Times the batch seconds, truncated, and never below `minRatePerPartition`. Undefined
 * when nothing limits the batch (no rate at all, or no lag under an estimate): read up to the end.
 *
 * `lags`: per partition (by `tpKey`), the records between where the batch starts and the end.
 * `estimatedRate`: records/s for the whole stream, or undefined without backpressure.
 */
export function maxMessagesPerPartition(
  partitions: readonly TopicAndPartition[],
  lags: ReadonlyMap<string, number>,
  estimatedRate: number | undefined,
  settings: KafkaRateSettings,
): Map<string, number> | undefined {
  const maxRate = (tp: TopicAndPartition) => rateOf(settings.maxRatePerPartition, tp, 0);
  let limits: number[];
  if (estimatedRate !== undefined && estimatedRate > 0) {
    const lag = partitions.map((tp) => Math.max(lags.get(tpKey(tp.topic, tp.partition)) ?? 0, 0));
    const totalLag = lag.reduce((a, b) => a + b, 0);
    // No lag: Spark's 0/0 is NaN, whose sum is not > 0, so nothing limits the batch.
    if (totalLag === 0) return undefined;
    limits = partitions.map((tp, i) => {
      const backpressureRate = (lag[i] / totalLag) * estimatedRate;
      const cap = maxRate(tp);
      return cap > 0 ? Math.min(backpressureRate, cap) : backpressureRate;
    });
  } else {
    limits = partitions.map(maxRate);
  }
  if (!(limits.reduce((a, b) => a + b, 0) > 0)) return undefined;
  const secsPerBatch = settings.batchDurationMs / 1000;
  return new Map(
    partitions.map((tp, i) => [tpKey(tp.topic, tp.partition), Math.max(Math.trunc(secsPerBatch * limits[i]), rateOf(settings.minRatePerPartition, tp, 1))]),
  );
}

function rateOf(rate: PerPartitionRate | undefined, tp: TopicAndPartition, fallback: number): number {
  if (rate === undefined) return fallback;
  return typeof rate === 'number' ? rate : rate(tp);
}
