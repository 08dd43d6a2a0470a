/**
 * The task side of a direct Kafka stream: fetches one partition's offset range [from, until)
 * from the brokers and decodes each record to `[key, value]`. Runs on the worker that computes
 * the RDD partition (on the main thread under `local`). Clients are kept per thread and broker
 * list, so a worker connects once, not once per batch.
 */
import { KafkaError } from '../errors.js';
import { asKafkaError, closeQuietly, createConsumer, type KafkaConsumer } from './kafka-client.js';
import type { KafkaDecoder, KafkaRangeSource, Task } from '../plan/task.js';

const clients = new Map<string, KafkaConsumer>();

function clientFor(src: KafkaRangeSource): KafkaConsumer {
  const key = `${src.clientId}\u0000${src.brokers.join(',')}`;
  let c = clients.get(key);
  if (!c) {
    c = createConsumer(src.brokers, src.clientId, `${src.clientId}-fetch`);
    clients.set(key, c);
  }
  return c;
}

/** Closes this thread's fetch clients (the main thread's, when a context stops). */
export async function closeKafkaFetchClients(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.all(all.map((c) => closeQuietly(c)));
}

/** A record the decoder cannot read: fails the task at once (waiting will not fix it). */
class DecodeFailure extends Error {}

function decode(bytes: Buffer | null | undefined, how: KafkaDecoder, where: string): unknown {
  if (bytes === null || bytes === undefined) return null;
  switch (how) {
    case 'utf8':
      return bytes.toString('utf8');
    case 'buffer':
      return Buffer.from(bytes);
    case 'json':
      try {
        return JSON.parse(bytes.toString('utf8'));
      } catch (e) {
        throw new DecodeFailure(`${where} is not JSON: ${(e as Error).message}`);
      }
  }
}

// Record batch attributes: bit 5 marks a control batch (transaction markers), which holds no data.
const CONTROL_BATCH = 1 << 5;

/**
 * The records of `src`'s range, in offset order. Offsets that hold no record (transaction
 * markers, compacted records) are skipped. An unreachable broker is retried until
 * `pollTimeoutMs`, so a broker restart between batches delays the task instead of failing it.
 */
export async function fetchRange(src: KafkaRangeSource): Promise<unknown[]> {
  const out: unknown[] = [];
  let next = BigInt(src.fromOffset);
  const until = BigInt(src.untilOffset);
  const deadline = Date.now() + src.pollTimeoutMs;
  let delay = 100;
  while (next < until) {
    const client = clientFor(src);
    try {
      const meta = await client.metadata({ topics: [src.topic] });
      const topic = meta.topics.get(src.topic);
      const leader = topic?.partitions[src.partition]?.leader;
      if (!topic || leader === undefined || leader < 0) throw new Error(`no leader for ${src.topic}-${src.partition}`);
      const res = await client.fetch({
        node: leader,
        maxWaitTime: 500,
        topics: [
          {
            topicId: topic.id,
            partitions: [{ partition: src.partition, fetchOffset: next, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 8 << 20 }],
          },
        ],
      });
      const part = res.responses[0]?.partitions[0];
      if (part && part.errorCode !== 0) throw new Error(`fetch of ${src.topic}-${src.partition} at ${next} failed with Kafka error code ${part.errorCode}`);
      if (part && part.highWatermark <= next) {
        throw new Error(`${src.topic}-${src.partition} ends at ${part.highWatermark}, before the range [${src.fromOffset}, ${src.untilOffset})`);
      }
      let progressed = false;
      for (const batch of part?.records ?? []) {
        const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
        if ((batch.attributes & CONTROL_BATCH) === 0) {
          for (const r of batch.records) {
            const offset = batch.firstOffset + BigInt(r.offsetDelta);
            if (offset < next || offset >= until) continue;
            const where = `record ${src.topic}-${src.partition}@${offset}`;
            out.push([decode(r.key, src.keyDecoder, `the key of ${where}`), decode(r.value, src.valueDecoder, `the value of ${where}`)]);
          }
        }
        if (last + 1n > next) {
          next = last + 1n > until ? until : last + 1n;
          progressed = true;
        }
      }
      if (progressed) delay = 100;
    } catch (e) {
      if (e instanceof DecodeFailure) throw new KafkaError('decode', e.message);
      const err = asKafkaError('fetch', e);
      // A range past the partition's end will not appear by waiting: fail now.
      if (/ends at/.test(err.message) || Date.now() > deadline) throw err;
      clients.delete(`${src.clientId}\u0000${src.brokers.join(',')}`);
      void closeQuietly(client);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2000);
    }
  }
  return out;
}

/** A task whose source must be fetched first (a Kafka range), with it fetched; else the task. */
export async function withFetchedSource(task: Task): Promise<Task> {
  if (task.source.kind !== 'kafka') return task;
  return { ...task, source: { kind: 'records', records: await fetchRange(task.source.range) } };
}
