/**
 * Chooses chispa's Kafka client by measurement: each pure-JavaScript client produces N records
 * to its own 3-partition topic on a real local broker and consumes them all back, and we time
 * both. `npm run bench:kafka-clients [-- --records 200000]`.
 *
 * Consumers: kafkajs through a consumer group (it has no manual assignment); @platformatic/kafka
 * both through its group stream and through its `fetch` of an explicit offset range per
 * partition, which is what a direct stream's task does.
 */
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaBroker } from '../test-infra/kafka/broker.js';

const N = Number(process.argv[process.argv.indexOf('--records') + 1] || 200_000);
const PARTITIONS = 3;
const BATCH = 1000;
const line = (i: number) => `record ${i} in the beginning God created the heaven and the earth`;

const broker = await startKafkaBroker();
const bootstrap = broker.bootstrap;
const rows: { client: string; produce: number; consume: number }[] = [];

async function createTopic(topic: string): Promise<void> {
  const admin = new Admin({ clientId: 'bench', bootstrapBrokers: [bootstrap] });
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 });
  await admin.close();
}

async function platformatic(): Promise<void> {
  const topic = 'bench-platformatic';
  await createTopic(topic);
  const producer = new Producer({ clientId: 'bench', bootstrapBrokers: [bootstrap], serializers: stringSerializers, acks: -1 });
  let t = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const messages = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) messages.push({ topic, key: String(j), value: line(j), partition: j % PARTITIONS });
    await producer.send({ messages });
  }
  const produce = N / ((performance.now() - t) / 1000);
  await producer.close();

  // Range fetch, as a direct stream's tasks read.
  const consumer = new Consumer({ clientId: 'bench', groupId: 'bench-range', bootstrapBrokers: [bootstrap], maxBytes: 8 << 20 });
  t = performance.now();
  const meta = await consumer.metadata({ topics: [topic] });
  const info = meta.topics.get(topic)!;
  let got = 0;
  await Promise.all(
    info.partitions.map(async (p, partition) => {
      const until = BigInt(Math.floor(N / PARTITIONS) + (partition < N % PARTITIONS ? 1 : 0));
      let next = 0n;
      while (next < until) {
        const res = await consumer.fetch({
          node: p.leader,
          maxWaitTime: 100,
          topics: [{ topicId: info.id, partitions: [{ partition, fetchOffset: next, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 4 << 20 }] }],
        });
        for (const batch of res.responses[0].partitions[0].records ?? []) {
          for (const r of batch.records) {
            const offset = batch.firstOffset + BigInt(r.offsetDelta);
            if (offset < next || offset >= until) continue;
            r.key?.toString();
            r.value?.toString();
            got++;
            next = offset + 1n;
          }
        }
      }
    }),
  );
  const consume = N / ((performance.now() - t) / 1000);
  if (got !== N) throw new Error(`platformatic range fetch read ${got} of ${N}`);
  await consumer.close();
  rows.push({ client: '@platformatic/kafka (range fetch)', produce, consume });

  const groupConsumer = new Consumer({ clientId: 'bench', groupId: 'bench-stream', bootstrapBrokers: [bootstrap], deserializers: stringDeserializers });
  t = performance.now();
  const stream = await groupConsumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  let seen = 0;
  for await (const _ of stream) if (++seen === N) break;
  const consumeStream = N / ((performance.now() - t) / 1000);
  await stream.close();
  await groupConsumer.close(true);
  rows.push({ client: '@platformatic/kafka (group stream)', produce, consume: consumeStream });
}

async function kafkajs(): Promise<void> {
  const topic = 'bench-kafkajs';
  await createTopic(topic);
  const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  let t = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const messages = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) messages.push({ key: String(j), value: line(j), partition: j % PARTITIONS });
    await producer.send({ topic, messages, acks: -1 });
  }
  const produce = N / ((performance.now() - t) / 1000);
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'bench-kafkajs', maxBytes: 8 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  t = performance.now();
  let seen = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          m.key?.toString();
          m.value?.toString();
          if (++seen === N) resolve();
        }
      },
    });
  });
  const consume = N / ((performance.now() - t) / 1000);
  await consumer.disconnect();
  rows.push({ client: 'kafkajs 2.2.4 (group, eachBatch)', produce, consume });
}

try {
  await platformatic();
  await kafkajs();
  console.log(`${N} records of ~70 bytes, ${PARTITIONS} partitions, sends of ${BATCH}, acks=all; Kafka 4.1.1 on 127.0.0.1`);
  console.log('| client | produce records/s | consume records/s |\n| --- | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.client} | ${Math.round(r.produce).toLocaleString('en-US')} | ${Math.round(r.consume).toLocaleString('en-US')} |`);
} finally {
  await broker.close();
}
