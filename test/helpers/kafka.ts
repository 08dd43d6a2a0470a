/**
 * Test helpers for Kafka: a real broker (test-infra/kafka), topics, producing records, and reading
 * a group's committed offsets, all through @platformatic/kafka against 127.0.0.1.
 */
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { startKafkaBroker, type KafkaBroker } from '../../test-infra/kafka/broker.js';

export type { KafkaBroker };

/** Starts a broker for a test file; two busy cores can take half a minute. */
export function startBroker(): Promise<KafkaBroker> {
  return startKafkaBroker({ startTimeoutMs: 150_000 });
}

let topicNo = 0;

/** Creates a fresh topic with `partitions` partitions and returns its name. */
export async function createTopic(bootstrap: string, partitions: number, prefix = 'chispa-test'): Promise<string> {
  const topic = `${prefix}-${process.pid}-${topicNo++}`;
  const admin = new Admin({ clientId: 'chispa-test', bootstrapBrokers: [bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    // Metadata reaches the broker's cache shortly after creation: wait until it serves the topic.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const meta = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
      if (meta?.topics.get(topic)?.partitions.every((p) => p.leader >= 0)) break;
      if (Date.now() > deadline) throw new Error(`topic ${topic} has no leaders after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.close();
  }
  return topic;
}

/** One record to produce; without a partition, by the key's hash (or round robin without a key). */
export interface TestRecord {
  key?: string;
  value: string;
  partition?: number;
}

/** Produces `records` (acks from all replicas, in order per partition) and resolves once written. */
export async function produce(bootstrap: string, topic: string, records: readonly TestRecord[]): Promise<void> {
  const producer = new Producer({ clientId: 'chispa-test', bootstrapBrokers: [bootstrap], serializers: stringSerializers, acks: -1, idempotent: true });
  try {
    for (let i = 0; i < records.length; i += 500) {
      await producer.send({ messages: records.slice(i, i + 500).map((r) => ({ topic, key: r.key, value: r.value, partition: r.partition })) });
    }
  } finally {
    await producer.close();
  }
}

/** The group's committed offsets for `topic`, by partition (-1 where none). */
export async function committedOffsets(bootstrap: string, group: string, topic: string, partitions: number): Promise<number[]> {
  const c = new Consumer({ clientId: 'chispa-test', groupId: group, bootstrapBrokers: [bootstrap] });
  try {
    const res = await c.listCommittedOffsets({ topics: [{ topic, partitions: Array.from({ length: partitions }, (_, i) => i) }] });
    return (res.get(topic) ?? []).map(Number);
  } finally {
    await c.close();
  }
}

/** The latest offset (the next to be written) of each partition of `topic`. */
export async function endOffsets(bootstrap: string, topic: string): Promise<number[]> {
  const c = new Consumer({ clientId: 'chispa-test', groupId: 'chispa-test-offsets', bootstrapBrokers: [bootstrap] });
  try {
    const res = await c.listOffsets({ topics: [topic] });
    return (res.get(topic) ?? []).map(Number);
  } finally {
    await c.close();
  }
}

/** Every record of `topic` now, as `[key, value, headers]`, partition after partition. */
export async function readTopic(bootstrap: string, topic: string): Promise<[string | null, string | null, Record<string, string>][]> {
  const c = new Consumer({ clientId: 'chispa-test', groupId: 'chispa-test-read', bootstrapBrokers: [bootstrap] });
  const out: [string | null, string | null, Record<string, string>][] = [];
  try {
    const ends = await c.listOffsets({ topics: [topic] });
    const meta = await c.metadata({ topics: [topic] });
    const info = meta.topics.get(topic)!;
    for (const [partition, end] of (ends.get(topic) ?? []).entries()) {
      let next = 0n;
      while (next < end) {
        const res = await c.fetch({
          node: info.partitions[partition].leader,
          maxWaitTime: 100,
          topics: [{ topicId: info.id, partitions: [{ partition, fetchOffset: next, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
        });
        for (const batch of res.responses[0].partitions[0].records ?? []) {
          if (batch.attributes & (1 << 5)) {
            next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
            continue;
          }
          for (const r of batch.records) {
            const offset = batch.firstOffset + BigInt(r.offsetDelta);
            if (offset < next) continue;
            const headers = Object.fromEntries(r.headers.map(([k, v]) => [String(k), String(v)]));
            out.push([r.key?.toString() ?? null, r.value?.toString() ?? null, headers]);
            next = offset + 1n;
          }
        }
      }
    }
  } finally {
    await c.close();
  }
  return out;
}
