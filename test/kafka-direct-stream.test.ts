import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, KafkaRDD, KafkaUtils, ManualClock, SparkContext, StreamingContext, type BatchInfo, type OffsetRange } from '../src/index.js';
import { committedOffsets, createTopic, endOffsets, produce, startBroker, type KafkaBroker } from './helpers/kafka.js';
import { MASTERS, waitFor } from './helpers/streaming.js';

// Spark's DirectKafkaStreamSuite, against a real single-node Kafka broker on 127.0.0.1.

const genesis = readFileSync(new URL('../src/cli/data/genesis.txt', import.meta.url), 'utf8').split('\n').filter((l) => l.length > 0);

function wordCounts(lines: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) for (const w of l.split(' ')) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

let broker: KafkaBroker;
beforeAll(async () => {
  broker = await startBroker();
}, 180_000);
afterAll(async () => {
  await broker?.close();
}, 90_000);

/** A context on a manual clock whose batches the test drives, with each batch's info. */
function manualContext(master: string, batchSeconds = 1) {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext(new SparkContext({ master }), batchSeconds, { clock });
  const infos: BatchInfo[] = [];
  ssc.addStreamingListener({ onBatchCompleted: (i) => void infos.push(i) });
  /** Advances one batch and waits until it has completed. */
  const step = async () => {
    const n = infos.length;
    clock.advance(batchSeconds * 1000);
    await waitFor(() => infos.length > n, 'a batch', 60_000);
    return infos[infos.length - 1];
  };
  return { ssc, clock, infos, step };
}

describe.each(MASTERS)('createDirectStream under %s', (master) => {
  it("the seed's WordCount over a 3-partition topic equals the oracle", async () => {
    const topic = await createTopic(broker.bootstrap, 3);
    const lines = genesis.slice(0, 600);
    await produce(broker.bootstrap, topic, lines.map((value, i) => ({ value, partition: i % 3 })));
    const { ssc, step } = manualContext(master);
    const stream = KafkaUtils.createDirectStream(ssc, [topic], { 'bootstrap.servers': broker.bootstrap, 'auto.offset.reset': 'earliest' });
    const partitions: number[] = [];
    stream.foreachRDD(async (rdd) => void partitions.push(await rdd.getNumPartitions()));
    const counts = stream.map(([, line]) => line).flatMap((line) => line.split(' ')).map((word) => [word, 1] as [string, number]).reduceByKey(add);
    const got = new Map<string, number>();
    counts.foreachRDD(async (rdd) => {
      for (const [w, n] of await rdd.collect()) got.set(w, (got.get(w) ?? 0) + n);
    });
    ssc.start();
    try {
      const info = await step();
      expect(info.failures).toEqual([]);
      expect(info.numRecords).toBe(lines.length);
      // One RDD partition per Kafka partition.
      expect(partitions).toEqual([3]);
      expect(new Map([...got].sort())).toEqual(new Map([...wordCounts(lines)].sort()));
    } finally {
      await ssc.stop();
    }
  }, 120_000);
});
