import { closeQuietly, createConsumer, kafkaCall, type KafkaConsumer } from '../exec/kafka-client.js';
import type { DirectStreamConfig } from './kafka-params.js';
import { tpKey, type OffsetRange, type TopicAndPartition } from '../plan/offset-range.js';

// Kafka's ListOffsets timestamps for "the end" and "the start" of a partition.
const LATEST = -1n;
const EARLIEST = -2n;

/**
 * The driver's side of a direct stream (Spark's DirectKafkaInputDStream driver consumer): which
 * partitions the topics have, where each starts and ends, and the group's committed offsets.
 * Every call is one request round; failures are `KafkaError`s for the caller to handle.
 */
export class KafkaDriver {
  readonly #config: DirectStreamConfig;
  readonly #retryMs: number;
  #client: KafkaConsumer | undefined;

  constructor(config: DirectStreamConfig, retryMs = 5000) {
    this.#config = config;
    this.#retryMs = retryMs;
  }

  get #consumer(): KafkaConsumer {
    this.#client ??= createConsumer(this.#config.brokers, this.#config.clientId, this.#config.groupId ?? `${this.#config.clientId}-direct`);
    return this.#client;
  }

  /** Every partition of `topics`, sorted by topic then partition. */
  async partitions(topics: readonly string[]): Promise<TopicAndPartition[]> {
    return this.#call('metadata', async (c) => {
      const meta = await c.metadata({ topics: [...topics], forceUpdate: true });
      const out: TopicAndPartition[] = [];
      for (const topic of topics) {
        const t = meta.topics.get(topic);
        if (!t) throw new Error(`topic '${topic}' does not exist`);
        for (let p = 0; p < t.partitionsCount; p++) out.push({ topic, partition: p });
      }
      return out;
    });
  }

  /** The next offset to be written, per `topic-partition`. */
  latest(tps: readonly TopicAndPartition[]): Promise<Map<string, number>> {
    return this.#listOffsets('latestOffsets', tps, LATEST);
  }

  /** The first offset still kept, per `topic-partition`. */
  earliest(tps: readonly TopicAndPartition[]): Promise<Map<string, number>> {
    return this.#listOffsets('earliestOffsets', tps, EARLIEST);
  }

  /** The group's committed offsets, per `topic-partition` (absent where none). */
  async committed(tps: readonly TopicAndPartition[]): Promise<Map<string, number>> {
    return this.#call('committedOffsets', async (c) => {
      const byTopic = groupByTopic(tps);
      const res = await c.listCommittedOffsets({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
      const out = new Map<string, number>();
      for (const [topic, offsets] of res) offsets.forEach((o, p) => o >= 0n && out.set(tpKey(topic, p), Number(o)));
      return out;
    });
  }

  /** Commits each range's `untilOffset` to the group (Spark's CanCommitOffsets). */
  async commit(ranges: readonly OffsetRange[]): Promise<void> {
    await this.#call('commit', async (c) => {
      // A standalone commit: generation -1, no member id, as Kafka's own assign()-mode consumers.
      c.generationId = -1;
      c.memberId = '';
      await c.commit({ offsets: ranges.map((r) => ({ topic: r.topic, partition: r.partition, offset: BigInt(r.untilOffset), leaderEpoch: -1 })) });
    });
  }

  async close(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    if (c) await closeQuietly(c);
  }

  async #listOffsets(operator: string, tps: readonly TopicAndPartition[], timestamp: bigint): Promise<Map<string, number>> {
    return this.#call(operator, async (c) => {
      const byTopic = groupByTopic(tps);
      const res = await c.listOffsets({ topics: [...byTopic.keys()], partitions: Object.fromEntries(byTopic), timestamp });
      const out = new Map<string, number>();
      for (const [topic, offsets] of res) offsets.forEach((o, p) => out.set(tpKey(topic, p), Number(o)));
      return out;
    });
  }

  /**
   * One call, retried for up to `retryMs` while Kafka says the failure is transient (a group
   * coordinator still starting, a leader moving, a refused connection); after a failure the
   * client is dropped so the next attempt reconnects from scratch.
   */
  async #call<T>(operator: string, fn: (c: KafkaConsumer) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#retryMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
      const c = this.#consumer;
      try {
        return await kafkaCall(operator, () => fn(c));
      } catch (e) {
        if (this.#client === c) this.#client = undefined;
        void closeQuietly(c);
        if (!isTransient(e) || Date.now() + delay > deadline) throw e;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}

/** Whether the client marks the failure (or one it aggregates) as worth retrying. */
function isTransient(e: unknown): boolean {
  const seen = new Set<unknown>();
  const walk = (x: unknown): boolean => {
    if (!x || typeof x !== 'object' || seen.has(x)) return false;
    seen.add(x);
    const o = x as { canRetry?: unknown; cause?: unknown; errors?: unknown };
    if (o.canRetry === true) return true;
    return walk(o.cause) || (Array.isArray(o.errors) && o.errors.some(walk));
  };
  return walk(e);
}

function groupByTopic(tps: readonly TopicAndPartition[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const { topic, partition } of tps) {
    let ps = m.get(topic);
    if (!ps) m.set(topic, (ps = []));
    ps.push(partition);
  }
  return m;
}
