import { IllegalArgumentError, IllegalStateError, KafkaError } from '../errors.js';
import { closeKafkaFetchClients } from '../exec/kafka-fetch.js';
import { log } from '../log.js';
import { KafkaRDD, type KafkaFetchSpec } from '../rdd/kafka-rdd.js';
import { asKafkaError } from '../exec/kafka-client.js';
import { KafkaDriver } from './kafka-driver.js';
import { checkDecoder, readKafkaParams, type DirectStreamConfig, type DirectStreamOptions, type KafkaParams } from './kafka-params.js';
import { rangeCount, tpKey, type FromOffsets, type OffsetRange, type TopicAndPartition } from '../plan/offset-range.js';
import { InputDStream } from './input-dstream.js';
import { maxMessagesPerPartition, type PerPartitionRate } from './kafka-rate.js';
import { directRateController, type RateController } from './rate-controller.js';
import type { StreamingContext } from './streaming-context.js';

/** What a direct stream checkpoints: the ranges of the batch the checkpoint covers. */
export interface KafkaInputState {
  /** Batch time of the ranges; the next batch starts at their `untilOffset`s. */
  readonly batchTime: number;
  readonly ranges: OffsetRange[];
}

/**
 * `KafkaUtils.createDirectStream`: Spark's direct Kafka stream. No receiver: before each batch
 * the driver asks the brokers where every partition of the topics ends, and the batch reads, per
 * topic-partition, from where the last batch stopped up to that end, or fewer records under a
 * rate: `maxRatePerPartition`, and with backpressure on (the context's `backpressure.enabled`)
 * the PID estimator's latest rate (`backpressure.initialRate` before the first), shared out
 * among the partitions by their lag, as Spark's `maxMessagesPerPartition`. Each range becomes one partition of the batch's {@link KafkaRDD},
 * fetched by the task that computes it. The ranges are part of every checkpoint, so a program
 * restarted with `StreamingContext.getOrCreate` goes on from exactly where its state was saved.
 *
 * Where the first batch starts: a checkpoint's ranges; else `fromOffsets`; else the group's
 * committed offsets (with `group.id`); else `auto.offset.reset` (`latest` by default, as Kafka).
 * A partition added to a topic later is read from its start.
 *
 * When the brokers cannot be reached before a batch, the batch is empty and the next one starts
 * where this one would have (nothing is skipped); a warning says so once per outage.
 */
export class DirectKafkaInputDStream<K = string | null, V = string> extends InputDStream<[K, V]> {
  readonly topics: readonly string[];
  readonly #config: DirectStreamConfig;
  readonly #spec: KafkaFetchSpec;
  readonly #maxRate: PerPartitionRate | undefined;
  readonly #minRate: PerPartitionRate | undefined;
  #rate: { controller: RateController; initialRate: number } | undefined;
  readonly #fromOffsets: Map<string, number> | undefined;
  readonly #driver: KafkaDriver;
  /** Where each topic-partition's next batch starts; undefined until the first batch is planned. */
  #next: Map<string, number> | undefined;
  #partitions: TopicAndPartition[] = [];
  /** Ranges decided ahead of each batch's generation, by batch time. */
  readonly #planned = new Map<number, OffsetRange[]>();
  #lastRanges: KafkaInputState | undefined;
  #restored: KafkaInputState | undefined;
  #outage = false;
  #commits: Promise<void> = Promise.resolve();
  #disposed = false;

