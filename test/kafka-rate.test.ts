import { describe, expect, it } from 'vitest';
import { maxMessagesPerPartition } from '../src/streaming/kafka-rate.js';
import { tpKey, type TopicAndPartition } from '../src/plan/offset-range.js';

// Spark's DirectKafkaStreamSuite cases for maxMessagesPerPartition, with the same figures: the
// stream's rate settings and a rate estimate in, records per partition for the next batch out.

const topic = 'maxMessagesPerPartition';
const tps = (n: number): TopicAndPartition[] => Array.from({ length: n }, (_, partition) => ({ topic, partition }));
const lags = (...l: number[]) => new Map(l.map((lag, partition) => [tpKey(topic, partition), lag]));
const perPartition = (...m: number[]) => new Map(m.map((n, partition) => [tpKey(topic, partition), n]));

describe('maxMessagesPerPartition (Spark DirectKafkaStreamSuite)', () => {
  it('with backpressure disabled: maxRatePerPartition × batch seconds', () => {
    expect(maxMessagesPerPartition(tps(2), lags(50, 50), undefined, { batchDurationMs: 100, maxRatePerPartition: 100 })).toEqual(perPartition(10, 10));
  });

  it('with no lag: nothing limits the batch', () => {
    expect(maxMessagesPerPartition(tps(2), lags(0, 0), 100, { batchDurationMs: 100, maxRatePerPartition: 100 })).toBeUndefined();
  });

  it('respects max rate, per partition', () => {
    const maxRatePerPartition = (tp: TopicAndPartition) => (tp.topic === topic && tp.partition === 0 ? 50 : 100);
    expect(maxMessagesPerPartition(tps(2), lags(1000, 1000), 1000, { batchDurationMs: 100, maxRatePerPartition })).toEqual(perPartition(5, 10));
  });

  it('backpressure.initialRate should honor maxRatePerPartition', () => {
    expect(maxMessagesPerPartition(tps(1), lags(1000), 500, { batchDurationMs: 500, maxRatePerPartition: 1000 })).toEqual(perPartition(250));
  });

  it('use backpressure.initialRate with backpressure', () => {
    expect(maxMessagesPerPartition(tps(1), lags(1000), 1000, { batchDurationMs: 500, maxRatePerPartition: 300 })).toEqual(perPartition(150));
  });

  it('with zero offset and rate equal to the specified minimum with default 1', () => {
    const settings = { batchDurationMs: 60_000, maxRatePerPartition: 100, minRatePerPartition: 5 };
    expect(maxMessagesPerPartition(tps(4), lags(0, 100, 200, 300), 1, settings)).toEqual(perPartition(5, 10, 20, 30));
    // The default minimum is one record.
    expect(maxMessagesPerPartition(tps(4), lags(0, 100, 200, 300), 1, { ...settings, minRatePerPartition: undefined })).toEqual(perPartition(1, 10, 20, 30));
  });

  it('shares an estimate by lag without a max rate, and nothing limits without either', () => {
    expect(maxMessagesPerPartition(tps(3), lags(600, 300, 100), 100, { batchDurationMs: 500 })).toEqual(perPartition(30, 15, 5));
    expect(maxMessagesPerPartition(tps(3), lags(600, 300, 100), undefined, { batchDurationMs: 500 })).toBeUndefined();
  });
});
