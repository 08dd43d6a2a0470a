/**
 * WordCount from one Kafka topic to another: each batch reads the new lines of INPUT_TOPIC with
 * Kafka's direct stream, counts its words, writes one record per word (key: the word, value: its
 * count in that batch) to OUTPUT_TOPIC with an idempotent producer, and then commits the batch's
 * offsets to the consumer group. A restarted copy resumes from the group's committed offsets.
 *
 *   npx tsx examples/kafka_wordcount.ts 127.0.0.1:9092 lines wordcounts [BATCH_SECONDS] [RUN_SECONDS]
 *
 * Writes come before the commit, so a crash between them writes that batch again on restart: the
 * output is at-least-once per batch (the idempotent producer removes the producer's own retries,
 * not a re-run batch). Make it exactly-once with a checkpoint and state, or by keying the output
 * by batch time so that the reader can drop repeats.
 */
import { Producer, stringSerializers } from '@platformatic/kafka';
import { add, KafkaUtils, SparkContext, StreamingContext, type KafkaRDD } from 'chispa';

const [bootstrap = '127.0.0.1:9092', inputTopic = 'lines', outputTopic = 'wordcounts', batch = '2', seconds = '60'] = process.argv.slice(2);

const sc = new SparkContext({ master: 'local[2]', appName: 'kafka_wordcount' });
sc.setLogLevel('WARN');
const ssc = new StreamingContext(sc, Number(batch));

const stream = KafkaUtils.createDirectStream(ssc, [inputTopic], {
  'bootstrap.servers': bootstrap,
  'group.id': 'kafka_wordcount',
  'auto.offset.reset': 'earliest',
  'enable.auto.commit': false,
});

// One producer for the whole program, on the driver. Idempotence: a send the producer retries
// (a lost acknowledgement) is written once.
const producer = new Producer({ clientId: 'kafka_wordcount', bootstrapBrokers: [bootstrap], serializers: stringSerializers, idempotent: true, acks: -1 });

stream.foreachRDD(async (rdd, time) => {
  const ranges = (rdd as KafkaRDD).offsetRanges();
  const counts = await rdd
    .map(([, line]) => line)
    .flatMap((line) => line.split(' '))
    .map((word) => [word, 1] as [string, number])
    .reduceByKey(add)
    .collect();
  if (counts.length > 0) {
    await producer.send({
      messages: counts.map(([word, n]) => ({ topic: outputTopic, key: word, value: String(n), headers: new Map([['batchTime', String(time)]]) })),
    });
  }
  // Only now is the batch's output stored: its offsets may be committed.
  stream.commitAsync(ranges);
});

ssc.start();
await ssc.awaitTerminationOrTimeout(Number(seconds));
await ssc.stop(true, true);
await producer.close();
