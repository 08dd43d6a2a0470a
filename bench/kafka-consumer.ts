/**
 * One row of `npm run bench:kafka`, in its own process: reads every record of a topic and counts
 * its words, then prints one JSON line {records, words, distinct, ms, maxRssKB}. Each row first
 * reads a small warm-up topic the same way (connections made, modules loaded, worker threads
 * started), then `ms` runs from the start of consuming the measured topic to the moment its last
 * record is counted.
 *
 *   node --import tsx bench/kafka-consumer.ts naive|local|local[2] BOOTSTRAP TOPIC RECORDS WARM_TOPIC WARM_RECORDS [BATCH_SECONDS]
 *
 * naive: what a Node user writes without chispa: the client's consumer stream and a Map, on one
 * thread. local / local[2]: chispa's direct stream and the seed's WordCount, each batch's counts
 * merged into one Map on the driver.
 */
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { add, KafkaUtils, SparkContext, StreamingContext } from '../src/index.js';

const [row, bootstrap, topic, recordsArg, warmTopic, warmArg, batch = '0.5'] = process.argv.slice(2);

interface Count {
  records: number;
  words: number;
  counts: Map<string, number>;
}

async function naive(name: string, expected: number, c: Count): Promise<number> {
  const consumer = new Consumer({ clientId: 'bench-naive', groupId: `bench-naive-${process.pid}-${name}`, bootstrapBrokers: [bootstrap], deserializers: stringDeserializers, maxBytes: 16 << 20 });
  const t0 = performance.now();
  const stream = await consumer.consume({ topics: [name], mode: 'earliest', autocommit: false });
  for await (const message of stream) {
    c.records++;
    for (const word of (message.value as string).split(' ')) {
      c.words++;
      c.counts.set(word, (c.counts.get(word) ?? 0) + 1);
    }
    if (c.records === expected) break;
  }
  const ms = performance.now() - t0;
  await stream.close();
  await consumer.close(true);
  return ms;
}

async function chispa(sc: SparkContext, name: string, expected: number, c: Count): Promise<number> {
  const ssc = new StreamingContext(sc, Number(batch));
  const stream = KafkaUtils.createDirectStream(ssc, [name], { 'bootstrap.servers': bootstrap, 'auto.offset.reset': 'earliest' });
  stream
    .map(([, line]) => line)
    .flatMap((line) => line.split(' '))
    .map((word) => [word, 1] as [string, number])
    .reduceByKey(add)
    .foreachRDD(async (rdd) => {
      for (const [w, n] of await rdd.collect()) {
        c.words += n;
        c.counts.set(w, (c.counts.get(w) ?? 0) + n);
      }
    });
  let done: () => void;
  const finished = new Promise<void>((r) => (done = r));
  ssc.addStreamingListener({
    onBatchCompleted: (info) => {
      c.records += info.numRecords;
      if (c.records >= expected) done();
    },
  });
  const t0 = performance.now();
  ssc.start();
  await finished;
  const ms = performance.now() - t0;
  await ssc.stop(false);
  return ms;
}

const fresh = (): Count => ({ records: 0, words: 0, counts: new Map() });
let measured = fresh();
let ms: number;
if (row === 'naive') {
  await naive(warmTopic, Number(warmArg), fresh());
  ms = await naive(topic, Number(recordsArg), measured);
} else {
  const sc = new SparkContext({ master: row });
  await chispa(sc, warmTopic, Number(warmArg), fresh());
  ms = await chispa(sc, topic, Number(recordsArg), measured);
  await sc.stop();
}
console.log(JSON.stringify({ records: measured.records, words: measured.words, distinct: measured.counts.size, ms, maxRssKB: process.resourceUsage().maxRSS }));