  constructor(ssc: StreamingContext, topics: readonly string[], kafkaParams: KafkaParams, fromOffsets?: FromOffsets, opts: DirectStreamOptions = {}) {
    super(ssc);
    if (!Array.isArray(topics) || topics.length === 0 || !topics.every((t) => typeof t === 'string' && t.length > 0)) {
      throw new IllegalArgumentError('createDirectStream: topics must be a non-empty array of topic names');
    }
    checkRate('maxRatePerPartition', opts.maxRatePerPartition);
    checkRate('minRatePerPartition', opts.minRatePerPartition);
    this.topics = [...topics];
    this.#config = readKafkaParams(kafkaParams);
    this.#spec = {
      brokers: this.#config.brokers,
      clientId: this.#config.clientId,
      keyDecoder: checkDecoder('keyDecoder', opts.keyDecoder),
      valueDecoder: checkDecoder('valueDecoder', opts.valueDecoder),
      pollTimeoutMs: opts.pollTimeoutMs ?? 60_000,
    };
    this.#maxRate = opts.maxRatePerPartition;
    this.#minRate = opts.minRatePerPartition;
    this.#fromOffsets = fromOffsets === undefined ? undefined : readFromOffsets(fromOffsets);
    this.#driver = new KafkaDriver(this.#config);
  }

  /** @internal Names this input in checkpoints (`directKafkaStream#0`). */
  override get kind(): string {
    return 'directKafkaStream';
  }

  /**
   * Commits each range's `untilOffset` to the consumer group (`group.id`), as Spark's
   * `CanCommitOffsets.commitAsync`: call it once the batch's output is stored. Commits run in
   * the order asked. A failure goes to `callback` (a `KafkaError`), or is logged as a warning;
   * it never fails the stream.
   */
  commitAsync(ranges: readonly OffsetRange[], callback?: (error: KafkaError | null, ranges: readonly OffsetRange[]) => void): void {
    if (this.#config.groupId === undefined) throw new IllegalStateError("commitAsync: kafkaParams has no 'group.id' to commit to");
    const copy = ranges.map((r) => ({ ...r }));
    this.#commits = this.#commits.then(async () => {
      let error: KafkaError | null = null;
      try {
        if (this.#disposed) throw new KafkaError('commit', 'the stream has stopped; its offsets can no longer be committed');
        await this.#driver.commit(copy);
      } catch (e) {
        error = asKafkaError('commit', e);
      }
      if (callback) {
        try {
          callback(error, copy);
        } catch (e) {
          log.warn(`commitAsync callback threw: ${(e as Error).message}`);
        }
      } else if (error) {
        log.warn(error.message);
      }
    });
  }

  /** @internal Decides batch `time`'s ranges; never throws (an unreachable broker gives an empty batch). */
  override async prepareBatch(time: number): Promise<void> {
    try {
      await this.#ensureStart();
      const fresh = await this.#driver.partitions(this.topics);
      await this.#addNewPartitions(fresh);
      const latest = await this.#driver.latest(this.#partitions);
      // Every partition up to its end, then cut to what the rates allow.
      const next = this.#next!;
      const upToEnd: OffsetRange[] = this.#partitions.map(({ topic, partition }) => {
        const k = tpKey(topic, partition);
        const fromOffset = next.get(k)!;
        return { topic, partition, fromOffset, untilOffset: Math.max(fromOffset, latest.get(k) ?? fromOffset) };
      });
      const lags = new Map(upToEnd.map((r) => [tpKey(r.topic, r.partition), rangeCount(r)]));
      const limits = maxMessagesPerPartition(this.#partitions, lags, this.#estimatedRate(), {
        batchDurationMs: this.ssc.batchDurationMs,
        maxRatePerPartition: this.#maxRate,
        minRatePerPartition: this.#minRate,
      });
      const ranges = upToEnd.map((r) => ({ ...r, untilOffset: Math.min(r.untilOffset, r.fromOffset + (limits?.get(tpKey(r.topic, r.partition)) ?? Infinity)) }));
      this.#planned.set(time, ranges);
      if (this.#outage) log.info(`direct Kafka stream ${this.topics.join(',')}: brokers reachable again`);
      this.#outage = false;
    } catch (e) {
      if (!this.#outage) log.warn(`direct Kafka stream ${this.topics.join(',')}: batch ${time} is empty: ${asKafkaError('offsets', e).message}`);
      this.#outage = true;
    }
  }

  protected compute(time: number): KafkaRDD<K, V> | undefined {
    const planned = this.#planned.get(time);
    this.#planned.delete(time);
    // Without a plan (brokers unreachable), the batch reads nothing and every position stays.
    const ranges =
      planned ?? this.#partitions.map(({ topic, partition }) => {
        const at = this.#next?.get(tpKey(topic, partition)) ?? 0;
        return { topic, partition, fromOffset: at, untilOffset: at };
      });
    for (const r of ranges) this.#next?.set(tpKey(r.topic, r.partition), r.untilOffset);
    // Before the first successful plan there are no positions of our own: a checkpoint keeps the
    // restored ones (a program restarted while the brokers are down must not forget them).
    if (this.#next) this.#lastRanges = { batchTime: time, ranges };
    this.noteRecords(time, ranges.reduce((n, r) => n + rangeCount(r), 0));
    return new KafkaRDD<K, V>(this.ssc.sparkContext, ranges, this.#spec);
  }

  /** @internal The ranges of the newest generated batch: the next batch starts at their ends. */
  override checkpointState(): KafkaInputState | undefined {
    return this.#lastRanges ?? this.#restored;
  }

  /** @internal Resumes from a checkpoint's ranges, before start. */
  override restoreState(state: unknown): void {
    const s = state as Partial<KafkaInputState> | null;
    if (!s || !Array.isArray(s.ranges) || typeof s.batchTime !== 'number') {
      throw new IllegalArgumentError('directKafkaStream: restoreState expects { batchTime, ranges: OffsetRange[] }');
    }
    this.#restored = { batchTime: s.batchTime, ranges: s.ranges.map((r) => ({ ...r })) };
  }

  /** @internal With backpressure on, the rate controller starts listening to batches. */
  override start(): void {
    this.#rate = directRateController(this, this.ssc);
  }

  /** Backpressure's latest rate (records/s, whole stream), `initialRate` before the first; undefined without backpressure. */
  #estimatedRate(): number | undefined {
    if (!this.#rate) return undefined;
    const latest = this.#rate.controller.getLatestRate();
    return latest > 0 ? latest : this.#rate.initialRate;
  }

  override async stop(): Promise<void> {
    if (this.#rate) this.ssc.removeStreamingListener(this.#rate.controller);
    await this.#commits;
  }

  override dispose(): void {
    super.dispose();
    this.#commits = this.#commits.then(() => void (this.#disposed = true));
    // Commits asked for by the last batches still go out before the client closes.
    void this.#commits.then(() => this.#driver.close());
    // Under `local` the tasks fetched on this thread: close those clients too.
    if (this.ssc.sparkContext.isLocal) void closeKafkaFetchClients();
  }

  /** The first batch's starting offsets, from the checkpoint, `fromOffsets`, the group or the reset policy. */
  async #ensureStart(): Promise<void> {
    if (this.#next) return;
    const tps = await this.#driver.partitions(this.topics);
    const next = new Map<string, number>();
    if (this.#restored) {
      for (const r of this.#restored.ranges) next.set(tpKey(r.topic, r.partition), r.untilOffset);
    } else if (this.#fromOffsets) {
      for (const [k, v] of this.#fromOffsets) next.set(k, v);
    } else {
      const committed = this.#config.groupId === undefined ? new Map<string, number>() : await this.#driver.committed(tps);
      const missing = tps.filter((tp) => !committed.has(tpKey(tp.topic, tp.partition)));
      const reset = missing.length === 0 ? new Map() : this.#config.reset === 'earliest' ? await this.#driver.earliest(missing) : await this.#driver.latest(missing);
      for (const [k, v] of [...committed, ...reset]) next.set(k, v);
    }
    this.#partitions = tps.filter((tp) => next.has(tpKey(tp.topic, tp.partition)));
    this.#next = next;
    // Partitions the checkpoint or `fromOffsets` did not name start at their beginning.
    await this.#addNewPartitions(tps);
  }

  /** Partitions of `all` not read yet start at their beginning (a partition added to a topic). */
  async #addNewPartitions(all: readonly TopicAndPartition[]): Promise<void> {
    const fresh = all.filter((tp) => !this.#next!.has(tpKey(tp.topic, tp.partition)));
    if (fresh.length === 0) return;
    const starts = await this.#driver.earliest(fresh);
    for (const tp of fresh) {
      const k = tpKey(tp.topic, tp.partition);
      if (this.#next!.has(k) || !starts.has(k)) continue;
      this.#next!.set(k, starts.get(k)!);
      this.#partitions.push(tp);
    }
    this.#partitions.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }
}

function checkRate(name: string, rate: PerPartitionRate | undefined): void {
  if (rate === undefined || typeof rate === 'function' || (typeof rate === 'number' && rate > 0)) return;
  throw new IllegalArgumentError(`createDirectStream: ${name} must be a positive number or a function of { topic, partition }, got ${String(rate)}`);
}

function readFromOffsets(from: FromOffsets): Map<string, number> {
  const out = new Map<string, number>();
  const entries: [TopicAndPartition, number][] =
    from instanceof Map ? [...from] : (from as readonly { topic: string; partition: number; offset: number }[]).map((o) => [o, o.offset]);
  for (const [tp, offset] of entries) {
    if (typeof tp?.topic !== 'string' || !Number.isInteger(tp.partition) || !Number.isInteger(offset) || offset < 0) {
      throw new IllegalArgumentError(`createDirectStream: fromOffsets has an invalid entry ${JSON.stringify([tp, offset])}`);
    }
    out.set(tpKey(tp.topic, tp.partition), offset);
  }
  return out;
}
